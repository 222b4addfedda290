"""One customer's whole life with a subscription, driven through stripe-python only.

The sandbox must behave as Stripe documents at each step: prorations to the second, period
ends moved by the test clock, cancellation details kept, coupons redeemed once, declines
refused, webhooks signed so `construct_event` accepts them, and replays answered once.
"""

from __future__ import annotations

import json

import pytest
import stripe
from webhook_receiver import Receiver

from billflow_sandbox import Sandbox

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400
FEB_1 = JAN_1 + 31 * DAY
MAR_1 = FEB_1 + 28 * DAY


def _expected_proration(amount: int, start: int, end: int, at: int) -> int:
    """Stripe's figure: the amount times the share of the period left, to the second."""
    return round(amount * (end - at) / (end - start))


def test_customer_lifecycle_matches_stripe_behaviour(
    stripe_sandbox: Sandbox, receiver: Receiver
) -> None:
    client = stripe_sandbox.client(max_network_retries=0)
    v1 = client.v1
    endpoint = v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"]})

    # A service with two monthly plans, a coupon behind a promotion code.
    product = v1.products.create({"name": "Pro", "metadata": {"sb_service": "app"}})
    basic = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    premium = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 3000,
            "recurring": {"interval": "month"},
        }
    )
    coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"})
    promo = v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "COMEBACK"}
    )

    clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})
    customer = v1.customers.create({"email": "ada@example.com", "test_clock": clock.id})

    # A declined card is refused at attach and nothing is attached.
    with pytest.raises(stripe.CardError) as declined:
        v1.payment_methods.attach("pm_card_visa_chargeDeclined", {"customer": customer.id})
    assert declined.value.code == "card_declined"
    assert declined.value.http_status == 402
    assert v1.customers.payment_methods.list(customer.id).data == []

    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})

    # Subscribe: the first invoice is paid at once, the period is one month from now.
    sub = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": basic.id}], "expand": ["latest_invoice"]},
        {"idempotency_key": "subscribe-ada-1"},
    )
    item = sub["items"].data[0]
    assert sub.status == "active"
    assert (item.current_period_start, item.current_period_end) == (JAN_1, FEB_1)
    assert sub.latest_invoice.status == "paid"
    assert sub.latest_invoice.amount_paid == 1000

    # Replaying the same request with the same key answers the first result, once.
    replay = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": basic.id}], "expand": ["latest_invoice"]},
        {"idempotency_key": "subscribe-ada-1"},
    )
    assert replay.id == sub.id
    assert [s.id for s in v1.subscriptions.list({"customer": customer.id}).data] == [sub.id]

    # Half-way through January: preview, then make, an upgrade invoiced at once.
    mid_jan = JAN_1 + 15 * DAY
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": mid_jan})
    credit = _expected_proration(1000, JAN_1, FEB_1, mid_jan)
    debit = _expected_proration(3000, JAN_1, FEB_1, mid_jan)
    change = {
        "items": [{"id": item.id, "price": premium.id}],
        "proration_behavior": "always_invoice",
    }
    preview = v1.invoices.create_preview(
        {
            "customer": customer.id,
            "subscription": sub.id,
            "subscription_details": {**change, "proration_date": mid_jan},
        }
    )
    assert [
        (line.amount, line.parent.subscription_item_details.proration)
        for line in preview.lines.data
    ] == [(-credit, True), (debit, True)]
    assert preview.amount_due == debit - credit == 1032
    assert preview.parent.subscription_details.subscription_proration_date == mid_jan

    upgraded = v1.subscriptions.update(
        sub.id, {**change, "proration_date": mid_jan, "expand": ["latest_invoice"]}
    )
    assert upgraded["items"].data[0].id == item.id  # the item is kept, its price swapped
    assert upgraded["items"].data[0].price.id == premium.id
    invoice = upgraded.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert [line.amount for line in invoice.lines.data] == [-credit, debit]
    assert (invoice.status, invoice.amount_paid) == ("paid", debit - credit)
    assert invoice.amount_paid_off_stripe == 0
    assert invoice.parent.subscription_details.subscription_proration_date is None

    # Three seats from now on: prorations wait for the next invoice (create_prorations).
    v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "quantity": 3}]})
    pending = v1.invoice_items.list({"customer": customer.id, "pending": True}).data
    seat_credit = _expected_proration(3000, JAN_1, FEB_1, mid_jan)
    seat_debit = _expected_proration(9000, JAN_1, FEB_1, mid_jan)
    assert sorted(p.amount for p in pending) == [-seat_credit, seat_debit]

    # Schedule a cancellation, then take it back.
    scheduled = v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert (scheduled.cancel_at_period_end, scheduled.cancel_at) == (True, FEB_1)
    undone = v1.subscriptions.update(sub.id, {"cancel_at_period_end": False})
    assert (undone.cancel_at_period_end, undone.cancel_at, undone.canceled_at) == (
        False,
        None,
        None,
    )

    # The renewal on February 1st bills the new period and the pending prorations.
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": FEB_1 + 3600})
    renewed = v1.subscriptions.retrieve(sub.id, {"expand": ["latest_invoice"]})
    assert renewed["items"].data[0].current_period_start == FEB_1
    assert renewed["items"].data[0].current_period_end == MAR_1
    renewal = renewed.latest_invoice
    assert renewal.billing_reason == "subscription_cycle"
    assert renewal.amount_paid == 9000 + seat_debit - seat_credit
    assert v1.invoice_items.list({"customer": customer.id, "pending": True}).data == []

    # Cancel at period end, saying why; the clock carries it out on March 1st.
    v1.subscriptions.update(
        sub.id,
        {
            "cancel_at_period_end": True,
            "cancellation_details": {"feedback": "too_expensive", "comment": "Over budget"},
        },
    )
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": MAR_1 + 3600})
    ended = v1.subscriptions.retrieve(sub.id)
    assert (ended.status, ended.ended_at) == ("canceled", MAR_1)
    assert ended.cancellation_details.feedback == "too_expensive"
    assert ended.cancellation_details.comment == "Over budget"
    assert ended.cancellation_details.reason == "cancellation_requested"
    assert len(v1.invoices.list({"subscription": sub.id}).data) == 3  # no March invoice

    # Resubscribe with the promotion code: 20% off, redeemed once.
    again = v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": premium.id}],
            "discounts": [{"promotion_code": promo.id}],
            "expand": ["latest_invoice", "discounts"],
        }
    )
    assert again.status == "active"
    assert again.latest_invoice.amount_paid == 2400
    assert again.discounts[0].promotion_code == promo.id
    assert v1.promotion_codes.retrieve(promo.id).times_redeemed == 1

    # Cancel now, with the reason given in the cancel call itself.
    canceled = v1.subscriptions.cancel(
        again.id, {"cancellation_details": {"feedback": "switched_service"}}
    )
    assert canceled.status == "canceled"
    assert canceled.ended_at == canceled.canceled_at == MAR_1 + 3600
    assert canceled.cancellation_details.feedback == "switched_service"
    with pytest.raises(stripe.InvalidRequestError):
        v1.subscriptions.update(again.id, {"items": [{"price": basic.id}]})

    # A card whose charges fail cannot start a subscription that must be paid now.
    failing = v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    before = len(stripe_sandbox.writes())
    with pytest.raises(stripe.CardError) as refused:
        v1.subscriptions.create(
            {
                "customer": customer.id,
                "items": [{"price": basic.id}],
                "default_payment_method": failing.id,
                "payment_behavior": "error_if_incomplete",
            }
        )
    assert refused.value.code == "card_declined"
    assert len(stripe_sandbox.writes()) == before
    assert v1.subscriptions.list({"customer": customer.id, "status": "all"}).data[0].id == again.id

    # Every event arrived signed; construct_event accepts each one.
    assert stripe_sandbox.deliverer.idle()
    events = receiver.events(endpoint.secret)
    types = [event.type for event in events]
    for expected in (
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "payment_method.attached",
    ):
        assert expected in types
    update = next(
        e
        for e in events
        if e.type == "customer.subscription.updated"
        and "cancel_at_period_end" in e.data.previous_attributes
    )
    assert json.loads(str(update.data.object))["id"] == sub.id
    assert len({e.id for e in events}) == len(events)  # each event delivered once
