"""Every portal option the server enforces, switched on and off, through `Portal` against the
sandbox: on, the action does what it says; off, it is refused and Stripe is not written to.
(The options only the page reads are covered by `for_page` in test_settings.py.)"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import expiring_hash, user_hash
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE

SECRET = "options-test-secret-0123456789"
DAY = 86400

Make = Callable[..., Portal]


@pytest.fixture
def make(stripe_sandbox: Sandbox, demo: dict[str, Any]) -> Make:
    def portal(**options: Any) -> Portal:
        return Portal(
            PortalSettings(**options),
            secret_key=SECRET,
            stripe_api_key=stripe_sandbox.secret_key,
            stripe_api_base=stripe_sandbox.url,
        )

    return portal


def ada(portal: Portal, identity: str = DEMO_EMAIL) -> Visitor:
    return portal.visitor(identity, user_hash(SECRET, identity))


_keys = iter(range(10**6))


def act(portal: Portal, action: str, **payload: Any) -> Any:
    return portal.act(ada(portal), action, payload, idempotency_key=f"intent-{next(_keys):06}")


def refused(
    sandbox: Sandbox, error: type[Exception], code: str, portal: Portal, action: str, **payload: Any
) -> None:
    assert_refused(sandbox, error, code, lambda: act(portal, action, **payload))  # type: ignore[arg-type]


def view(result: Any, subscription: str) -> Any:
    return next(v for v in result.state.subscriptions if v.id == subscription)


# -- who the customer is --------------------------------------------------------------------


def test_identify_by_email_or_by_customer_id(make: Make, demo: dict[str, Any]) -> None:
    by_email, by_id = make(), make(identify_by="customer_id")
    assert by_email.state(ada(by_email)).customer_id == demo["customer"]
    assert by_id.state(ada(by_id, demo["customer"])).customer_id == demo["customer"]
    for portal, other in ((by_email, demo["customer"]), (by_id, DEMO_EMAIL)):
        with pytest.raises(BadInput) as wrong_kind:
            portal.state(ada(portal, other))
        assert wrong_kind.value.code == "identity_kind"


def test_require_hash_on_and_off(make: Make) -> None:
    with pytest.raises(Forbidden) as missing:
        make().visitor(DEMO_EMAIL, None)
    assert missing.value.code == "hash_missing"
    assert make(require_hash=False).visitor(DEMO_EMAIL, None).identity == DEMO_EMAIL


def test_require_expiring_hash_and_its_lifetime(make: Make) -> None:
    strict = make(require_expiring_hash=True, hash_lifetime=600)
    with pytest.raises(Forbidden) as plain:
        ada(strict)
    assert plain.value.code == "hash_expiring_required"
    now = int(time.time())
    token = strict.identity_hash(DEMO_EMAIL, now=now)
    assert token == expiring_hash(SECRET, DEMO_EMAIL, now + 600)
    assert strict.visitor(DEMO_EMAIL, token, now=now + 599).identity == DEMO_EMAIL
    with pytest.raises(Forbidden) as late:
        strict.visitor(DEMO_EMAIL, token, now=now + 601)
    assert late.value.code == "hash_expired"
    assert make().visitor(DEMO_EMAIL, token).identity == DEMO_EMAIL  # both forms by default


# -- which plans ----------------------------------------------------------------------------


def test_service_or_price_ids_choose_the_plans(
    stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]
) -> None:
    prices = demo["prices"]
    team = demo["subscriptions"][0]
    newcomer = "grace@example.com"
    service = make(service=DEMO_SERVICE)
    assert {p.price_id for p in service.state(ada(service, newcomer)).plans} == {
        prices[f"{tier}_{interval}ly"]
        for tier in ("starter", "team", "business")
        for interval in ("month", "year")
    }
    listed = make(price_ids=(prices["team_monthly"], prices["business_monthly"]))
    assert {p.price_id for p in listed.state(ada(listed, newcomer)).plans} == {
        prices["team_monthly"],
        prices["business_monthly"],
    }
    refused(stripe_sandbox, BadInput, "plan_not_offered", listed, "change_plan",
            subscription=team, price=prices["starter_monthly"])  # fmt: skip
    result = act(listed, "change_plan", subscription=team, price=prices["business_monthly"])
    assert view(result, team).price_id == prices["business_monthly"]


# -- changing plan and quantity -------------------------------------------------------------


def test_change_plan_on_and_off(stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]) -> None:
    team, business = demo["subscriptions"][0], demo["prices"]["business_yearly"]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(change_plan=False), "change_plan",
            subscription=team, price=business)  # fmt: skip
    assert view(act(make(), "change_plan", subscription=team, price=business), team).price_id == (
        business
    )


def test_change_quantity_on_and_off(
    stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]
) -> None:
    seats = demo["subscriptions"][1]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(change_quantity=False),
            "change_quantity", subscription=seats, quantity=4)  # fmt: skip
    assert view(act(make(), "change_quantity", subscription=seats, quantity=4), seats).quantity == 4


@pytest.mark.parametrize(
    ("behavior", "invoiced_now"),
    [("always_invoice", True), ("create_prorations", False), ("none", False)],
)
def test_proration_behavior(
    stripe_client: stripe.StripeClient,
    make: Make,
    demo: dict[str, Any],
    behavior: str,
    invoiced_now: bool,
) -> None:
    seats = demo["subscriptions"][1]
    portal = make(proration_behavior=behavior)
    before = len(stripe_client.v1.invoices.list({"subscription": seats, "limit": 100}).data)
    preview = portal.preview(ada(portal), {"subscription": seats, "quantity": 6})
    assert preview.due_now is invoiced_now
    assert (preview.proration == 0) is (behavior == "none")

    act(portal, "change_quantity", subscription=seats, quantity=6)

    after = stripe_client.v1.invoices.list({"subscription": seats, "limit": 100}).data
    assert len(after) == before + (1 if invoiced_now else 0)
    if invoiced_now:
        assert after[0].status == "paid" and after[0].amount_paid == preview.amount_due
    pending = stripe_client.v1.invoice_items.list({"customer": demo["customer"]}).data
    assert bool(pending) is (behavior == "create_prorations")


def test_plan_picker_for_subscribers(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, make: Make, demo: dict[str, Any]
) -> None:
    product = stripe_client.v1.products.create({"name": "Support", "metadata": {"sb_service": "s"}})
    support = stripe_client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 900,
         "recurring": {"interval": "month"}}
    )  # fmt: skip
    off = make()
    assert off.state(ada(off)).plans == ()
    refused(stripe_sandbox, Forbidden, "feature_disabled", off, "subscribe", price=support.id)

    on = make(plan_picker=True)
    assert support.id in {p.price_id for p in on.state(ada(on)).plans}
    result = act(on, "subscribe", price=support.id)
    assert result.response["items"]["data"][0]["price"]["id"] == support.id
    assert result.confirmation is not None  # the first payment waits for the page
    refused(stripe_sandbox, Conflict, "already_subscribed", on, "subscribe",
            price=demo["prices"]["business_monthly"])  # fmt: skip


# -- cancelling, pausing, coming back -------------------------------------------------------


def test_cancel_on_and_off_at_period_end_or_now(
    stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]
) -> None:
    team, seats = demo["subscriptions"]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(cancel=False), "cancel",
            subscription=team, reason="unused")  # fmt: skip
    later = view(act(make(), "cancel", subscription=team, reason="unused"), team)
    assert later.status == "active" and later.cancel_at == later.current_period_end
    now = view(act(make(cancel_immediately=True), "cancel", subscription=seats, reason="unused"),
               seats)  # fmt: skip
    assert now.status == "canceled" and now.ended_at is not None


def test_cancellation_reasons_are_the_sites_list(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, make: Make, demo: dict[str, Any]
) -> None:
    team = demo["subscriptions"][0]
    portal = make(cancellation_reasons=("moving_abroad", "too_expensive"))
    refused(stripe_sandbox, BadInput, "reason_invalid", portal, "cancel",
            subscription=team, reason="unused")  # fmt: skip
    act(portal, "cancel", subscription=team, reason="moving_abroad", comment="Lisbon")
    stored = stripe_client.v1.subscriptions.retrieve(team)
    assert stored.metadata["cancellation_reason"] == "moving_abroad"
    assert stored.cancellation_details.comment == "Lisbon"
    assert stored.cancellation_details.feedback is None  # not one of Stripe's own reasons


def test_retention_offer_on_and_off(
    stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]
) -> None:
    team = demo["subscriptions"][0]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(), "accept_retention_offer",
            subscription=team, reason="too_expensive")  # fmt: skip
    offer = RetentionOffer(demo["coupon"], ("too_expensive",))
    portal = make(retention_offer=offer)
    refused(stripe_sandbox, BadInput, "no_offer", portal, "accept_retention_offer",
            subscription=team, reason="unused")  # fmt: skip
    kept = view(act(portal, "accept_retention_offer", subscription=team, reason="too_expensive"),
                team)  # fmt: skip
    assert kept.discount is not None and kept.discount.percent_off == 20


@pytest.mark.parametrize("behavior", ["void", "keep_as_draft", "mark_uncollectible"])
def test_pause_instead_of_cancel_with_its_behaviour_and_longest_pause(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    make: Make,
    demo: dict[str, Any],
    behavior: str,
) -> None:
    team = demo["subscriptions"][0]
    soon = int(time.time()) + 10 * DAY
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(), "pause",
            subscription=team, resumes_at=soon)  # fmt: skip
    portal = make(pause_instead_of_cancel=True, pause_behavior=behavior, pause_max_days=30)
    refused(stripe_sandbox, Forbidden, "feature_disabled", portal, "cancel",
            subscription=team, reason="unused")  # fmt: skip
    refused(stripe_sandbox, BadInput, "resume_date_out_of_bounds", portal, "pause",
            subscription=team, resumes_at=soon + 30 * DAY)  # fmt: skip
    paused = view(act(portal, "pause", subscription=team, resumes_at=soon), team)
    assert paused.paused and paused.paused_until == soon
    assert stripe_client.v1.subscriptions.retrieve(team).pause_collection.behavior == behavior
    assert not view(act(portal, "resume", subscription=team), team).paused


def _ended_team(stripe_client: stripe.StripeClient, demo: dict[str, Any]) -> str:
    team = demo["subscriptions"][0]
    stripe_client.v1.subscriptions.cancel(team)
    return team


def test_resubscribe_on_and_off(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, make: Make, demo: dict[str, Any]
) -> None:
    team = _ended_team(stripe_client, demo)
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(resubscribe=False), "resubscribe",
            subscription=team)  # fmt: skip
    result = act(make(), "resubscribe", subscription=team)
    assert result.response["status"] == "active"
    assert result.response["items"]["data"][0]["price"]["id"] == demo["prices"]["team_monthly"]


def test_change_plan_on_resubscribe_on_and_off(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, make: Make, demo: dict[str, Any]
) -> None:
    team = _ended_team(stripe_client, demo)
    business = demo["prices"]["business_monthly"]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(), "resubscribe",
            subscription=team, price=business)  # fmt: skip
    result = act(make(change_plan_on_resubscribe=True), "resubscribe",
                 subscription=team, price=business)  # fmt: skip
    assert result.response["items"]["data"][0]["price"]["id"] == business


def test_coupons_on_and_off(stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any]) -> None:
    team = demo["subscriptions"][0]
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(), "apply_coupon",
            subscription=team, coupon="WELCOME20")  # fmt: skip
    discounted = view(act(make(coupons=True), "apply_coupon", subscription=team,
                          coupon="WELCOME20"), team)  # fmt: skip
    assert discounted.discount is not None


def test_coupons_on_resubscribe_on_and_off(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, make: Make, demo: dict[str, Any]
) -> None:
    team = _ended_team(stripe_client, demo)
    refused(stripe_sandbox, Forbidden, "feature_disabled", make(coupons=True), "resubscribe",
            subscription=team, coupon="WELCOME20")  # fmt: skip
    result = act(make(coupons=True, coupons_on_resubscribe=True), "resubscribe",
                 subscription=team, coupon="WELCOME20")  # fmt: skip
    (discount,) = result.response["discounts"]
    assert discount["promotion_code"] == demo["promotion_code"]


def test_update_payment_method_on_and_off(stripe_sandbox: Sandbox, make: Make) -> None:
    refused(stripe_sandbox, Forbidden, "feature_disabled",
            make(update_payment_method=False, payment_methods=False),
            "setup_payment_method")  # fmt: skip
    started = act(make(), "setup_payment_method")
    assert started.confirmation is not None and started.confirmation.kind == "setup"


# -- logging ---------------------------------------------------------------------------------


def test_debug_logging_never_writes_a_secret_or_a_hash(
    stripe_sandbox: Sandbox, make: Make, demo: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    portal = make(debug=True, coupons=True)
    caplog.set_level(logging.DEBUG)
    team = demo["subscriptions"][0]
    act(portal, "change_quantity", subscription=demo["subscriptions"][1], quantity=9)
    with pytest.raises(BadInput):
        act(portal, "apply_coupon", subscription=team, coupon="NOPE")
    with pytest.raises(Forbidden):
        portal.visitor(DEMO_EMAIL, "0" * 64)
    debug = [r for r in caplog.records if r.name.startswith("billflow_core")]
    assert any(r.levelno == logging.DEBUG for r in debug)
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (SECRET, stripe_sandbox.secret_key, user_hash(SECRET, DEMO_EMAIL)):
        assert secret not in text
