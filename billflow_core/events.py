"""The portal's events on the server: what a plugin hears once an action is applied.

The page hears of each action through `handleResponse`; a site's automations cannot. A
plugin (the webhook bridge, or a site's own code) registers a listener with
`Portal.on_event`, and the portal calls it with a `PortalEvent` once Stripe holds the change,
before the page gets its answer: a listener that keeps the event durably (an outbox) keeps
it before anyone is told it happened.

An event is named as the page's own event for the action (`change_plan`,
`create_subscription`, `cancel`…). Its `id` is derived from the customer, the action's
Idempotency-Key and the event's name, so the same intent retried (on another server, after a
restart) makes the same id, and a receiver deduplicates on it. Its `data` is flat and
allow-listed: ids, names and amounts a spreadsheet row or a no-code workflow can map, never
the site's metadata.

Not every call is an event: steps of another action (`setup_payment_method`,
`finish_payment`) are not, and a change waiting for the customer to confirm a payment is
held (under its invoice) and announced when Stripe reports that invoice paid.

Stripe's own events, once their signature is checked, are announced too, as
`stripe.<type>` under Stripe's event id, with a flat allow-listed `data` of their own
(`STRIPE_DATA_FIELDS`); a listener keeps the types it wants.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .actions.dispatch import ActionResult
from .actions.table import ACTIONS
from .billing.state import SubscriptionView

__all__ = [
    "ACTION_EVENTS",
    "DATA_FIELDS",
    "STRIPE_DATA_FIELDS",
    "EventListener",
    "PortalEvent",
    "action_event",
    "event_id",
    "paid",
    "stripe_event",
    "waiting_invoice",
]

log = logging.getLogger(__name__)

# Every key an event's `data` has, always (null when it does not apply), in this order.
DATA_FIELDS = (
    "customer_id",
    "customer_email",
    "subscription_id",
    "status",
    "product_id",
    "product_name",
    "price_id",
    "price_nickname",
    "amount",
    "currency",
    "interval",
    "interval_count",
    "quantity",
    "cancel_at",
    "cancel_reason",
    "cancel_comment",
    "coupon",
)


# The event types applied actions make, as listeners hear them (steps make none).
ACTION_EVENTS = tuple(spec.events[1] for spec in ACTIONS.values() if spec.done is not None)


@dataclass(frozen=True)
class PortalEvent:
    """One applied action (or a relayed Stripe event). `type`: the page's event name;
    `id`: stable for one intent (`event_id`); `occurred_at`: UTC epoch seconds; `data`: the
    keys of `DATA_FIELDS` (`STRIPE_DATA_FIELDS`), to read, not to change: listeners share
    one event."""

    type: str
    id: str
    occurred_at: int
    data: Mapping[str, Any]

    def payload(self) -> dict[str, Any]:
        """The event as Standard Webhooks carries it: `{"type", "timestamp", "data"}`."""
        return {"type": self.type, "timestamp": self.occurred_at, "data": dict(self.data)}


EventListener = Callable[[PortalEvent], None]


def event_id(customer_id: str, idempotency_key: str, event_type: str) -> str:
    """The id of the event `event_type` of one intent: the same for every retry of it."""
    digest = hashlib.sha256(
        "\x1f".join((customer_id, idempotency_key, event_type)).encode()
    ).hexdigest()
    return f"evt_{digest[:32]}"


def action_event(
    action: str,
    payload: Mapping[str, Any],
    result: ActionResult,
    *,
    customer_id: str,
    customer_email: str | None,
    idempotency_key: str,
    now: int,
) -> PortalEvent | None:
    """The event `action` makes once applied (or, for one waiting on a payment, once that
    is paid), or None for a step of another action."""
    spec = ACTIONS[action]
    if spec.done is None:
        return None
    event_type = spec.events[1]
    subscription_id = _subscription_of(payload, result)
    view = next((s for s in result.state.subscriptions if s.id == subscription_id), None)
    data: dict[str, Any] = dict.fromkeys(DATA_FIELDS)
    data.update(
        customer_id=customer_id,
        customer_email=customer_email,
        subscription_id=subscription_id,
        coupon=payload.get("coupon") or None,
    )
    if view is not None:
        data.update(_subscription_data(view))
    if action == "cancel":
        data.update(cancel_reason=payload.get("reason"), cancel_comment=payload.get("comment"))
    elif action == "accept_retention_offer":
        data.update(cancel_reason=payload.get("reason"))
    return PortalEvent(
        event_type,
        event_id(customer_id, idempotency_key, event_type),
        now,
        data,
    )


def _subscription_of(payload: Mapping[str, Any], result: ActionResult) -> str | None:
    """The subscription acted on: the one the payload names, or the one an action made."""
    named = payload.get("subscription")
    if isinstance(named, str):
        return named
    if result.response.get("object") == "subscription":
        return str(result.response["id"])
    if result.response.get("object") == "invoice":  # pay_invoice: the subscription it bills
        details = (result.response.get("parent") or {}).get("subscription_details") or {}
        found = details.get("subscription")
        return found if isinstance(found, str) else None
    return None


def _subscription_data(view: SubscriptionView) -> dict[str, Any]:
    plan = view.plan
    return {
        "status": view.status,
        "product_id": plan.product_id if plan else None,
        "product_name": view.product_name,
        "price_id": view.price_id,
        "price_nickname": plan.nickname if plan else None,
        "amount": view.amount,
        "currency": view.currency,
        "interval": view.interval,
        "interval_count": view.interval_count,
        "quantity": view.quantity,
        "cancel_at": view.cancel_at,
    }


def waiting_invoice(result: ActionResult) -> str | None:
    """The invoice whose payment the customer must still confirm for the action to hold,
    if any: its event waits for Stripe to report that invoice paid."""
    if result.confirmation is None or result.confirmation.kind != "payment":
        return None
    if result.response.get("object") == "invoice":  # pay_invoice: that invoice itself
        return str(result.response["id"])
    invoice = result.response.get("latest_invoice")
    if isinstance(invoice, Mapping):
        invoice = invoice.get("id")
    return invoice if isinstance(invoice, str) else None


def paid(event: PortalEvent, now: int) -> PortalEvent:
    """A held event once its invoice is paid: a subscription that waited on its first
    payment is active now."""
    data = dict(event.data)
    if data.get("status") == "incomplete":
        data["status"] = "active"
    return PortalEvent(event.type, event.id, now, data)


# Every key a relayed Stripe event's `data` has, always (null when it does not apply).
STRIPE_DATA_FIELDS = (
    "stripe_event_id",
    "object",
    "id",
    "customer_id",
    "subscription_id",
    "invoice_id",
    "status",
    "amount",
    "currency",
    "price_id",
    "quantity",
    "cancel_at",
    "billing_reason",
    "hosted_invoice_url",
)


def stripe_event(event_id: str, event_type: str, obj: Mapping[str, Any], now: int) -> PortalEvent:
    """Stripe's event as a listener hears it: `stripe.<type>`, under Stripe's own event id
    (the same on every delivery Stripe makes of it), with the ids, status and amounts of
    its object, never its metadata."""
    kind = obj.get("object")
    data: dict[str, Any] = dict.fromkeys(STRIPE_DATA_FIELDS)
    data.update(stripe_event_id=event_id, object=kind, id=obj.get("id"),
                customer_id=_id(obj.get("customer")), currency=obj.get("currency"),
                status=obj.get("status"))  # fmt: skip
    if kind == "invoice":
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {} if isinstance(parent, Mapping) else {}
        data.update(
            invoice_id=obj.get("id"),
            subscription_id=_id(details.get("subscription")),
            amount=obj.get("amount_paid") if obj.get("status") == "paid" else obj.get("amount_due"),
            billing_reason=obj.get("billing_reason"),
            hosted_invoice_url=obj.get("hosted_invoice_url"),
        )
    elif kind == "subscription":
        items = (obj.get("items") or {}).get("data") or []
        first = items[0] if items and isinstance(items[0], Mapping) else {}
        price = first.get("price")
        data.update(
            subscription_id=obj.get("id"),
            price_id=_id(price),
            amount=price.get("unit_amount") if isinstance(price, Mapping) else None,
            quantity=first.get("quantity"),
            cancel_at=obj.get("cancel_at"),
            invoice_id=_id(obj.get("latest_invoice")),
        )
    elif kind in ("payment_intent", "charge"):
        data.update(amount=obj.get("amount"))
    return PortalEvent(f"stripe.{event_type}", event_id, now, data)


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else None
