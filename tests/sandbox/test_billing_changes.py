"""Changing what a subscription bills, as Stripe documents it: interval changes that reset the
cycle, downgrades that leave credit on the customer's balance, changes without prorations,
cancellations at a time or now with a prorated credit, coupons and promotion codes, and one
currency per customer.

Proration figures follow Stripe's rule: amount × (period_end − t) / (period_end − period_start),
rounded to the minor unit. Every scenario runs on a test clock frozen at 2026-01-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from billflow_sandbox import Sandbox

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 86400
FEB_1 = JAN_1 + 31 * DAY
MAR_1 = FEB_1 + 28 * DAY
MID_JAN = JAN_1 + 10 * DAY  # 21 of January's 31 days are left


def _prorated(amount: int, start: int, end: int, at: int) -> int:
    return round(amount * (end - at) / (end - start))


@dataclass
class Shop:
    v1: Any
    basic: stripe.Price  # 10.00 USD a month
    premium: stripe.Price  # 30.00 USD a month
    yearly: stripe.Price  # 100.00 USD a year
    euro: stripe.Price  # 9.00 EUR a month


@pytest.fixture
def shop(stripe_client: stripe.StripeClient) -> Shop:
    v1 = stripe_client.v1
    product = v1.products.create({"name": "Pro"})

    def price(amount: int, interval: str = "month", currency: str = "usd") -> stripe.Price:
        return v1.prices.create(
            {
                "product": product.id,
                "currency": currency,
                "unit_amount": amount,
                "recurring": {"interval": interval},
            }
        )

    return Shop(v1, price(1000), price(3000), price(10000, "year"), price(900, currency="eur"))


@pytest.fixture
def clock(shop: Shop) -> stripe.test_helpers.TestClock:
    return shop.v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})


@pytest.fixture
def customer(shop: Shop, clock: stripe.test_helpers.TestClock) -> stripe.Customer:
    """Ada, on the clock, paying by `pm_card_visa`."""
    return _customer(shop, clock, "ada@example.com")


def _customer(shop: Shop, clock: stripe.test_helpers.TestClock, email: str) -> stripe.Customer:
    v1 = shop.v1
    customer = v1.customers.create({"email": email, "test_clock": clock.id})
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    return v1.customers.update(
        customer.id, {"invoice_settings": {"default_payment_method": card.id}}
    )


def _advance(shop: Shop, clock: stripe.test_helpers.TestClock, to: int) -> None:
    shop.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": to})


def _subscribe(
    shop: Shop, customer: stripe.Customer, price: stripe.Price, **extra: Any
) -> stripe.Subscription:
    return shop.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "expand": ["latest_invoice"],
            **extra,
        }
    )


def _latest_invoice(shop: Shop, sub: stripe.Subscription) -> stripe.Invoice:
    found = shop.v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    invoice: stripe.Invoice = found.latest_invoice
    return invoice


# -- plan changes ----------------------------------------------------------------------------
def test_monthly_to_yearly_resets_the_cycle_and_invoices_at_once(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    sub = _subscribe(shop, customer, shop.basic)
    _advance(shop, clock, MID_JAN)
    item = sub["items"].data[0]

    changed = shop.v1.subscriptions.update(
        sub.id,
        {"items": [{"id": item.id, "price": shop.yearly.id}], "expand": ["latest_invoice"]},
    )

    a_year_on = MID_JAN + 365 * DAY  # 2027-01-11
    assert changed.billing_cycle_anchor == MID_JAN
    moved = changed["items"].data[0]
    assert (moved.id, moved.price.id) == (item.id, shop.yearly.id)
    assert (moved.current_period_start, moved.current_period_end) == (MID_JAN, a_year_on)
    invoice = changed.latest_invoice
    assert invoice.id != sub.latest_invoice.id
    assert invoice.billing_reason == "subscription_update"
    credit = _prorated(1000, JAN_1, FEB_1, MID_JAN)
    assert credit == 677
    assert [
        (line.amount, line.parent.subscription_item_details.proration, line.period.end)
        for line in invoice.lines.data
    ] == [(-credit, True, FEB_1), (10000, False, a_year_on)]
    assert (invoice.total, invoice.status, invoice.amount_paid) == (10000 - credit, "paid", 9323)
    assert shop.v1.invoice_items.list({"customer": customer.id, "pending": True}).data == []


def test_downgrade_invoiced_now_credits_the_balance_used_by_the_next_renewals(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    sub = _subscribe(shop, customer, shop.premium)
    _advance(shop, clock, MID_JAN)
    item = sub["items"].data[0]

    changed = shop.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": item.id, "price": shop.basic.id}],
            "proration_behavior": "always_invoice",
            "expand": ["latest_invoice"],
        },
    )

    credit = _prorated(3000, JAN_1, FEB_1, MID_JAN)
    debit = _prorated(1000, JAN_1, FEB_1, MID_JAN)
    owed = debit - credit
    assert owed == -1355
    invoice = changed.latest_invoice
    assert [line.amount for line in invoice.lines.data] == [-credit, debit]
    assert (invoice.total, invoice.amount_due, invoice.amount_paid) == (owed, 0, 0)
    assert (invoice.status, invoice.starting_balance, invoice.ending_balance) == ("paid", 0, owed)
    assert shop.v1.customers.retrieve(customer.id).balance == owed

    # February's 10.00 is paid from the credit entirely; March's from what is left.
    _advance(shop, clock, FEB_1 + HOUR)
    february = _latest_invoice(shop, sub)
    assert (february.total, february.starting_balance, february.ending_balance) == (
        1000,
        owed,
        owed + 1000,
    )
    assert (february.amount_due, february.status) == (0, "paid")
    _advance(shop, clock, MAR_1 + HOUR)
    march = _latest_invoice(shop, sub)
    assert (march.starting_balance, march.ending_balance) == (owed + 1000, 0)
    assert (march.amount_due, march.amount_paid) == (1000 + owed + 1000, 645)
    assert shop.v1.customers.retrieve(customer.id).balance == 0


def test_change_without_prorations_swaps_the_price_and_bills_nothing_now(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    sub = _subscribe(shop, customer, shop.basic)
    _advance(shop, clock, MID_JAN)
    item = sub["items"].data[0]

    changed = shop.v1.subscriptions.update(
        sub.id,
        {"items": [{"id": item.id, "price": shop.premium.id}], "proration_behavior": "none"},
    )

    assert changed["items"].data[0].price.id == shop.premium.id
    assert changed.latest_invoice == sub.latest_invoice.id
    assert shop.v1.invoice_items.list({"customer": customer.id}).data == []
    assert len(shop.v1.invoices.list({"customer": customer.id}).data) == 1
    _advance(shop, clock, FEB_1 + HOUR)
    renewal = _latest_invoice(shop, sub)
    assert [line.amount for line in renewal.lines.data] == [3000]


# -- cancellation ----------------------------------------------------------------------------
def test_cancel_at_a_time_mid_period_ends_the_subscription_then(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    sub = _subscribe(shop, customer, shop.basic)
    cancel_at = JAN_1 + 20 * DAY + 6 * HOUR

    scheduled = shop.v1.subscriptions.update(sub.id, {"cancel_at": cancel_at})

    assert (scheduled.cancel_at, scheduled.cancel_at_period_end) == (cancel_at, False)
    assert scheduled.canceled_at == JAN_1
    _advance(shop, clock, cancel_at - 1)
    assert shop.v1.subscriptions.retrieve(sub.id).status == "active"
    _advance(shop, clock, cancel_at + 1)
    ended = shop.v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.ended_at, ended.canceled_at) == ("canceled", cancel_at, JAN_1)
    assert ended.cancellation_details.reason == "cancellation_requested"
    _advance(shop, clock, FEB_1 + HOUR)
    reasons = [i.billing_reason for i in shop.v1.invoices.list({"subscription": sub.id}).data]
    assert "subscription_cycle" not in reasons


def test_cancel_now_with_prorate_and_invoice_now_credits_unused_time(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    sub = _subscribe(shop, customer, shop.basic)
    _advance(shop, clock, MID_JAN)

    canceled = shop.v1.subscriptions.cancel(
        sub.id, {"prorate": True, "invoice_now": True, "expand": ["latest_invoice"]}
    )

    assert (canceled.status, canceled.ended_at) == ("canceled", MID_JAN)
    final = canceled.latest_invoice
    credit = _prorated(1000, JAN_1, FEB_1, MID_JAN)
    [line] = final.lines.data
    assert line.parent.type == "invoice_item_details"  # billed through a pending item
    assert (line.amount, line.parent.invoice_item_details.proration) == (-credit, True)
    assert (line.period.start, line.period.end) == (MID_JAN, FEB_1)
    assert (final.total, final.amount_due, final.status) == (-credit, 0, "paid")
    assert final.ending_balance == -credit
    assert shop.v1.customers.retrieve(customer.id).balance == -credit


def test_customer_billed_in_usd_cannot_subscribe_in_eur(
    shop: Shop, customer: stripe.Customer, stripe_sandbox: Sandbox
) -> None:
    _subscribe(shop, customer, shop.basic)
    before, held = len(stripe_sandbox.writes()), _held(stripe_sandbox)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        _subscribe(shop, customer, shop.euro)

    assert refused.value.http_status == 400
    assert refused.value.param == "items[0][price]"
    assert "combine currencies" in refused.value.user_message
    assert len(stripe_sandbox.writes()) == before
    assert _held(stripe_sandbox) == held
    assert len(shop.v1.subscriptions.list({"customer": customer.id}).data) == 1


# -- coupons and promotion codes -------------------------------------------------------------
def test_amount_off_coupon_takes_its_amount_off_each_invoice(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    coupon = shop.v1.coupons.create({"amount_off": 500, "currency": "usd", "duration": "forever"})

    sub = _subscribe(shop, customer, shop.premium, discounts=[{"coupon": coupon.id}])

    invoice = sub.latest_invoice
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (3000, 2500, 2500)
    assert [(d.amount, d.discount) for d in invoice.total_discount_amounts] == [
        (500, sub.discounts[0])
    ]
    _advance(shop, clock, FEB_1 + HOUR)
    assert _latest_invoice(shop, sub).amount_paid == 2500


def test_amount_off_coupon_in_another_currency_is_refused(
    shop: Shop, customer: stripe.Customer, stripe_sandbox: Sandbox
) -> None:
    coupon = shop.v1.coupons.create({"amount_off": 500, "currency": "eur", "duration": "forever"})

    error = _refused_discount(shop, stripe_sandbox, customer, {"coupon": coupon.id})

    assert error.param == "discounts[0][coupon]"
    assert "currenc" in error.user_message
    assert shop.v1.coupons.retrieve(coupon.id).times_redeemed == 0


def test_once_coupon_discounts_only_the_first_invoice(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    coupon = shop.v1.coupons.create({"percent_off": 50, "duration": "once"})

    sub = _subscribe(shop, customer, shop.basic, discounts=[{"coupon": coupon.id}])

    assert sub.latest_invoice.amount_paid == 500
    _advance(shop, clock, FEB_1 + HOUR)
    assert shop.v1.subscriptions.retrieve(sub.id).discounts == []
    renewal = _latest_invoice(shop, sub)
    assert (renewal.amount_paid, renewal.total_discount_amounts) == (1000, [])


def test_repeating_coupon_discounts_two_monthly_invoices_then_stops(
    shop: Shop, clock: stripe.test_helpers.TestClock, customer: stripe.Customer
) -> None:
    coupon = shop.v1.coupons.create(
        {"percent_off": 25, "duration": "repeating", "duration_in_months": 2}
    )

    sub = _subscribe(shop, customer, shop.basic, discounts=[{"coupon": coupon.id}])
    _advance(shop, clock, FEB_1 + HOUR)
    _advance(shop, clock, MAR_1 + HOUR)

    invoices = shop.v1.invoices.list({"subscription": sub.id}).data
    assert [(i.period_end, i.amount_paid) for i in reversed(invoices)] == [
        (JAN_1, 750),
        (FEB_1, 750),
        (MAR_1, 1000),
    ]
    march = invoices[0]
    assert (march.discounts, march.total_discount_amounts) == ([], [])
    assert shop.v1.subscriptions.retrieve(sub.id).discounts == []


def _held(sandbox: Sandbox) -> Any:
    """Every object the sandbox holds, and its private facts, to compare before and after."""
    with sandbox.state.lock:
        snapshot = sandbox.state.snapshot()
    return snapshot["objects"], snapshot["private"]


def _refused_discount(
    shop: Shop, stripe_sandbox: Sandbox, customer: stripe.Customer, discount: dict[str, str]
) -> stripe.InvalidRequestError:
    """Subscribe with `discount`, expecting a 400 that writes nothing."""
    before, held = len(stripe_sandbox.writes()), _held(stripe_sandbox)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _subscribe(shop, customer, shop.basic, discounts=[discount])
    assert refused.value.http_status == 400
    assert len(stripe_sandbox.writes()) == before
    assert _held(stripe_sandbox) == held
    assert shop.v1.subscriptions.list({"customer": customer.id}).data == []
    return refused.value


def test_expired_inactive_and_used_up_promotion_codes_are_refused(
    shop: Shop,
    clock: stripe.test_helpers.TestClock,
    customer: stripe.Customer,
    stripe_sandbox: Sandbox,
) -> None:
    v1 = shop.v1
    coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"})

    def promo(code: str, **extra: Any) -> stripe.PromotionCode:
        return v1.promotion_codes.create(
            {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": code, **extra}
        )

    expiring = promo("SPRING", expires_at=JAN_1 + 5 * DAY)
    inactive = promo("PAUSED", active=False)
    single = promo("ONCE", max_redemptions=1)
    # Before the clock reaches `expires_at`, and before its one redemption, each one works.
    for email, code in (("bob@example.com", expiring), ("cy@example.com", single)):
        other = _customer(shop, clock, email)
        _subscribe(shop, other, shop.basic, discounts=[{"promotion_code": code.id}])
    _advance(shop, clock, JAN_1 + 5 * DAY)

    for code, message in (
        (expiring, "expired"),
        (inactive, "inactive"),
        (single, "maximum number of redemptions"),
    ):
        error = _refused_discount(shop, stripe_sandbox, customer, {"promotion_code": code.id})
        assert error.param == "discounts[0][promotion_code]"
        assert message in error.user_message
    assert [v1.promotion_codes.retrieve(p.id).times_redeemed for p in (expiring, single)] == [1, 1]


def test_coupon_past_redeem_by_is_refused(
    shop: Shop,
    clock: stripe.test_helpers.TestClock,
    customer: stripe.Customer,
    stripe_sandbox: Sandbox,
) -> None:
    coupon = shop.v1.coupons.create(
        {"percent_off": 20, "duration": "forever", "redeem_by": JAN_1 + 3 * DAY}
    )
    # Redeemable until `redeem_by` passes on the customers' clock.
    _subscribe(
        shop,
        _customer(shop, clock, "bob@example.com"),
        shop.basic,
        discounts=[{"coupon": coupon.id}],
    )
    _advance(shop, clock, JAN_1 + 3 * DAY)

    error = _refused_discount(shop, stripe_sandbox, customer, {"coupon": coupon.id})

    assert (error.code, error.param) == ("coupon_expired", "discounts[0][coupon]")
    assert shop.v1.coupons.retrieve(coupon.id).times_redeemed == 1
