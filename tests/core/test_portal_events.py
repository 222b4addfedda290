"""The portal's events on the server: a listener hears each applied action once, under the
page's event name, with a flat allow-listed `data` and an id stable across retries."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from past_due import bill_on_a_failing_card

from billflow_core import EventNotRecorded, MemoryAnswers, PortalEvent, user_hash
from billflow_core.events import DATA_FIELDS, STRIPE_DATA_FIELDS, event_id
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox, sign
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


def test_a_listener_that_fails_answers_503_and_the_retry_announces_the_event(
    stripe_sandbox: Sandbox, demo: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[PortalEvent] = []
    portal = make_portal(stripe_sandbox, heard)
    kept: list[PortalEvent] = []
    failures = [OSError("database is locked")]

    @portal.on_event
    def outbox(event: PortalEvent) -> None:
        if failures:
            raise failures.pop()
        kept.append(event)

    team = demo["subscriptions"][0]
    business = demo["prices"]["business_monthly"]
    change = {"subscription": team, "price": business}
    with pytest.raises(EventNotRecorded) as refused:
        portal.act(ada(portal), "change_plan", change, idempotency_key="intent-broken")

    assert (refused.value.status, refused.value.code) == (503, "event_not_recorded")
    [view] = [s for s in portal.state(ada(portal)).subscriptions if s.id == team]
    assert view.price_id == business  # the change stands
    assert f"could not keep the change_plan event {heard[0].id}" in caplog.text
    writes = len(stripe_sandbox.writes())

    again = portal.act(ada(portal), "change_plan", change, idempotency_key="intent-broken")

    assert again.action == "change_plan"  # the first answer, not "already the plan"
    assert len(stripe_sandbox.writes()) == writes
    assert [e.id for e in kept] == [heard[0].id]
    portal.act(ada(portal), "change_plan", change, idempotency_key="intent-broken")
    assert len(kept) == 1  # announced once it was kept, not at every later retry


# -- what waits on a payment, and Stripe's own events -------------------------------------------
WEBHOOK_SECRET = "whsec_" + "e" * 32


def webhook_portal(sandbox: Sandbox, heard: list[PortalEvent]) -> Portal:
    portal = Portal(
        PortalSettings(),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    portal.on_event(heard.append)
    return portal


def deliver(portal: Portal, event_id: str, event_type: str, obj: Any) -> str:
    """A Stripe event for `obj` (as the sandbox now holds it), signed as Stripe signs."""
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type,
                          "data": {"object": obj}}, default=str).encode()  # fmt: skip
    return portal.handle_webhook(payload, sign(payload, WEBHOOK_SECRET, int(time.time())))


def test_a_subscription_waiting_on_its_payment_is_announced_once_stripe_says_it_is_paid(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = webhook_portal(stripe_sandbox, heard)
    newcomer = "grace@example.com"
    visitor = portal.visitor(newcomer, user_hash(SECRET, newcomer))
    price = demo["prices"]["starter_monthly"]

    result = portal.act(visitor, "subscribe", {"price": price}, idempotency_key="intent-wait")
    assert result.confirmation is not None and heard == []

    v1 = stripe_client.v1
    subscription = v1.subscriptions.retrieve(result.response["id"])
    card = v1.payment_methods.attach("pm_card_visa", {"customer": subscription.customer})
    invoice = v1.invoices.pay(subscription.latest_invoice, {"payment_method": card.id})
    deliver(portal, "evt_paid_1", "invoice.paid", invoice.to_dict())

    created, relayed = heard
    assert created.type == "create_subscription"
    assert created.id == event_id(subscription.customer, "intent-wait", "create_subscription")
    assert created.data["status"] == "active" and created.data["price_id"] == price
    assert relayed.type == "stripe.invoice.paid" and relayed.id == "evt_paid_1"
    assert relayed.data["invoice_id"] == invoice.id
    assert relayed.data["subscription_id"] == subscription.id
    assert relayed.data["amount"] == invoice.amount_paid


def test_stripe_events_are_relayed_flat_without_metadata(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = webhook_portal(stripe_sandbox, heard)
    team = stripe_client.v1.subscriptions.update(
        demo["subscriptions"][0], {"metadata": {"internal_note": "VIP, discount ok"}}
    )

    assert (
        deliver(portal, "evt_sub_1", "customer.subscription.updated", team.to_dict()) == "ignored"
    )
    assert (
        deliver(portal, "evt_sub_1", "customer.subscription.updated", team.to_dict()) == "duplicate"
    )

    [event] = heard
    assert event.type == "stripe.customer.subscription.updated"
    assert tuple(event.data) == STRIPE_DATA_FIELDS
    assert event.data["subscription_id"] == team.id and event.data["customer_id"] == team.customer
    assert event.data["price_id"] == demo["prices"]["team_monthly"]
    assert "VIP" not in json.dumps(event.payload())


def test_a_listener_that_fails_on_a_stripe_event_has_it_delivered_again(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    heard: list[PortalEvent] = []
    portal = webhook_portal(stripe_sandbox, heard)
    failures = [OSError("database is locked")]

    @portal.on_event
    def flaky(event: PortalEvent) -> None:
        if failures:
            raise failures.pop()

    team = stripe_client.v1.subscriptions.retrieve(demo["subscriptions"][0]).to_dict()
    with pytest.raises(EventNotRecorded):
        deliver(portal, "evt_retry_1", "customer.subscription.updated", team)
    # Stripe retries the event the site answered 503: it is not taken as a duplicate.
    assert deliver(portal, "evt_retry_1", "customer.subscription.updated", team) == "ignored"
    assert [e.id for e in heard] == ["evt_retry_1", "evt_retry_1"]


def test_an_invoice_paid_in_the_page_is_announced_once_stripe_says_it_is_paid(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    """`pay_invoice` on a card that fails hands the page the invoice's payment: its event
    waits for that invoice, names the subscription it bills, and comes once."""
    heard: list[PortalEvent] = []
    portal = webhook_portal(stripe_sandbox, heard)
    v1 = stripe_client.v1
    seats = demo["subscriptions"][1]
    owed = bill_on_a_failing_card(stripe_client, demo["customer"], seats)

    held = portal.act(ada(portal), "pay_invoice", {"invoice": owed},
                      idempotency_key="intent-pay-1")  # fmt: skip
    assert held.confirmation is not None and heard == []

    card = v1.payment_methods.attach("pm_card_visa", {"customer": demo["customer"]})
    invoice = v1.invoices.pay(owed, {"payment_method": card.id})
    deliver(portal, "evt_paid_2", "invoice.paid", invoice.to_dict())

    (paid,) = [event for event in heard if event.type == "pay_invoice"]
    assert paid.id == event_id(demo["customer"], "intent-pay-1", "pay_invoice")
    assert paid.data["subscription_id"] == seats
