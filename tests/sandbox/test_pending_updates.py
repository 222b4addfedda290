"""Pending updates (`payment_behavior=pending_if_incomplete`), as Stripe documents them: a plan
change billed at once takes effect only when its invoice is paid. Until then the subscription
keeps its items and shows the change in `pending_update`; paying the invoice (the page
confirming its payment intent, or `invoices.pay`) applies it, and 23 hours unpaid (or the end
of the period, if sooner) drop it and void the invoice.

Every scenario runs on a test clock: the subscription starts 2026-01-01 on a 10.00 USD monthly
plan and moves to 30.00 on 11 January, 21 of January's 31 days before the period ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe
from scenes import DAY, HOUR, JAN_1, customer_on_clock, price
from shape_compare import shape_differences

from billflow_sandbox import Sandbox

FEB_1 = JAN_1 + 31 * DAY
MID_JAN = JAN_1 + 10 * DAY
UPGRADE_DUE = round(2000 * 21 / 31)  # 30.00 for the rest of January, less 10.00 unused
EXPIRY = 23 * HOUR


@dataclass
class Shop:
    sandbox: Sandbox
    client: stripe.StripeClient
    v1: Any
    basic: str  # 10.00 USD a month
    premium: str  # 30.00 USD a month
    yearly: str  # 100.00 USD a year


@pytest.fixture
def shop(stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient) -> Shop:
    v1 = stripe_client.v1
    return Shop(
        stripe_sandbox,
        stripe_client,
        v1,
        price(v1, 1000, name="Basic"),
        price(v1, 3000, name="Premium"),
        price(v1, 10000, "year", name="Yearly"),
    )


@dataclass
class Member:
    clock: str
    customer: str
    sub: stripe.Subscription
    item: str


def _member(shop: Shop, card: str) -> Member:
    """A customer on Basic since 1 January, its first invoice paid; on 11 January its default
    card becomes `card` (a test payment method id)."""
    clock, customer = customer_on_clock(shop.v1, "ada@example.com")
    sub = shop.v1.subscriptions.create({"customer": customer, "items": [{"price": shop.basic}]})
    assert sub.status == "active"
    _advance(shop, clock, MID_JAN)
    pm = shop.v1.payment_methods.attach(card, {"customer": customer})
    shop.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": pm.id}})
    return Member(clock, customer, sub, sub["items"].data[0].id)


def _advance(shop: Shop, clock: str, to: int) -> None:
    shop.v1.test_helpers.test_clocks.advance(clock, {"frozen_time": to})


def _change(shop: Shop, member: Member, to: str, **extra: Any) -> stripe.Subscription:
    """The portal's plan change: billed now, applied only once paid."""
    return shop.v1.subscriptions.update(
        member.sub.id,
        {
            "items": [{"id": member.item, "price": to}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
            "expand": ["latest_invoice.payments"],
            **extra,
        },
    )


def _intent_of(shop: Shop, invoice: stripe.Invoice) -> stripe.PaymentIntent:
    [payment] = invoice.payments.data
    return shop.v1.payment_intents.retrieve(payment.payment.payment_intent)


def _events(shop: Shop, kind: str) -> list[stripe.Event]:
    return list(shop.v1.events.list({"type": kind, "limit": 100}).data)


def _confirm_as_the_page_does(shop: Shop, invoice_id: str) -> None:
    """What the portal page does through Stripe.js with the invoice's client secret and the
    publishable key: confirm the payment intent, then pass the 3D Secure challenge."""
    invoice = shop.v1.invoices.retrieve(invoice_id, {"expand": ["confirmation_secret"]})
    secret = invoice.confirmation_secret.client_secret
    intent_id = secret.partition("_secret_")[0]
    headers = {"Authorization": f"Bearer {shop.sandbox.publishable_key}"}
    for path, body in (
        (f"/v1/payment_intents/{intent_id}/confirm", {"client_secret": secret}),
        (f"/_sandbox/authenticate/{intent_id}", {"client_secret": secret, "outcome": "complete"}),
    ):
        answer = requests.post(shop.sandbox.url + path, data=body, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded"


# -- paid at once ------------------------------------------------------------------------------
def test_an_upgrade_paid_at_once_applies_and_leaves_no_pending_update(shop: Shop) -> None:
    member = _member(shop, "pm_card_visa")

    changed = _change(shop, member, shop.premium)

    assert changed.pending_update is None
    assert changed.status == "active"
    [item] = changed["items"].data
    assert (item.id, item.price.id) == (member.item, shop.premium)
    invoice = changed.latest_invoice
    assert (invoice.status, invoice.amount_paid) == ("paid", UPGRADE_DUE)
    assert _events(shop, "customer.subscription.pending_update_applied") == []


def test_a_change_that_bills_nothing_now_applies_at_once_whatever_the_card(shop: Shop) -> None:
    member = _member(shop, "pm_card_authenticationRequired")

    changed = _change(shop, member, shop.premium, proration_behavior="create_prorations")

    assert changed.pending_update is None
    assert changed["items"].data[0].price.id == shop.premium
    assert changed.latest_invoice.id == member.sub.latest_invoice  # no new invoice


# -- a card that needs authentication ----------------------------------------------------------
def test_a_card_needing_authentication_holds_the_upgrade_in_pending_update(shop: Shop) -> None:
    member = _member(shop, "pm_card_authenticationRequired")

    held = _change(shop, member, shop.premium)

    assert held.status == "active"  # not past_due: nothing changed yet
    [item] = held["items"].data
    assert (item.id, item.price.id, item.current_period_end) == (member.item, shop.basic, FEB_1)
    pending = held.pending_update
    assert pending.expires_at == MID_JAN + EXPIRY
    assert pending.billing_cycle_anchor is None
    [would_be] = pending.subscription_items
    assert (would_be.id, would_be.price.id, would_be.plan.amount) == (
        member.item,
        shop.premium,
        3000,
    )
    assert (would_be.quantity, would_be.current_period_end) == (1, FEB_1)
    invoice = held.latest_invoice
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == ("open", UPGRADE_DUE, 0)
    intent = _intent_of(shop, invoice)
    assert (intent.status, intent.next_action.type) == ("requires_action", "use_stripe_sdk")
    assert shop.v1.subscriptions.retrieve(held.id).pending_update.expires_at == pending.expires_at
    [updated] = _events(shop, "customer.subscription.updated")[:1]
    assert updated.data.object.pending_update.expires_at == pending.expires_at
    assert updated.data.previous_attributes.pending_update is None


def test_confirming_the_payment_on_the_page_applies_the_pending_update(shop: Shop) -> None:
    member = _member(shop, "pm_card_authenticationRequired")
    held = _change(shop, member, shop.premium, metadata={"plan": "premium"})
    assert held.metadata.to_dict() == {}  # held too, until paid

    _confirm_as_the_page_does(shop, held.latest_invoice.id)

    applied = shop.v1.subscriptions.retrieve(held.id, {"expand": ["latest_invoice"]})
    assert applied.pending_update is None
    [item] = applied["items"].data
    assert (item.id, item.price.id, item.current_period_end) == (member.item, shop.premium, FEB_1)
    assert applied.metadata.to_dict() == {"plan": "premium"}
    assert (applied.latest_invoice.status, applied.latest_invoice.amount_paid) == (
        "paid",
        UPGRADE_DUE,
    )
    [event] = _events(shop, "customer.subscription.pending_update_applied")
    assert event.data.object["items"].data[0].price.id == shop.premium
    assert event.data.object.pending_update is None
    latest = _events(shop, "customer.subscription.updated")[0]
    assert latest.data.previous_attributes["items"].data[0].price.id == shop.basic
    assert latest.data.previous_attributes.pending_update.expires_at == MID_JAN + EXPIRY
    order = [e.type for e in reversed(shop.v1.events.list({"limit": 5}).data)]
    assert order[-3:] == [
        "invoice.payment_succeeded",
        "customer.subscription.pending_update_applied",
        "customer.subscription.updated",
    ]


# -- a declined card ---------------------------------------------------------------------------
def test_a_declined_upgrade_waits_until_its_invoice_is_paid_with_another_card(
    shop: Shop,
) -> None:
    member = _member(shop, "pm_card_chargeCustomerFail")
    held = _change(shop, member, shop.premium)
    invoice = held.latest_invoice
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert _intent_of(shop, invoice).status == "requires_payment_method"
    assert held["items"].data[0].price.id == shop.basic
    expires = held.pending_update.expires_at

    # A retry that fails again leaves the pending update as it was, expiry and all.
    _advance(shop, member.clock, MID_JAN + HOUR)
    with pytest.raises(stripe.CardError):
        shop.v1.invoices.pay(invoice.id)
    still = shop.v1.subscriptions.retrieve(held.id)
    assert (still.pending_update.expires_at, still["items"].data[0].price.id) == (
        expires,
        shop.basic,
    )

    visa = shop.v1.payment_methods.attach("pm_card_visa", {"customer": member.customer})
    paid = shop.v1.invoices.pay(invoice.id, {"payment_method": visa.id})

    assert (paid.status, paid.amount_paid) == ("paid", UPGRADE_DUE)
    applied = shop.v1.subscriptions.retrieve(held.id)
    assert applied.pending_update is None
    assert applied["items"].data[0].price.id == shop.premium
    assert applied.status == "active"
    assert len(_events(shop, "customer.subscription.pending_update_applied")) == 1


def test_a_held_interval_change_restarts_the_cycle_only_when_paid(shop: Shop) -> None:
    member = _member(shop, "pm_card_chargeCustomerFail")
    held = _change(shop, member, shop.yearly)
    assert held.pending_update.billing_cycle_anchor == MID_JAN
    assert held.pending_update.subscription_items[0].current_period_start == MID_JAN
    assert (held.billing_cycle_anchor, held["items"].data[0].current_period_end) == (
        JAN_1,
        FEB_1,
    )

    _advance(shop, member.clock, MID_JAN + 2 * HOUR)
    visa = shop.v1.payment_methods.attach("pm_card_visa", {"customer": member.customer})
    shop.v1.invoices.pay(held.latest_invoice.id, {"payment_method": visa.id})

    applied = shop.v1.subscriptions.retrieve(held.id)
    [item] = applied["items"].data
    assert item.price.id == shop.yearly
    assert applied.billing_cycle_anchor == MID_JAN  # the cycle it was billed for
    assert (item.current_period_start, item.current_period_end) == (MID_JAN, MID_JAN + 365 * DAY)


# -- expiry --------------------------------------------------------------------------------------
def test_an_unpaid_pending_update_expires_after_23_hours_and_its_invoice_is_voided(
    shop: Shop,
) -> None:
    member = _member(shop, "pm_card_authenticationRequired")
    held = _change(shop, member, shop.premium)
    expires = MID_JAN + EXPIRY

    _advance(shop, member.clock, expires - 1)
    assert shop.v1.subscriptions.retrieve(held.id).pending_update is not None

    _advance(shop, member.clock, expires + HOUR)

    after = shop.v1.subscriptions.retrieve(held.id, {"expand": ["latest_invoice"]})
    assert after.pending_update is None
    assert after.status == "active"
    assert after["items"].data[0].price.id == shop.basic
    assert after.latest_invoice.id == held.latest_invoice.id
    assert after.latest_invoice.status == "void"
    assert after.latest_invoice.status_transitions.voided_at == expires
    [expired] = _events(shop, "customer.subscription.pending_update_expired")
    assert expired.data.object.pending_update is None
    assert _events(shop, "customer.subscription.pending_update_applied") == []


def test_a_pending_update_made_near_the_period_end_expires_with_the_period(shop: Shop) -> None:
    member = _member(shop, "pm_card_chargeCustomerFail")
    _advance(shop, member.clock, FEB_1 - 5 * HOUR)
    held = _change(shop, member, shop.premium)
    assert held.pending_update.expires_at == FEB_1  # sooner than 23 hours

    _advance(shop, member.clock, FEB_1 + HOUR)

    renewed = shop.v1.subscriptions.retrieve(held.id, {"expand": ["latest_invoice"]})
    assert renewed.pending_update is None
    assert shop.v1.invoices.retrieve(held.latest_invoice.id).status == "void"
    # The renewal bills the plan the subscription kept.
    renewal = renewed.latest_invoice
    assert renewal.billing_reason == "subscription_cycle"
    assert [line.pricing.price_details.price for line in renewal.lines.data] == [shop.basic]


# -- refusals ----------------------------------------------------------------------------------
def _refused(shop: Shop, call: Callable[[], Any], param: str, message: str) -> None:
    before = shop.sandbox.fingerprint()
    writes = len(shop.sandbox.writes())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call()
    assert (refused.value.http_status, refused.value.param) == (400, param)
    assert refused.value.code is None
    assert message in str(refused.value.user_message)
    assert shop.sandbox.fingerprint() == before
    assert len(shop.sandbox.writes()) == writes


def test_parameters_a_pending_update_cannot_carry_are_refused_and_change_nothing(
    shop: Shop,
) -> None:
    member = _member(shop, "pm_card_authenticationRequired")
    stripe_refuses = "You cannot pass"
    for extra, param in (
        ({"default_payment_method": "pm_card_visa"}, "default_payment_method"),
        ({"cancel_at": FEB_1 - DAY}, "cancel_at"),
        ({"off_session": True}, "off_session"),
        ({"description": "Premium"}, "description"),
    ):
        _refused(
            shop,
            lambda extra=extra: _change(shop, member, shop.premium, **extra),
            param,
            stripe_refuses,
        )
    _refused(
        shop,
        lambda: shop.v1.subscriptions.update(
            member.sub.id,
            {
                "items": [{"id": member.item, "price": shop.premium, "metadata": {"a": "b"}}],
                "payment_behavior": "pending_if_incomplete",
            },
        ),
        "items[0][metadata]",
        stripe_refuses,
    )
    # Stripe takes these with a pending update; the sandbox does not model them there.
    sandbox_refuses = "does not implement"
    _refused(
        shop,
        lambda: _change(shop, member, shop.premium, cancel_at_period_end=True),
        "cancel_at_period_end",
        sandbox_refuses,
    )
    _refused(
        shop,
        lambda: _change(shop, member, shop.premium, discounts=[{"coupon": "SPRING"}]),
        "discounts",
        sandbox_refuses,
    )


def test_another_plan_change_is_refused_while_an_update_is_pending(shop: Shop) -> None:
    member = _member(shop, "pm_card_authenticationRequired")
    _change(shop, member, shop.premium)

    _refused(shop, lambda: _change(shop, member, shop.yearly), "items", "does not implement")
    _refused(
        shop,
        lambda: shop.v1.subscriptions.update(
            member.sub.id, {"items": [{"id": member.item, "quantity": 2}]}
        ),
        "items",
        "does not implement",
    )


def test_creating_a_subscription_with_pending_if_incomplete_is_refused_as_stripe_does(
    shop: Shop,
) -> None:
    _, customer = customer_on_clock(shop.v1, "grace@example.com")
    _refused(
        shop,
        lambda: shop.v1.subscriptions.create(
            {
                "customer": customer,
                "items": [{"price": shop.basic}],
                "payment_behavior": "pending_if_incomplete",
            }
        ),
        "payment_behavior",
        "only used with updates and cannot be passed when creating a Subscription",
    )


# -- shape -------------------------------------------------------------------------------------
def test_pending_update_has_the_fields_of_stripe_python_and_stripes_fixture(
    shop: Shop, resources: dict[str, Any]
) -> None:
    member = _member(shop, "pm_card_authenticationRequired")
    _change(shop, member, shop.premium)
    served = shop.client.raw_request("get", f"/v1/subscriptions/{member.sub.id}").data
    pending = served["pending_update"]

    assert set(pending) == set(stripe.Subscription.PendingUpdate.__annotations__)
    # The fixture (August 2026) predates `cancel_at_period_end` (2026-09-30.endive).
    assert (
        shape_differences(
            resources["subscription"]["pending_update"],
            pending,
            allow_extra=frozenset({"cancel_at_period_end"}),
        )
        == []
    )
    [would_be] = pending["subscription_items"]
    assert shape_differences(resources["subscription_item"], would_be) == []
