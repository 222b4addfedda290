"""Builders for customers, subscriptions and subscription items."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .catalog import plan_from_price
from .common import JSON, blank_address, copy_metadata, list_object


def address(given: Mapping[str, Any]) -> JSON:
    """A postal address: Stripe always renders all six lines, null where unset or blank."""
    return {**blank_address(), **{key: value or None for key, value in given.items()}}


def shipping(given: Mapping[str, Any]) -> JSON:
    """A customer's shipping details: a name, an address and perhaps a phone number."""
    return {
        "address": address(given.get("address") or {}),
        "name": given.get("name"),
        "phone": given.get("phone") or None,
    }


def _address(given: Mapping[str, Any] | None) -> JSON | None:
    return None if given is None else address(given)


def _shipping(given: Mapping[str, Any] | None) -> JSON | None:
    return None if given is None else shipping(given)


def customer(
    *,
    id: str,
    created: int,
    email: str | None = None,
    name: str | None = None,
    description: str | None = None,
    phone: str | None = None,
    metadata: Mapping[str, str] | None = None,
    invoice_prefix: str,
    test_clock: str | None = None,
    default_payment_method: str | None = None,
    address: Mapping[str, Any] | None = None,
    shipping: Mapping[str, Any] | None = None,
    currency: str | None = None,
    balance: int = 0,
    next_invoice_sequence: int = 1,
    preferred_locales: list[str] | None = None,
    tax_exempt: str = "none",
    delinquent: bool = False,
) -> JSON:
    """A customer. `currency` stays null until the first subscription or invoice sets it.

    `sources`, `subscriptions`, `tax`, `tax_ids`, `cash_balance` and `invoice_credit_balance`
    are includable in Stripe, so absent here.
    """
    return {
        "id": id,
        "object": "customer",
        "address": _address(address),
        "balance": balance,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": delinquent,
        "description": description,
        "discount": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": default_payment_method,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "name": name,
        "next_invoice_sequence": next_invoice_sequence,
        "phone": phone,
        "preferred_locales": list(preferred_locales) if preferred_locales else [],
        "shipping": _shipping(shipping),
        "tax_exempt": tax_exempt,
        "test_clock": test_clock,
    }


def _billing_mode(mode: str) -> JSON:
    """Classic billing has no flexible settings; flexible defaults to included discounts."""
    if mode == "flexible":
        return {"type": "flexible", "flexible": {"proration_discounts": "included"}}
    return {"type": mode, "flexible": None}


def subscription(
    *,
    id: str,
    created: int,
    customer: str,
    currency: str,
    status: str,
    start_date: int,
    billing_cycle_anchor: int,
    collection_method: str = "charge_automatically",
    default_payment_method: str | None = None,
    metadata: Mapping[str, str] | None = None,
    trial_start: int | None = None,
    trial_end: int | None = None,
    test_clock: str | None = None,
    description: str | None = None,
    items: list[JSON] | None = None,
    billing_mode: str = "classic",
    days_until_due: int | None = None,
    cancel_at: int | None = None,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    ended_at: int | None = None,
    latest_invoice: str | None = None,
    missing_payment_method: str = "create_invoice",
    save_default_payment_method: str = "off",
) -> JSON:
    """A subscription. Billing periods live on its items (`current_period_*`), not here.

    `items` are subscription item dicts; they are copied into the `items` list.
    `billing_mode` is "classic" or "flexible".
    """
    return {
        "id": id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": billing_cycle_anchor,
        "billing_cycle_anchor_config": None,
        "billing_mode": _billing_mode(billing_mode),
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": cancel_at,
        "cancel_at_period_end": cancel_at_period_end,
        "canceled_at": canceled_at,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": collection_method,
        "created": created,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "days_until_due": days_until_due,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "ended_at": ended_at,
        "invoice_settings": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": {"type": "self"},
        },
        "items": list_object(
            data=copy.deepcopy(items) if items else [],
            url=f"/v1/subscription_items?subscription={id}",
        ),
        "latest_invoice": latest_invoice,
        "livemode": False,
        "managed_payments": None,
        "metadata": copy_metadata(metadata),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": save_default_payment_method,
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": start_date,
        "status": status,
        "test_clock": test_clock,
        "transfer_data": None,
        "trial_end": trial_end,
        "trial_settings": {"end_behavior": {"missing_payment_method": missing_payment_method}},
        "trial_start": trial_start,
    }


def subscription_item(
    *,
    id: str,
    created: int,
    subscription: str,
    price: Mapping[str, Any],
    quantity: int,
    current_period_start: int,
    current_period_end: int,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A subscription item. `price` is the full price dict; the item embeds a copy of it and
    the legacy `plan` derived from it. Subscription items carry no `livemode`."""
    return {
        "id": id,
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": current_period_end,
        "current_period_start": current_period_start,
        "discounts": [],
        "metadata": copy_metadata(metadata),
        "plan": plan_from_price(price),
        "price": copy.deepcopy(dict(price)),
        "quantity": quantity,
        "subscription": subscription,
        "tax_rates": [],
    }


def pending_update(
    *,
    expires_at: int,
    subscription_items: list[JSON],
    billing_cycle_anchor: int | None = None,
    metadata: Mapping[str, str] | None = None,
) -> JSON:
    """A subscription's `pending_update`: the change that applies once its latest invoice is
    paid. `subscription_items` are the items as the change would leave them (copied);
    `metadata` holds the keys the change would merge in, or None when it sets none.

    The discount, trial and cancellation fields stay null: the sandbox makes pending updates
    only from item changes and metadata (see `engine/pending_updates.py`).
    """
    return {
        "billing_cycle_anchor": billing_cycle_anchor,
        "cancel_at_period_end": None,
        "discount": None,
        "discounts": None,
        "expires_at": expires_at,
        "metadata": None if metadata is None else dict(metadata),
        "subscription_items": copy.deepcopy(subscription_items),
        "trial_end": None,
        "trial_from_plan": None,
    }
