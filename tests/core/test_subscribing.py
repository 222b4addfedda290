"""Coming back: someone whose subscription ended picks a plan again (under the resubscribe
options, whichever button they use), a first payment left waiting is paid rather than made
twice, and the quantity they had is kept within the plan's bounds."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import BadInput, Conflict, Forbidden
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "comeback-test-secret-0123456789"


def _portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def _ada(portal: Portal) -> Visitor:
    return portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))


@pytest.fixture
def churned(stripe_client: stripe.StripeClient, demo: dict[str, Any]) -> dict[str, Any]:
    for subscription in demo["subscriptions"]:
        stripe_client.v1.subscriptions.cancel(subscription)
    return demo


def test_the_picker_follows_the_resubscribe_options_for_someone_who_left(
    stripe_sandbox: Sandbox, churned: dict[str, Any]
) -> None:
    prices = churned["prices"]
    business, team = prices["business_monthly"], prices["team_monthly"]

    closed = _portal(stripe_sandbox, resubscribe=False, coupons=True)
    offered = {p.price_id for p in closed.state(_ada(closed)).plans}
    assert team not in offered and business not in offered
    assert_refused(stripe_sandbox, Forbidden, "feature_disabled",
                   lambda: closed.act(_ada(closed), "subscribe", {"price": business},
                                      idempotency_key="back-0001"))  # fmt: skip

    same_plan_only = _portal(stripe_sandbox, coupons=True)
    offered = {p.price_id for p in same_plan_only.state(_ada(same_plan_only)).plans}
    assert team in offered and business not in offered
    assert_refused(stripe_sandbox, Forbidden, "feature_disabled",
                   lambda: same_plan_only.act(_ada(same_plan_only), "subscribe",
                                              {"price": business},
                                              idempotency_key="back-0002"))  # fmt: skip
    assert_refused(stripe_sandbox, Forbidden, "feature_disabled",
                   lambda: same_plan_only.act(_ada(same_plan_only), "subscribe",
                                              {"price": team, "coupon": "WELCOME20"},
                                              idempotency_key="back-0003"))  # fmt: skip

    open_ = _portal(stripe_sandbox, change_plan_on_resubscribe=True, coupons=True,
                    coupons_on_resubscribe=True)  # fmt: skip
    assert business in {p.price_id for p in open_.state(_ada(open_)).plans}
    back = open_.act(_ada(open_), "subscribe", {"price": business, "coupon": "WELCOME20"},
                     idempotency_key="back-0004")  # fmt: skip
    assert back.response["items"]["data"][0]["price"]["id"] == business


def test_a_first_payment_left_waiting_is_paid_not_made_twice(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, churned: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, change_plan_on_resubscribe=True)
    team, business = churned["prices"]["team_monthly"], churned["prices"]["business_monthly"]
    first = portal.act(_ada(portal), "subscribe", {"price": team}, idempotency_key="pick-0001")
    assert first.response["status"] == "incomplete"

    # The customer closed the card form and picks the same plan again, as a new intent.
    writes = len(stripe_sandbox.writes())
    again = portal.act(_ada(portal), "subscribe", {"price": team}, idempotency_key="pick-0002")
    assert again.response["id"] == first.response["id"]
    assert again.confirmation == first.confirmation
    assert len(stripe_sandbox.writes()) == writes
    # Another plan of the service waits until that payment is made or lapses.
    assert_refused(stripe_sandbox, Conflict, "payment_pending",
                   lambda: portal.act(_ada(portal), "subscribe", {"price": business},
                                      idempotency_key="pick-0003"))  # fmt: skip
    live = stripe_client.v1.subscriptions.list({"customer": churned["customer"]}).data
    assert [s.id for s in live if s.status == "incomplete"] == [first.response["id"]]


def test_resubscribing_keeps_the_quantity_within_the_plans_bounds(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    team, seats = demo["subscriptions"]
    # The site set ten seats of a plan whose quantity customers do not choose.
    item = stripe_client.v1.subscriptions.retrieve(team)["items"].data[0]
    stripe_client.v1.subscriptions.update(team, {"items": [{"id": item.id, "quantity": 10}]})
    stripe_client.v1.subscriptions.update(
        seats, {"items": [{"id": stripe_client.v1.subscriptions.retrieve(seats)["items"].data[0].id,
                           "quantity": 50}]}
    )  # fmt: skip
    stripe_client.v1.products.update(
        demo["products"]["seats"], {"metadata": {"sb_quantity_max": "20"}}
    )
    for subscription in (team, seats):
        stripe_client.v1.subscriptions.cancel(subscription)
    portal = _portal(stripe_sandbox)

    kept = portal.act(_ada(portal), "resubscribe", {"subscription": team},
                      idempotency_key="again-0001")  # fmt: skip
    clamped = portal.act(_ada(portal), "resubscribe", {"subscription": seats},
                         idempotency_key="again-0002")  # fmt: skip

    assert kept.response["items"]["data"][0]["quantity"] == 10
    assert clamped.response["items"]["data"][0]["quantity"] == 20


def test_a_new_plan_must_take_the_current_quantity(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    seats = demo["subscriptions"][1]
    small = stripe_client.v1.products.create(
        {"name": "Seats, small team", "unit_label": "seat",
         "metadata": {"sb_service": "billflow-demo-seats", "sb_quantity_enabled": "true",
                      "sb_quantity_max": "2"}}
    )  # fmt: skip
    flat = stripe_client.v1.products.create(
        {"name": "Seats, unlimited", "metadata": {"sb_service": "billflow-demo-seats"}}
    )
    prices = {
        name: stripe_client.v1.prices.create(
            {"product": product.id, "currency": "usd", "unit_amount": amount,
             "recurring": {"interval": "month"}}
        ).id
        for name, product, amount in (("small", small, 700), ("flat", flat, 9900))
    }  # fmt: skip
    portal = _portal(stripe_sandbox)
    for name in ("small", "flat"):  # three seats: more than the small plan's two, not one
        assert_refused(stripe_sandbox, BadInput, "plan_quantity_mismatch",
                       lambda name=name: portal.act(
                           _ada(portal), "change_plan",
                           {"subscription": seats, "price": prices[name]},
                           idempotency_key=f"fit-{name}-01"))  # fmt: skip
    portal.act(_ada(portal), "change_quantity", {"subscription": seats, "quantity": 2},
               idempotency_key="fit-fewer-01")  # fmt: skip
    moved = portal.act(_ada(portal), "change_plan",
                       {"subscription": seats, "price": prices["small"]},
                       idempotency_key="fit-small-02")  # fmt: skip
    assert moved.response["items"]["data"][0]["quantity"] == 2
