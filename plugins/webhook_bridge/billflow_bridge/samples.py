"""Samples of each event a hook can subscribe to, shaped exactly as deliveries are
(`{"type", "timestamp", "data"}` with every key of the event's `data`), for a platform to
map fields before a real event comes (Zapier's `performList`, Bubble's "detect data")."""

from __future__ import annotations

from typing import Any

from billflow_core.events import ACTION_EVENTS, DATA_FIELDS, STRIPE_DATA_FIELDS

__all__ = ["event_types", "sample"]

_NOW = 1_796_400_000  # a fixed moment, so samples do not change between calls

_ACTION_DATA: dict[str, Any] = {
    "customer_id": "cus_SampleCustomer0001",
    "customer_email": "ada@example.com",
    "subscription_id": "sub_SampleSubscription01",
    "status": "active",
    "product_id": "prod_SampleBusiness0001",
    "product_name": "Business",
    "price_id": "price_SampleBusinessMonthly",
    "price_nickname": "Business monthly",
    "amount": 7900,
    "currency": "usd",
    "interval": "month",
    "interval_count": 1,
    "quantity": 1,
    "cancel_at": None,
    "cancel_reason": None,
    "cancel_comment": None,
    "coupon": None,
}
# What each event says beyond the common sample.
_BY_EVENT: dict[str, dict[str, Any]] = {
    "cancel": {"cancel_at": _NOW + 20 * 86400, "cancel_reason": "too_expensive",
               "cancel_comment": "We are cutting costs this quarter."},
    "accept_retention_offer": {"cancel_reason": "too_expensive", "coupon": None},
    "apply_coupon": {"coupon": "WELCOME20"},
    "change_quantity": {"product_name": "Seats", "amount": 800, "quantity": 7},
    "pause": {"status": "active"},
}  # fmt: skip

_STRIPE_DATA: dict[str, Any] = {
    "stripe_event_id": "evt_SampleStripeEvent001",
    "object": "invoice",
    "id": "in_SampleInvoice000001",
    "customer_id": "cus_SampleCustomer0001",
    "subscription_id": "sub_SampleSubscription01",
    "invoice_id": "in_SampleInvoice000001",
    "status": "paid",
    "amount": 7900,
    "currency": "usd",
    "price_id": None,
    "quantity": None,
    "cancel_at": None,
    "billing_reason": "subscription_cycle",
    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_Sample/test_Sample",
}
_BY_STRIPE_OBJECT: dict[str, dict[str, Any]] = {
    "customer.subscription": {"object": "subscription", "id": "sub_SampleSubscription01",
                              "invoice_id": "in_SampleInvoice000001", "status": "canceled",
                              "price_id": "price_SampleBusinessMonthly", "quantity": 1,
                              "billing_reason": None, "hosted_invoice_url": None},
}  # fmt: skip


def event_types(stripe_events: frozenset[str]) -> list[str]:
    """Every type a hook may subscribe to here: the portal's, and the relayed Stripe ones."""
    return [*ACTION_EVENTS, *sorted(f"stripe.{name}" for name in stripe_events)]


def sample(event_type: str) -> dict[str, Any]:
    """One realistic delivery payload of `event_type` (a type `event_types` lists)."""
    if event_type.startswith("stripe."):
        data = dict(_STRIPE_DATA)
        for prefix, more in _BY_STRIPE_OBJECT.items():
            if event_type[len("stripe.") :].startswith(prefix + "."):
                data.update(more)
        if event_type.endswith("payment_failed"):
            data["status"] = "open"
        keys: tuple[str, ...] = STRIPE_DATA_FIELDS
    else:
        data = {**_ACTION_DATA, **_BY_EVENT.get(event_type, {})}
        keys = DATA_FIELDS
    return {"type": event_type, "timestamp": _NOW, "data": {key: data[key] for key in keys}}
