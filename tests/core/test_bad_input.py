"""Bad input through `Portal`, as a page (or someone forging its requests) could send it: each
gets its documented error, names the field at fault, and writes nothing to Stripe."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import expiring_hash, user_hash
from billflow_core.errors import BadInput, BillflowError, Conflict, Forbidden, NotFound
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "bad-input-secret-0123456789"

# (action, payload, error, code, field); "{team}", "{seats}", "{price:…}" and "{theirs}" are
# filled in from the demo account.
CASES: list[tuple[str, dict[str, Any], type[BillflowError], str, str | None]] = [
    ("change_plan", {"price": "{price:business_monthly}"},
     NotFound, "subscription_not_found", "subscription"),
    ("change_plan", {"subscription": 42, "price": "{price:business_monthly}"},
     NotFound, "subscription_not_found", "subscription"),
    ("change_plan", {"subscription": "sub_unknown", "price": "{price:business_monthly}"},
     NotFound, "subscription_not_found", "subscription"),
    ("change_plan", {"subscription": "{theirs}", "price": "{price:business_monthly}"},
     NotFound, "subscription_not_found", "subscription"),
    ("change_plan", {"subscription": "{team}"}, BadInput, "price_required", "price"),
    ("change_plan", {"subscription": "{team}", "price": ["price_x"]},
     BadInput, "price_required", "price"),
    ("change_plan", {"subscription": "{team}", "price": "{price:seats_monthly}"},
     BadInput, "plan_not_offered", "price"),
    ("change_plan", {"subscription": "{team}", "price": "{price:other_service}"},
     BadInput, "plan_not_offered", "price"),
    ("change_plan", {"subscription": "{team}", "price": "price_unknown"},
     BadInput, "plan_not_offered", "price"),
    ("change_quantity", {"subscription": "{seats}", "quantity": 0},
     BadInput, "quantity_out_of_bounds", "quantity"),
    ("change_quantity", {"subscription": "{seats}", "quantity": -3},
     BadInput, "quantity_out_of_bounds", "quantity"),
    ("change_quantity", {"subscription": "{seats}", "quantity": 10**12},
     BadInput, "quantity_out_of_bounds", "quantity"),
    ("change_quantity", {"subscription": "{seats}", "quantity": 2.5},
     BadInput, "quantity_invalid", "quantity"),
    ("change_quantity", {"subscription": "{seats}", "quantity": "4"},
     BadInput, "quantity_invalid", "quantity"),
    ("change_quantity", {"subscription": "{seats}", "quantity": True},
     BadInput, "quantity_invalid", "quantity"),
    ("change_quantity", {"subscription": "{seats}"}, BadInput, "quantity_invalid", "quantity"),
    ("change_quantity", {"subscription": "{team}", "quantity": 2},
     Forbidden, "quantity_disabled", None),
    ("apply_coupon", {"subscription": "{team}", "coupon": "NOSUCHCODE"},
     BadInput, "coupon_invalid", "coupon"),
    ("apply_coupon", {"subscription": "{team}", "coupon": "EXPIRED10"},
     BadInput, "coupon_expired", "coupon"),
    ("apply_coupon", {"subscription": "{team}", "coupon": ""},
     BadInput, "coupon_required", "coupon"),
    ("apply_coupon", {"subscription": "{team}", "coupon": {"id": "WELCOME20"}},
     BadInput, "coupon_required", "coupon"),
    ("cancel", {"subscription": "{team}", "reason": "because"},
     BadInput, "reason_invalid", "reason"),
    ("cancel", {"subscription": "{team}", "reason": "unused", "comment": "x" * 501},
     BadInput, "comment_invalid", "comment"),
    ("cancel", {"subscription": "{team}", "reason": "unused", "comment": 7},
     BadInput, "comment_invalid", "comment"),
    ("cancel", {"subscription": "{team}", "reason": "unused", "when": "now"},
     BadInput, "unknown_field", "when"),
    ("resubscribe", {"subscription": "{team}"}, Conflict, "subscription_not_ended", None),
    # Lone surrogates: JSON can escape them ("\ud83d"), UTF-8 cannot carry them to Stripe.
    ("apply_coupon", {"subscription": "{team}", "coupon": "\ud83d"},
     BadInput, "text_invalid", "coupon"),
    ("cancel", {"subscription": "{team}", "reason": "unused", "comment": "ok \udc00"},
     BadInput, "text_invalid", "comment"),
    ("update_payment_method", {"payment_method": "pm_\ud800"},
     BadInput, "text_invalid", "payment_method"),
    ("cancel", {"subscription": "{team}", "\ud800": 1}, BadInput, "text_invalid", None),
]  # fmt: skip


@pytest.fixture
def filled(stripe_client: stripe.StripeClient, demo: dict[str, Any]) -> dict[str, str]:
    """The demo's ids, another customer's subscription, another service's price and an
    expired promotion code, to fill the cases in."""
    other = stripe_client.v1.customers.create({"email": "mallory@example.com"})
    theirs = stripe_client.v1.subscriptions.create(
        {"customer": other.id, "items": [{"price": demo["prices"]["team_monthly"]}],
         "payment_behavior": "default_incomplete"}
    )  # fmt: skip
    product = stripe_client.v1.products.create({"name": "X", "metadata": {"sb_service": "x"}})
    foreign = stripe_client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 100,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    coupon = stripe_client.v1.coupons.create(
        {"percent_off": 10, "duration": "once", "max_redemptions": 1}
    )
    stripe_client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "EXPIRED10"}
    )
    stripe_client.v1.subscriptions.update(theirs.id, {"discounts": [{"coupon": coupon.id}]})
    assert not stripe_client.v1.coupons.retrieve(coupon.id).valid  # used up
    values = {"team": demo["subscriptions"][0], "seats": demo["subscriptions"][1],
              "theirs": theirs.id, "price:other_service": foreign.id}  # fmt: skip
    values.update({f"price:{name}": price for name, price in demo["prices"].items()})
    return values


def _fill(payload: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    return {
        k: values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v
        for k, v in payload.items()
    }


def test_each_bad_input_gets_its_error_and_writes_nothing(
    stripe_sandbox: Sandbox, filled: dict[str, str]
) -> None:
    portal = Portal(
        PortalSettings(coupons=True),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
    )
    visitor = portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))
    for number, (action, payload, error, code, field) in enumerate(CASES):
        before = stripe_sandbox.fingerprint()
        with pytest.raises(error) as refused:
            portal.act(visitor, action, _fill(payload, filled),
                       idempotency_key=f"bad-input-{number:04}")  # fmt: skip
        assert (refused.value.code, refused.value.field) == (code, field), (action, payload)
        assert refused.value.to_dict()["error"]["code"] == code
        assert stripe_sandbox.fingerprint() == before, (action, payload)


@pytest.mark.parametrize(
    ("identity", "hash_of", "code"),
    [
        (DEMO_EMAIL, lambda: user_hash(SECRET, DEMO_EMAIL)[:-1] + "0", "hash_mismatch"),
        (DEMO_EMAIL, lambda: user_hash("another secret", DEMO_EMAIL), "hash_mismatch"),
        (DEMO_EMAIL, lambda: "zz" * 32, "hash_malformed"),
        (DEMO_EMAIL, lambda: expiring_hash(SECRET, DEMO_EMAIL, int(time.time()) - 1),
         "hash_expired"),
        (DEMO_EMAIL, lambda: "", "hash_missing"),
        ("Ada@example.com", lambda: user_hash(SECRET, DEMO_EMAIL), "hash_mismatch"),
    ],
)  # fmt: skip
def test_a_tampered_or_expired_hash_is_refused_before_stripe_is_asked(
    stripe_sandbox: Sandbox, demo: dict[str, Any], identity: str, hash_of: Any, code: str
) -> None:
    portal = Portal(
        PortalSettings(),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
    )
    stripe_sandbox.reset()
    assert_refused(stripe_sandbox, Forbidden, code, lambda: portal.visitor(identity, hash_of()))
    assert stripe_sandbox.requests == []
