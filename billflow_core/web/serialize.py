"""The portal's objects as plain JSON: what the script reads and what the site's
`handleResponse` receives as `billingData` and `productData` (hosted Billflow's names)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..actions.previews import ChangePreview
from ..billing.catalog import Catalog, Plan
from ..billing.invoices import InvoicePage
from ..billing.state import Card, PlannedChange, PortalState, SubscriptionView
from ..billing.wallet import SavedCard, TaxIdView

__all__ = [
    "cards_json",
    "invoices_json",
    "plan_json",
    "preview_json",
    "products_json",
    "state_json",
    "tax_ids_json",
]


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "price_id": plan.price_id,
        "product_id": plan.product_id,
        "name": plan.name,
        "description": plan.description,
        "nickname": plan.nickname,
        "amount": plan.amount,
        "currency": plan.currency,
        "interval": plan.interval,
        "interval_count": plan.interval_count,
        "service": plan.service,
        "quantity": None
        if plan.quantity is None
        else {
            "minimum": plan.quantity.minimum,
            "maximum": plan.quantity.maximum,
            "unit_label": plan.quantity.unit_label,
        },
    }


def _planned(change: PlannedChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "price_id": change.price_id,
        "quantity": change.quantity,
        "at": change.at,
        "plan_name": change.plan.name if change.plan else None,
    }


def _card(card: Card | None) -> dict[str, Any] | None:
    if card is None:
        return None
    return {
        "brand": card.brand,
        "last4": card.last4,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
    }


def _subscription(view: SubscriptionView, catalog: Catalog) -> dict[str, Any]:
    discount = view.discount
    return {
        "id": view.id,
        "status": view.status,
        "price_id": view.price_id,
        "product_name": view.product_name,
        "amount": view.amount,
        "currency": view.currency,
        "interval": view.interval,
        "interval_count": view.interval_count,
        "quantity": view.quantity,
        "unit_label": view.unit_label,
        "discount": None
        if discount is None
        else {
            "name": discount.name,
            "percent_off": discount.percent_off,
            "amount_off": discount.amount_off,
            "currency": discount.currency,
            "ends_at": discount.ends_at,
        },
        "current_period_end": view.current_period_end,
        "cancel_at": view.cancel_at,
        "canceled_at": view.canceled_at,
        "ended_at": view.ended_at,
        "paused": view.paused,
        "paused_until": view.paused_until,
        "actions": sorted(view.allowed),
        "plans": [p.price_id for p in catalog.alternatives(view.price_id)],
        "payment_secret": view.payment_secret,
        "amount_due": view.amount_due,
        "card": _card(view.card),
        "card_secret": view.card_secret,
        "scheduled_change": _planned(view.scheduled_change),
        "awaiting_payment": _planned(view.awaiting_payment),
    }


def state_json(state: PortalState, catalog: Catalog) -> dict[str, Any]:
    """`billingData`: `{"no_user": true}` for someone who is not a customer, as hosted
    Billflow answers; otherwise the customer, their default card and subscriptions, each
    with the card it is charged to."""
    return {
        "no_user": not state.is_customer,
        "customer": None
        if state.customer_id is None
        else {
            "id": state.customer_id,
            "name": state.name,
            "details": None if state.details is None else dataclasses.asdict(state.details),
        },
        "card": _card(state.card),
        "subscriptions": [_subscription(view, catalog) for view in state.subscriptions],
        "picker": [plan.price_id for plan in state.plans],
    }


def products_json(catalog: Catalog) -> list[dict[str, Any]]:
    """`productData`: every plan the site offers."""
    return [plan_json(plan) for plan in catalog.plans]


def preview_json(preview: ChangePreview) -> dict[str, Any]:
    return {
        "subscription": preview.subscription,
        "currency": preview.currency,
        "amount_due": preview.amount_due,
        "proration": preview.proration,
        "due_now": preview.due_now,
        "next_payment_at": preview.next_payment_at,
        "takes_effect_at": preview.takes_effect_at,
        "price": preview.price,
        "quantity": preview.quantity,
        "lines": [
            {"description": line.description, "amount": line.amount, "proration": line.proration}
            for line in preview.lines
        ],
    }


def invoices_json(page: InvoicePage) -> dict[str, Any]:
    return {
        "invoices": [
            {
                "id": i.id,
                "number": i.number,
                "status": i.status,
                "currency": i.currency,
                "total": i.total,
                "amount_due": i.amount_due,
                "amount_paid": i.amount_paid,
                "created": i.created,
                "subscription": i.subscription,
                "hosted_invoice_url": i.hosted_invoice_url,
                "invoice_pdf": i.invoice_pdf,
                "price": i.price_id,
                "description": i.description,
                "period_start": i.period_start,
                "period_end": i.period_end,
            }
            for i in page.invoices
        ],
        "has_more": page.has_more,
    }


def cards_json(cards: list[SavedCard]) -> dict[str, Any]:
    return {"payment_methods": [dataclasses.asdict(card) for card in cards]}


def tax_ids_json(found: list[TaxIdView]) -> dict[str, Any]:
    return {"tax_ids": [dataclasses.asdict(tax_id) for tax_id in found]}
