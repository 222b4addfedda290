"""Collecting money as Stripe documents it: trials, renewals that fail and recover, first
payments left incomplete or needing authentication, paused collection, and the invoices that
result (numbers, hosted pages, lists) or would result (the preview of a first invoice).

Every scenario runs on a test clock frozen at 2026-01-01 and is driven through stripe-python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe

from billflow_sandbox import Sandbox

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 86400
FEB_1 = JAN_1 + 31 * DAY
MAR_1 = FEB_1 + 28 * DAY


@dataclass
class Shop:
    v1: Any
    basic: stripe.Price  # 10.00 USD a month


@pytest.fixture
def shop(stripe_client: stripe.StripeClient) -> Shop:
    v1 = stripe_client.v1
    product = v1.products.create({"name": "Pro"})
    basic = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    return Shop(v1, basic)


def _customer(
    shop: Shop, card: str = "pm_card_visa"
) -> tuple[stripe.test_helpers.TestClock, stripe.Customer]:
    """A customer on a clock frozen at JAN_1, with `card` as their default payment method."""
    v1 = shop.v1
    clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})
    customer = v1.customers.create({"email": "ada@example.com", "test_clock": clock.id})
    pm = v1.payment_methods.attach(card, {"customer": customer.id})
    customer = v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": pm.id}}
    )
    return clock, customer


def _advance(shop: Shop, clock: stripe.test_helpers.TestClock, to: int) -> None:
    shop.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": to})


def _subscribe(shop: Shop, customer: stripe.Customer, **extra: Any) -> stripe.Subscription:
    params = {"customer": customer.id, "items": [{"price": shop.basic.id}], **extra}
    params.setdefault("expand", ["latest_invoice"])
    return shop.v1.subscriptions.create(params)


def _latest(shop: Shop, sub: stripe.Subscription) -> stripe.Subscription:
    return shop.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})


# -- trials ----------------------------------------------------------------------------------
def test_trial_bills_nothing_then_the_first_full_period_when_it_ends(shop: Shop) -> None:
    clock, customer = _customer(shop)
    trial_end = JAN_1 + 14 * DAY

    sub = _subscribe(shop, customer, trial_period_days=14)

    assert sub.status == "trialing"
    assert (sub.trial_start, sub.trial_end, sub.billing_cycle_anchor) == (
        JAN_1,
        trial_end,
        trial_end,
    )
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (JAN_1, trial_end)
    first = sub.latest_invoice
    assert first.billing_reason == "subscription_create"
    assert (first.status, first.total, first.amount_due, first.amount_paid) == ("paid", 0, 0, 0)
    assert [line.amount for line in first.lines.data] == [0]

    _advance(shop, clock, trial_end + HOUR)
    after = _latest(shop, sub)
    assert after.status == "active"
    feb_15 = trial_end + 31 * DAY
    item = after["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (trial_end, feb_15)
    renewal = after.latest_invoice
    assert renewal.id != first.id
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.status, renewal.amount_due, renewal.amount_paid) == ("paid", 1000, 1000)
    assert [(line.period.start, line.period.end) for line in renewal.lines.data] == [
        (trial_end, feb_15)
    ]


def test_trial_ending_on_a_failing_card_leaves_the_subscription_past_due(shop: Shop) -> None:
    clock, customer = _customer(shop, "pm_card_chargeCustomerFail")
    trial_end = JAN_1 + 7 * DAY
    sub = _subscribe(shop, customer, trial_period_days=7)
    assert sub.status == "trialing"  # nothing to charge yet, so the card is not tried

    _advance(shop, clock, trial_end + HOUR)

    after = _latest(shop, sub)
    assert after.status == "past_due"
    invoice = after.latest_invoice
    assert invoice.billing_reason == "subscription_cycle"
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == ("open", 1000, 0)
    assert (invoice.attempted, invoice.attempt_count) == (True, 1)
    failed = shop.v1.events.list({"type": "invoice.payment_failed"}).data
    assert [event.data.object.id for event in failed] == [invoice.id]


# -- failed renewals -------------------------------------------------------------------------
def test_renewal_that_fails_is_recovered_by_paying_the_invoice_with_a_new_card(
    shop: Shop,
) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    assert sub.status == "active"
    failing = shop.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": customer.id}
    )
    shop.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": failing.id}}
    )

    _advance(shop, clock, FEB_1 + HOUR)
    overdue = _latest(shop, sub)
    assert overdue.status == "past_due"
    invoice = overdue.latest_invoice
    assert (invoice.status, invoice.attempt_count, invoice.amount_remaining) == ("open", 1, 1000)

    card = shop.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    paid = shop.v1.invoices.pay(invoice.id, {"payment_method": card.id})

    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 1000, 0)
    assert paid.attempt_count == 2
    assert paid.status_transitions.paid_at == FEB_1 + HOUR
    assert shop.v1.subscriptions.retrieve(sub.id).status == "active"


def test_an_invoice_is_not_paid_with_another_customers_card_and_a_paid_one_not_twice(
    shop: Shop, stripe_sandbox: Sandbox
) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    failing = shop.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", {"customer": customer.id}
    )
    shop.v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": failing.id}}
    )
    _advance(shop, clock, FEB_1 + HOUR)
    invoice = _latest(shop, sub).latest_invoice
    stranger = shop.v1.customers.create({"email": "someone@example.com"})
    theirs = shop.v1.payment_methods.attach("pm_card_visa", {"customer": stranger.id})
    before = stripe_sandbox.fingerprint()

    with pytest.raises(stripe.InvalidRequestError) as refused:
        shop.v1.invoices.pay(invoice.id, {"payment_method": theirs.id})
    assert refused.value.param == "payment_method"
    assert f"belongs to the Customer {stranger.id}" in str(refused.value.user_message)
    assert stripe_sandbox.fingerprint() == before

    mine = shop.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    assert shop.v1.invoices.pay(invoice.id, {"payment_method": mine.id}).status == "paid"
    with pytest.raises(stripe.InvalidRequestError) as again:
        shop.v1.invoices.pay(invoice.id, {"payment_method": mine.id})
    assert again.value.code == "invoice_already_paid"
    assert shop.v1.invoices.retrieve(invoice.id).amount_paid == 1000

    # Nor is a first payment confirmed with it.
    waiting = shop.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": shop.basic.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    secret = waiting.latest_invoice.confirmation_secret.client_secret  # type: ignore[union-attr]
    held = stripe_sandbox.fingerprint()
    with pytest.raises(stripe.InvalidRequestError) as confirmed:
        shop.v1.payment_intents.confirm(secret.split("_secret_")[0], {"payment_method": theirs.id})
    assert confirmed.value.param == "payment_method"
    assert stripe_sandbox.fingerprint() == held


# -- first payments that do not complete -----------------------------------------------------
def test_default_incomplete_waits_for_the_payment_intent_to_be_confirmed(shop: Shop) -> None:
    _, customer = _customer(shop)

    sub = _subscribe(
        shop,
        customer,
        payment_behavior="default_incomplete",
        expand=["latest_invoice.confirmation_secret", "latest_invoice.payments"],
    )

    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_due, invoice.attempt_count) == ("open", 1000, 0)
    secret = invoice.confirmation_secret.client_secret
    found = re.fullmatch(r"(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+", secret)
    assert found is not None
    assert [p.payment.payment_intent for p in invoice.payments.data] == [found[1]]
    intent = shop.v1.payment_intents.retrieve(found[1])
    assert (intent.status, intent.amount, intent.client_secret) == (
        "requires_payment_method",
        1000,
        secret,
    )

    card = customer.invoice_settings.default_payment_method
    confirmed = shop.v1.payment_intents.confirm(intent.id, {"payment_method": card})

    assert confirmed.status == "succeeded"
    after = _latest(shop, sub)
    assert after.status == "active"
    assert (after.latest_invoice.id, after.latest_invoice.status) == (invoice.id, "paid")
    assert after.latest_invoice.amount_paid == 1000


def test_incomplete_subscription_expires_after_23_hours_and_voids_its_invoice(
    shop: Shop,
) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer, payment_behavior="default_incomplete")
    expires = JAN_1 + 23 * HOUR

    _advance(shop, clock, expires - 1)
    assert shop.v1.subscriptions.retrieve(sub.id).status == "incomplete"

    _advance(shop, clock, expires + HOUR)
    expired = _latest(shop, sub)
    assert expired.status == "incomplete_expired"
    assert expired.latest_invoice.status == "void"
    assert expired.latest_invoice.status_transitions.voided_at == expires
    assert shop.v1.subscriptions.list({"customer": customer.id}).data == []


def test_card_needing_authentication_leaves_the_subscription_incomplete(shop: Shop) -> None:
    _, customer = _customer(shop, "pm_card_authenticationRequired")

    sub = _subscribe(
        shop,
        customer,
        payment_behavior="allow_incomplete",
        expand=["latest_invoice.payments"],
    )

    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_paid) == ("open", 0)
    [payment] = invoice.payments.data
    intent = shop.v1.payment_intents.retrieve(payment.payment.payment_intent)
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert intent.payment_method == customer.invoice_settings.default_payment_method


# -- paused collection -----------------------------------------------------------------------
def test_pause_collection_void_voids_the_renewal_and_charges_nothing(shop: Shop) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    # A second subscription canceled with a prorated credit leaves 6.77 on the balance.
    extra = _subscribe(shop, customer)
    _advance(shop, clock, JAN_1 + 10 * DAY)
    shop.v1.subscriptions.cancel(extra.id, {"prorate": True, "invoice_now": True})
    credit = shop.v1.customers.retrieve(customer.id).balance
    assert credit == -677
    paused = shop.v1.subscriptions.update(sub.id, {"pause_collection": {"behavior": "void"}})
    assert paused.pause_collection.behavior == "void"

    _advance(shop, clock, FEB_1 + HOUR)

    after = shop.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice.payments"]})
    assert (after.status, after.pause_collection.behavior) == ("active", "void")
    renewal = after.latest_invoice
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.status, renewal.amount_paid) == ("void", 0)
    assert renewal.status_transitions.voided_at == FEB_1
    assert renewal.payments.data == []
    assert shop.v1.customers.retrieve(customer.id).balance == credit  # not spent either
    voided = shop.v1.events.list({"type": "invoice.voided"}).data
    assert [event.data.object.id for event in voided] == [renewal.id]


def test_pause_collection_keep_as_draft_leaves_the_renewal_a_draft(shop: Shop) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    shop.v1.subscriptions.update(sub.id, {"pause_collection": {"behavior": "keep_as_draft"}})

    _advance(shop, clock, FEB_1 + HOUR)

    renewal = _latest(shop, sub).latest_invoice
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.status, renewal.number, renewal.amount_paid) == ("draft", None, 0)


def test_pause_collection_resumes_at_its_time_and_later_renewals_are_charged(
    shop: Shop,
) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    resumes = FEB_1 + 5 * DAY
    shop.v1.subscriptions.update(
        sub.id, {"pause_collection": {"behavior": "void", "resumes_at": resumes}}
    )

    _advance(shop, clock, resumes - 1)
    paused = _latest(shop, sub)
    assert paused.pause_collection.resumes_at == resumes
    assert paused.latest_invoice.status == "void"

    _advance(shop, clock, resumes + 1)
    assert shop.v1.subscriptions.retrieve(sub.id).pause_collection is None

    _advance(shop, clock, MAR_1 + HOUR)
    renewal = _latest(shop, sub).latest_invoice
    assert (renewal.status, renewal.amount_paid) == ("paid", 1000)


def test_pause_collection_cleared_with_an_empty_value(shop: Shop) -> None:
    clock, customer = _customer(shop)
    sub = _subscribe(shop, customer)
    shop.v1.subscriptions.update(sub.id, {"pause_collection": {"behavior": "void"}})

    resumed = shop.v1.subscriptions.update(sub.id, {"pause_collection": ""})

    assert resumed.pause_collection is None
    _advance(shop, clock, FEB_1 + HOUR)
    renewal = _latest(shop, sub).latest_invoice
    assert (renewal.status, renewal.amount_paid) == ("paid", 1000)


# -- invoices --------------------------------------------------------------------------------
def test_invoices_are_numbered_in_order_served_as_pages_and_listed_by_filters(
    shop: Shop, stripe_sandbox: Sandbox
) -> None:
    clock, customer = _customer(shop)
    prefix = customer.invoice_prefix
    first = _subscribe(shop, customer)
    _advance(shop, clock, JAN_1 + HOUR)
    waiting = _subscribe(shop, customer, payment_behavior="default_incomplete")

    paid_1, open_2 = first.latest_invoice, waiting.latest_invoice
    assert (paid_1.number, open_2.number) == (f"{prefix}-0001", f"{prefix}-0002")

    v1 = shop.v1

    def ids(**filters: Any) -> list[str]:
        return [i.id for i in v1.invoices.list({"customer": customer.id, **filters}).data]

    assert ids(status="open") == [open_2.id]
    assert ids(status="paid") == [paid_1.id]
    assert ids(subscription=waiting.id) == [open_2.id]

    _advance(shop, clock, FEB_1 + HOUR)
    renewal = _latest(shop, first).latest_invoice
    assert renewal.number == f"{prefix}-0003"
    assert ids(subscription=first.id) == [renewal.id, paid_1.id]
    assert ids(status="paid") == [renewal.id, paid_1.id]
    assert ids(status="void") == [open_2.id]  # the incomplete subscription expired

    page = requests.get(renewal.hosted_invoice_url, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"Invoice {prefix}-0003" in page.text
    pdf = requests.get(renewal.invoice_pdf, timeout=5)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f"{prefix}-0003".encode() in pdf.content
    assert renewal.hosted_invoice_url.startswith(stripe_sandbox.url)


def test_zero_decimal_currency_amounts_are_shown_whole_on_lines_and_pages(shop: Shop) -> None:
    yen = shop.v1.prices.create(
        {
            "product_data": {"name": "Pro"},
            "currency": "jpy",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    _, customer = _customer(shop)

    invoice = _subscribe(shop, customer, items=[{"price": yen.id}]).latest_invoice

    assert (invoice.currency, invoice.amount_paid) == ("jpy", 1500)
    assert invoice.lines.data[0].description == "1 × Pro (at JPY 1500 / month)"
    page = requests.get(invoice.hosted_invoice_url, timeout=5).text
    assert "Total: 1,500 JPY" in page and "15.00" not in page
    pdf = requests.get(invoice.invoice_pdf, timeout=5).content
    assert b"Total: 1,500 JPY" in pdf and b"15.00" not in pdf


def test_preview_of_a_new_subscription_takes_the_promotion_code_off_and_writes_nothing(
    shop: Shop, stripe_sandbox: Sandbox
) -> None:
    _, customer = _customer(shop)
    coupon = shop.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    promo = shop.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME"}
    )
    before = len(stripe_sandbox.writes())
    with stripe_sandbox.state.lock:
        held = stripe_sandbox.state.snapshot()

    preview = shop.v1.invoices.create_preview(
        {
            "customer": customer.id,
            "subscription_details": {"items": [{"price": shop.basic.id}]},
            "discounts": [{"promotion_code": promo.id}],
        }
    )

    assert (preview.billing_reason, preview.parent) == ("upcoming", None)
    assert [(line.amount, line.period.start, line.period.end) for line in preview.lines.data] == [
        (1000, JAN_1, FEB_1)
    ]
    assert (preview.subtotal, preview.total, preview.amount_due) == (1000, 800, 800)
    with stripe_sandbox.state.lock:
        after = stripe_sandbox.state.snapshot()
    assert (after["objects"], after["private"]) == (held["objects"], held["private"])
    assert stripe_sandbox.writes()[before:] == []  # a preview is a POST that writes nothing
    assert stripe_sandbox.requests[-1].route == "POST /v1/invoices/create_preview"
    assert shop.v1.promotion_codes.retrieve(promo.id).times_redeemed == 0
    assert shop.v1.invoices.list({"customer": customer.id}).data == []
    assert shop.v1.subscriptions.list({"customer": customer.id, "status": "all"}).data == []
