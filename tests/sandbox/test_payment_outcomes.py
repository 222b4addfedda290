"""What payments leave behind: a declined retry is recorded and announced, a payment made
elsewhere activates the subscription, the card that paid can become its default, and
discounts, trials and final invoices keep Stripe's terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from scenes import DAY, HOUR, JAN_1, customer_on_clock, price

FEB_1 = JAN_1 + 31 * DAY


@dataclass
class Account:
    v1: Any  # the client's v1 namespace
    monthly: str
    yearly: str
    clock: str
    customer: str


@pytest.fixture
def account(stripe_client: stripe.StripeClient) -> Account:
    v1 = stripe_client.v1
    clock, customer = customer_on_clock(v1, "noor@example.com", card=None)
    return Account(v1, price(v1, 1000), price(v1, 10000, "year"), clock, customer)


def _card(account: Account, test_id: str = "pm_card_visa", *, default: bool = True) -> str:
    pm = account.v1.payment_methods.attach(test_id, {"customer": account.customer})
    if default:
        account.v1.customers.update(
            account.customer, {"invoice_settings": {"default_payment_method": pm.id}}
        )
    return str(pm.id)


def _advance(account: Account, to: int) -> None:
    account.v1.test_helpers.test_clocks.advance(account.clock, {"frozen_time": to})


def test_a_declined_retry_counts_an_attempt_on_the_same_payment_and_is_announced(
    account: Account,
) -> None:
    _card(account, "pm_card_chargeCustomerFail")
    sub = account.v1.subscriptions.create(
        {"customer": account.customer, "items": [{"price": account.monthly}]}
    )
    invoice_id = sub.latest_invoice
    first = account.v1.invoices.retrieve(invoice_id)
    assert (first.status, first.attempt_count) == ("open", 1)

    with pytest.raises(stripe.CardError) as declined:
        account.v1.invoices.pay(invoice_id)

    assert declined.value.http_status == 402
    retried = account.v1.invoices.retrieve(invoice_id, {"expand": ["payments"]})
    assert (retried.status, retried.attempt_count) == ("open", 2)
    assert len(retried.payments.data) == 1  # Stripe retries on the same payment intent
    failures = account.v1.events.list({"type": "invoice.payment_failed"}).data
    assert [event.data.object.attempt_count for event in failures] == [2, 1]
    intent_failures = account.v1.events.list({"type": "payment_intent.payment_failed"}).data
    assert len(intent_failures) == 2


def test_an_invoice_paid_out_of_band_activates_its_subscription_for_good(
    account: Account,
) -> None:
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "payment_behavior": "default_incomplete",
        }
    )
    assert sub.status == "incomplete"

    paid = account.v1.invoices.pay(sub.latest_invoice, {"paid_out_of_band": True})

    assert paid.status == "paid"
    assert account.v1.subscriptions.retrieve(sub.id).status == "active"
    _advance(account, JAN_1 + 24 * HOUR)  # past the 23 hours an incomplete one would get
    assert account.v1.subscriptions.retrieve(sub.id).status == "active"


def test_the_card_that_pays_the_first_invoice_becomes_the_subscriptions_default(
    account: Account,
) -> None:
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.payments"],
        }
    )
    intent_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    account.v1.payment_intents.confirm(intent_id, {"payment_method": "pm_card_visa"})

    active = account.v1.subscriptions.retrieve(sub.id, {"expand": ["default_payment_method"]})
    assert active.status == "active"
    assert active.default_payment_method.card.last4 == "4242"
    assert active.default_payment_method.customer == account.customer

    _advance(account, FEB_1 + HOUR)  # the renewal is charged to that card
    renewed = account.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert (renewed.status, renewed.latest_invoice.status) == ("active", "paid")


@pytest.mark.parametrize(
    ("test_id", "decline_code", "message"),
    [
        ("pm_card_visa_chargeDeclined", "generic_decline", "Your card was declined."),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
    ],
)
def test_a_declined_payment_says_why_as_stripe_does(
    account: Account, test_id: str, decline_code: str, message: str
) -> None:
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.payments"],
        }
    )
    intent_id = sub.latest_invoice.payments.data[0].payment.payment_intent

    with pytest.raises(stripe.CardError) as declined:
        account.v1.payment_intents.confirm(intent_id, {"payment_method": test_id})

    error = declined.value.error
    assert error is not None
    assert (error.type, error.code, error.decline_code) == ("card_error", "card_declined",
                                                             decline_code)  # fmt: skip
    assert error.message == message
    assert error.payment_intent.last_payment_error.message == message
    assert error.payment_method.id == error.payment_intent.last_payment_error.payment_method.id


def test_deleting_a_coupon_leaves_discounts_already_redeemed_in_force(account: Account) -> None:
    _card(account)
    coupon = account.v1.coupons.create({"percent_off": 50, "duration": "forever"})
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "discounts": [{"coupon": coupon.id}],
        }
    )

    account.v1.coupons.delete(coupon.id)
    _advance(account, FEB_1 + HOUR)

    renewal = account.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert renewal.latest_invoice.billing_reason == "subscription_cycle"
    assert renewal.latest_invoice.amount_paid == 500


def test_changing_plan_during_a_trial_bills_nothing_until_the_trial_ends(
    account: Account,
) -> None:
    _card(account)
    trial_end = JAN_1 + 14 * DAY
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "trial_period_days": 14,
        }
    )
    item = sub["items"].data[0]

    yearly = account.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item.id, "price": account.yearly}],
            "proration_behavior": "always_invoice",
        },
    )

    assert (yearly.status, yearly.latest_invoice) == ("trialing", sub.latest_invoice)
    assert yearly["items"].data[0].current_period_end == trial_end
    _advance(account, trial_end + HOUR)
    after = account.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert after.status == "active"
    assert after.latest_invoice.amount_paid == 10000
    assert after["items"].data[0].current_period_end == trial_end + 365 * DAY


def test_cancelling_a_trial_with_proration_credits_nothing(account: Account) -> None:
    _card(account)
    sub = account.v1.subscriptions.create(
        {
            "customer": account.customer,
            "items": [{"price": account.monthly}],
            "trial_period_days": 14,
        }
    )

    account.v1.subscriptions.cancel(sub.id, {"prorate": True, "invoice_now": True})

    assert account.v1.customers.retrieve(account.customer).balance == 0
    assert len(account.v1.invoices.list({"subscription": sub.id}).data) == 1  # the $0 one


def test_cancelling_with_invoice_now_bills_the_pending_prorations(account: Account) -> None:
    _card(account)
    sub = account.v1.subscriptions.create(
        {"customer": account.customer, "items": [{"price": account.monthly}]}
    )
    mid = JAN_1 + 15 * DAY
    _advance(account, mid)
    account.v1.subscriptions.update(
        sub.id, {"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}
    )
    pending = account.v1.invoice_items.list({"customer": account.customer, "pending": True})
    owed = sum(item.amount for item in pending.data)
    assert owed == round(1000 * (FEB_1 - mid) / (FEB_1 - JAN_1))

    ended = account.v1.subscriptions.cancel(
        sub.id, {"invoice_now": True, "expand": ["latest_invoice"]}
    )

    assert ended.status == "canceled"
    assert (ended.latest_invoice.amount_paid, ended.latest_invoice.status) == (owed, "paid")
    assert account.v1.invoice_items.list({"customer": account.customer, "pending": True}).data == []
