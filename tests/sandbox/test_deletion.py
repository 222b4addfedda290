"""Deleting customers and test clocks as Stripe does: a deleted customer's live subscriptions
end (ended ones stay as they were), and a deleted clock takes its customers and everything
attached to them (subscriptions and their items, invoices, invoice items, payment methods,
intents, discounts) with it, announcing each customer's deletion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from webhook_receiver import Receiver

from billflow_sandbox import Sandbox

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z
HOUR = 3600
DAY = 86400
FEB_1 = JAN_1 + 31 * DAY


@dataclass
class Shop:
    v1: Any
    monthly: str  # 10.00 USD a month


@pytest.fixture
def shop(stripe_client: stripe.StripeClient) -> Shop:
    v1 = stripe_client.v1
    price = v1.prices.create(
        {
            "product_data": {"name": "Pro"},
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
        }
    )
    return Shop(v1, price.id)


def _customer(shop: Shop, clock: str | None = None) -> tuple[str, str]:
    """A customer (on `clock` when given) paying by a Visa; returns its id and the card's."""
    params: dict[str, Any] = {"email": "ada@example.com"}
    if clock:
        params["test_clock"] = clock
    customer = shop.v1.customers.create(params)
    card = shop.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    shop.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": card.id}})
    return customer.id, card.id


def _missing(action: Any) -> bool:
    try:
        action()
    except stripe.InvalidRequestError as error:
        return error.http_status == 404 and error.code == "resource_missing"
    return False


def _objects_naming(sandbox: Sandbox, ids: set[str]) -> list[str]:
    """Ids of the stored objects (events aside) that name any of `ids`."""
    with sandbox.state.lock:
        return [
            obj["id"]
            for kind, found in sandbox.state.objects.items()
            if kind != "event"
            for obj in found.values()
            if any(i in json.dumps(obj) for i in ids)
        ]


def test_deleting_a_clock_deletes_its_customers_and_everything_attached_to_them(
    stripe_sandbox: Sandbox, shop: Shop, receiver: Receiver
) -> None:
    v1 = shop.v1
    endpoint = v1.webhook_endpoints.create(
        {
            "url": receiver.url,
            "enabled_events": [
                "customer.deleted",
                "customer.subscription.deleted",
                "test_helpers.test_clock.deleted",
            ],
        }
    )
    clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})
    customer, card = _customer(shop, clock.id)
    coupon = v1.coupons.create({"percent_off": 20, "duration": "forever"})
    sub = v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": shop.monthly}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    item = sub["items"].data[0].id
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": FEB_1 + HOUR})
    v1.subscriptions.update(
        sub.id, {"items": [{"id": item, "quantity": 2}], "proration_behavior": "create_prorations"}
    )
    setup = v1.setup_intents.create({"customer": customer})
    invoices = [i.id for i in v1.invoices.list({"customer": customer}).data]
    assert len(invoices) == 2
    assert v1.invoice_items.list({"customer": customer, "pending": True}).data
    bystander, _ = _customer(shop)
    kept = v1.subscriptions.create({"customer": bystander, "items": [{"price": shop.monthly}]})
    owned = {customer, sub.id, *invoices}
    assert len(_objects_naming(stripe_sandbox, owned)) > len(owned)

    deleted = v1.test_helpers.test_clocks.delete(clock.id)

    assert deleted.deleted is True
    assert _objects_naming(stripe_sandbox, owned) == []
    for gone in (
        lambda: v1.customers.retrieve(customer),
        lambda: v1.subscriptions.retrieve(sub.id),
        lambda: v1.subscription_items.retrieve(item),
        lambda: v1.invoices.retrieve(invoices[0]),
        lambda: v1.payment_methods.retrieve(card),
        lambda: v1.setup_intents.retrieve(setup.id),
    ):
        assert _missing(gone)
    assert v1.subscriptions.retrieve(kept.id).status == "active"
    assert v1.customers.retrieve(bystander).id == bystander
    assert stripe_sandbox.deliverer.idle()
    events = receiver.events(endpoint.secret)
    assert [(e.type, e.data.object.id) for e in events] == [
        ("customer.subscription.deleted", sub.id),
        ("customer.deleted", customer),
        ("test_helpers.test_clock.deleted", clock.id),
    ]


def test_deleting_a_customer_ends_live_subscriptions_and_leaves_ended_ones_as_they_were(
    shop: Shop,
) -> None:
    v1 = shop.v1
    clock = v1.test_helpers.test_clocks.create({"frozen_time": JAN_1})
    customer, _ = _customer(shop, clock.id)
    unpaid = v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": shop.monthly}],
            "payment_behavior": "default_incomplete",
        }
    )
    v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": JAN_1 + DAY})
    expired = v1.subscriptions.retrieve(unpaid.id)
    assert expired.status == "incomplete_expired"
    live = v1.subscriptions.create({"customer": customer, "items": [{"price": shop.monthly}]})

    v1.customers.delete(customer)

    assert v1.subscriptions.retrieve(unpaid.id).to_dict() == expired.to_dict()
    ended = v1.subscriptions.retrieve(live.id)
    assert (ended.status, ended.ended_at) == ("canceled", JAN_1 + DAY)
    announced = v1.events.list({"type": "customer.subscription.deleted"}).data
    assert [e.data.object.id for e in announced] == [live.id]
