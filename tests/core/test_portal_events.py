"""The portal's events on the server: a listener hears each applied action once, under the
page's event name, with a flat allow-listed `data` and an id stable across retries."""

from __future__ import annotations

from typing import Any

import pytest

from billflow_core import EventNotRecorded, MemoryAnswers, PortalEvent, user_hash
from billflow_core.events import DATA_FIELDS, event_id
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "portal-events-secret-0123456789"


def make_portal(
    sandbox: Sandbox, heard: list[PortalEvent], answers: MemoryAnswers | None = None, **options: Any
) -> Portal:
    portal = Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        answers=answers,
    )
    portal.on_event(heard.append)
    return portal


def ada(portal: Portal) -> Visitor:
    return portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))


def test_each_applied_action_is_heard_once_with_its_page_event_name_and_flat_data(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = make_portal(stripe_sandbox, heard, coupons=True)
    team, seats = demo["subscriptions"]
    business = demo["prices"]["business_monthly"]

    portal.act(ada(portal), "change_plan", {"subscription": team, "price": business},
               idempotency_key="intent-plan")  # fmt: skip
    portal.act(ada(portal), "change_quantity", {"subscription": seats, "quantity": 5},
               idempotency_key="intent-seats")  # fmt: skip
    portal.act(ada(portal), "cancel",
               {"subscription": team, "reason": "too_expensive", "comment": "Less, please."},
               idempotency_key="intent-cancel")  # fmt: skip

    assert [event.type for event in heard] == ["change_plan", "change_quantity", "cancel"]
    plan, quantity, cancel = heard
    for event in heard:
        assert tuple(event.data) == DATA_FIELDS
        assert event.data["customer_id"] == demo["customer"]
        assert event.data["customer_email"] == DEMO_EMAIL
    assert plan.data["subscription_id"] == team
    assert plan.data["price_id"] == business
    assert plan.data["product_id"] == demo["products"]["business"]
    assert plan.data["product_name"] == "Business"
    assert (plan.data["currency"], plan.data["interval"]) == ("usd", "month")
    assert plan.data["amount"] > 0 and plan.data["status"] == "active"
    assert quantity.data["quantity"] == 5 and quantity.data["subscription_id"] == seats
    assert cancel.data["cancel_reason"] == "too_expensive"
    assert cancel.data["cancel_comment"] == "Less, please."
    assert cancel.data["cancel_at"] is not None
    assert plan.id == event_id(demo["customer"], "intent-plan", "change_plan")
    assert plan.payload() == {
        "type": "change_plan",
        "timestamp": plan.occurred_at,
        "data": dict(plan.data),
    }


def test_a_retried_intent_is_heard_once_on_any_server_sharing_the_answers(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    answers = MemoryAnswers()  # what several app servers share (a database, Redis)
    heard: list[PortalEvent] = []
    first = make_portal(stripe_sandbox, heard, answers=answers)
    elsewhere: list[PortalEvent] = []
    second = make_portal(stripe_sandbox, elsewhere, answers=answers)
    team = demo["subscriptions"][0]
    payload = {"subscription": team, "price": demo["prices"]["business_monthly"]}

    first.act(ada(first), "change_plan", payload, idempotency_key="intent-once")
    first.act(ada(first), "change_plan", payload, idempotency_key="intent-once")
    second.act(ada(second), "change_plan", payload, idempotency_key="intent-once")

    assert [event.type for event in heard] == ["change_plan"]
    assert elsewhere == []


def test_a_step_or_a_change_awaiting_payment_is_not_an_event(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = make_portal(stripe_sandbox, heard)

    setup = portal.act(ada(portal), "setup_payment_method", {}, idempotency_key="intent-card")
    assert setup.confirmation is not None and setup.confirmation.kind == "setup"
    newcomer = "grace@example.com"
    visitor = portal.visitor(newcomer, user_hash(SECRET, newcomer))
    price = demo["prices"]["starter_monthly"]
    first = portal.act(visitor, "subscribe", {"price": price}, idempotency_key="intent-new")
    assert first.confirmation is not None and first.confirmation.kind == "payment"

    assert heard == []


def test_a_page_variant_announces_to_the_sites_listeners(
    stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = make_portal(stripe_sandbox, heard)
    variant = portal.with_overrides({"show_all_invoices": True})
    team = demo["subscriptions"][0]

    variant.act(
        ada(variant),
        "cancel",
        {"subscription": team, "reason": "unused"},
        idempotency_key="intent-page",
    )

    assert [event.type for event in heard] == ["cancel"]


def test_a_listener_that_fails_answers_503_and_the_change_stands(
    stripe_sandbox: Sandbox, demo: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[PortalEvent] = []
    portal = make_portal(stripe_sandbox, heard)

    @portal.on_event
    def broken_outbox(event: PortalEvent) -> None:
        raise OSError("database is locked")

    team = demo["subscriptions"][0]
    business = demo["prices"]["business_monthly"]
    with pytest.raises(EventNotRecorded) as refused:
        portal.act(ada(portal), "change_plan", {"subscription": team, "price": business},
                   idempotency_key="intent-broken")  # fmt: skip

    assert (refused.value.status, refused.value.code) == (503, "event_not_recorded")
    [view] = [s for s in portal.state(ada(portal)).subscriptions if s.id == team]
    assert view.price_id == business
    [event] = heard
    assert f"could not keep the change_plan event {event.id}" in caplog.text
