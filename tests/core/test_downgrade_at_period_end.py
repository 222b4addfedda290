"""`downgrade_at_period_end`: a cheaper plan (or fewer units) waits for the end of the paid
period, through a Stripe subscription schedule, and can be undone until then; upgrades still
apply at once, and a schedule of the site's own is never touched."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import Conflict, StripeUnavailable
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "downgrade-test-secret-0123456789"
HOUR = 3600


def _portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**{"downgrade_at_period_end": True, **options}),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def _ada(portal: Portal) -> Visitor:
    return portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))


def _view(portal: Portal, subscription: str) -> Any:
    return next(v for v in portal.state(_ada(portal)).subscriptions if v.id == subscription)


def _past_period_end(client: stripe.StripeClient, demo: dict[str, Any], view: Any) -> None:
    client.v1.test_helpers.test_clocks.advance(
        demo["test_clock"], {"frozen_time": view.current_period_end + HOUR}
    )


def test_a_downgrade_waits_for_the_period_end_then_renews_on_the_cheaper_plan(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    team = demo["subscriptions"][0]
    starter = demo["prices"]["starter_monthly"]
    before = _view(portal, team)
    invoices = len(stripe_client.v1.invoices.list({"subscription": team, "limit": 100}).data)

    preview = portal.preview(_ada(portal), {"subscription": team, "price": starter})
    assert (preview.amount_due, preview.takes_effect_at) == (0, before.current_period_end)
    result = portal.act(_ada(portal), "change_plan", {"subscription": team, "price": starter},
                        idempotency_key="downgrade-01")  # fmt: skip

    view = next(v for v in result.state.subscriptions if v.id == team)
    assert view.price_id == demo["prices"]["team_monthly"]  # paid for until the period ends
    assert view.scheduled_change is not None
    assert (view.scheduled_change.price_id, view.scheduled_change.at) == (
        starter,
        before.current_period_end,
    )
    assert "undo_downgrade" in view.allowed
    assert result.state == portal.state(_ada(portal))
    assert len(stripe_client.v1.invoices.list({"subscription": team, "limit": 100}).data) == (
        invoices
    )  # nothing billed or credited now

    _past_period_end(stripe_client, demo, before)

    renewed = _view(portal, team)
    assert renewed.price_id == starter and renewed.scheduled_change is None
    latest = stripe_client.v1.invoices.list({"subscription": team, "limit": 1}).data[0]
    assert latest.amount_paid == renewed.amount  # the cheaper plan, with no proration


def test_an_undone_downgrade_leaves_the_plan_as_it_was(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    team = demo["subscriptions"][0]
    before = _view(portal, team)
    portal.act(_ada(portal), "change_plan",
               {"subscription": team, "price": demo["prices"]["starter_monthly"]},
               idempotency_key="downgrade-02")  # fmt: skip

    undone = portal.act(_ada(portal), "undo_downgrade", {"subscription": team},
                        idempotency_key="undo-down-02")  # fmt: skip
    assert next(v for v in undone.state.subscriptions if v.id == team).scheduled_change is None
    assert undone.state == portal.state(_ada(portal))
    assert_refused(
        stripe_sandbox,
        Conflict,
        "no_change_pending",
        lambda: portal.act(_ada(portal), "undo_downgrade", {"subscription": team},
                           idempotency_key="undo-down-03"),
    )  # fmt: skip

    _past_period_end(stripe_client, demo, before)
    assert _view(portal, team).price_id == demo["prices"]["team_monthly"]


def test_an_upgrade_or_a_cancellation_replaces_the_waiting_downgrade(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    team = demo["subscriptions"][0]
    business = demo["prices"]["business_monthly"]
    for number in (1, 2):
        portal.act(_ada(portal), "change_plan",
                   {"subscription": team, "price": demo["prices"]["starter_monthly"]},
                   idempotency_key=f"downgrade-1{number}")  # fmt: skip
        if number == 1:
            done = portal.act(_ada(portal), "change_plan",
                              {"subscription": team, "price": business},
                              idempotency_key="upgrade-now-1")  # fmt: skip
            view = next(v for v in done.state.subscriptions if v.id == team)
            assert view.price_id == business and view.scheduled_change is None
            assert stripe_client.v1.subscriptions.retrieve(team).schedule is None
        else:
            done = portal.act(_ada(portal), "cancel",
                              {"subscription": team, "reason": "unused"},
                              idempotency_key="cancel-down-1")  # fmt: skip
            view = next(v for v in done.state.subscriptions if v.id == team)
            assert view.cancel_at == view.current_period_end and view.scheduled_change is None
        assert done.state == portal.state(_ada(portal))


def test_fewer_units_wait_too_more_apply_now_and_the_option_off_applies_all_now(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    seats = demo["subscriptions"][1]
    fewer = portal.act(_ada(portal), "change_quantity", {"subscription": seats, "quantity": 2},
                       idempotency_key="fewer-seats-1")  # fmt: skip
    view = next(v for v in fewer.state.subscriptions if v.id == seats)
    assert view.quantity == 3 and view.scheduled_change is not None
    assert view.scheduled_change.quantity == 2
    assert_refused(
        stripe_sandbox,
        Conflict,
        "change_pending",
        lambda: portal.act(_ada(portal), "change_quantity",
                           {"subscription": seats, "quantity": 5},
                           idempotency_key="more-seats-1"),
    )  # fmt: skip
    portal.act(_ada(portal), "undo_downgrade", {"subscription": seats},
               idempotency_key="undo-seats-1")  # fmt: skip
    more = portal.act(_ada(portal), "change_quantity", {"subscription": seats, "quantity": 5},
                      idempotency_key="more-seats-2")  # fmt: skip
    assert next(v for v in more.state.subscriptions if v.id == seats).quantity == 5

    now = _portal(stripe_sandbox, downgrade_at_period_end=False)
    applied = now.act(_ada(now), "change_quantity", {"subscription": seats, "quantity": 1},
                      idempotency_key="fewer-seats-2")  # fmt: skip
    view = next(v for v in applied.state.subscriptions if v.id == seats)
    assert view.quantity == 1 and view.scheduled_change is None


def test_discounts_carry_over_to_the_cheaper_plan(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox, coupons=True)
    team = demo["subscriptions"][0]
    before = _view(portal, team)
    portal.act(_ada(portal), "apply_coupon", {"subscription": team, "coupon": "WELCOME20"},
               idempotency_key="coupon-down-1")  # fmt: skip
    portal.act(_ada(portal), "change_plan",
               {"subscription": team, "price": demo["prices"]["starter_monthly"]},
               idempotency_key="downgrade-31")  # fmt: skip

    _past_period_end(stripe_client, demo, before)

    renewed = _view(portal, team)
    assert renewed.discount is not None and renewed.discount.percent_off == 20
    latest = stripe_client.v1.invoices.list({"subscription": team, "limit": 1}).data[0]
    assert latest.amount_paid == renewed.amount * 80 // 100


def test_a_schedule_of_the_sites_own_is_never_touched(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    team = demo["subscriptions"][0]
    theirs = stripe_client.v1.subscription_schedules.create({"from_subscription": team})
    first = theirs.phases[0]
    stripe_client.v1.subscription_schedules.update(
        theirs.id,
        {
            "phases": [
                {"items": [{"price": demo["prices"]["team_monthly"]}],
                 "start_date": first.start_date, "end_date": first.end_date},
                {"items": [{"price": demo["prices"]["team_yearly"]}]},
            ]
        },
    )  # fmt: skip
    portal = _portal(stripe_sandbox)
    for number, price in enumerate(("starter_monthly", "business_monthly")):
        assert_refused(
            stripe_sandbox,
            Conflict,
            "managed_by_schedule",
            lambda price=price, number=number: portal.act(
                _ada(portal), "change_plan",
                {"subscription": team, "price": demo["prices"][price]},
                idempotency_key=f"theirs-{number:04}",
            ),
        )  # fmt: skip
    assert_refused(
        stripe_sandbox,
        Conflict,
        "managed_by_schedule",
        lambda: portal.act(_ada(portal), "cancel", {"subscription": team, "reason": "unused"},
                           idempotency_key="theirs-cancel"),
    )  # fmt: skip
    assert _view(portal, team).allowed == frozenset()


def test_a_schedule_that_changes_nothing_is_taken_over(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    team = demo["subscriptions"][0]
    idle = stripe_client.v1.subscription_schedules.create({"from_subscription": team})
    portal = _portal(stripe_sandbox)
    assert "cancel" in _view(portal, team).allowed

    result = portal.act(_ada(portal), "change_plan",
                        {"subscription": team, "price": demo["prices"]["starter_monthly"]},
                        idempotency_key="take-over-1")  # fmt: skip

    view = next(v for v in result.state.subscriptions if v.id == team)
    assert view.scheduled_change is not None
    assert stripe_client.v1.subscriptions.retrieve(team).schedule == idle.id


def test_a_retry_after_the_schedule_was_made_but_not_set_finishes_the_downgrade(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    portal = _portal(stripe_sandbox)
    team = demo["subscriptions"][0]
    payload = {"subscription": team, "price": demo["prices"]["starter_monthly"]}
    stripe_sandbox.fault("POST /v1/subscription_schedules/*", "500", times=3)
    with pytest.raises(StripeUnavailable):
        portal.act(_ada(portal), "change_plan", payload, idempotency_key="interrupted-1")

    result = portal.act(_ada(portal), "change_plan", payload, idempotency_key="interrupted-1")

    view = next(v for v in result.state.subscriptions if v.id == team)
    assert view.scheduled_change is not None
    made = [w for w in stripe_sandbox.writes() if w.path.startswith("/v1/subscription_schedules")]
    assert [(w.method, w.path.count("/")) for w in made] == [("POST", 2), ("POST", 3)]
