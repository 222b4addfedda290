"""Builders for subscription schedules, their phases and the items of a phase."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from .common import JSON, copy_metadata


def phase_item(*, price: str, quantity: int, metadata: Mapping[str, str] | None = None) -> JSON:
    """An item of a phase. Stripe names the price by id in both `price` and the legacy
    `plan` (each expandable), where a subscription item embeds the objects."""
    return {
        "billing_thresholds": None,
        "discounts": [],
        "metadata": copy_metadata(metadata),
        "plan": price,
        "price": price,
        "quantity": quantity,
        "tax_rates": [],
    }


def phase_discount(discount: str) -> JSON:
    """A phase's discount entry that keeps an existing discount (`di_…`)."""
    return {"coupon": None, "discount": discount, "promotion_code": None}


def schedule_phase(
    *,
    start_date: int,
    end_date: int,
    currency: str,
    items: Sequence[Mapping[str, Any]],
    discounts: Sequence[str] = (),
    metadata: Mapping[str, str] | None = None,
    proration_behavior: str = "create_prorations",
    trial_end: int | None = None,
) -> JSON:
    """A phase of a schedule. `items` are `phase_item` dicts; `discounts` are discount ids.
    Settings a phase leaves to the schedule's defaults render as null."""
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "billing_cycle_anchor": None,
        "billing_thresholds": None,
        "collection_method": None,
        "currency": currency,
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [phase_discount(d) for d in discounts],
        "end_date": end_date,
        "invoice_settings": None,
        "items": copy.deepcopy([dict(item) for item in items]),
        "metadata": copy_metadata(metadata),
        "on_behalf_of": None,
        "proration_behavior": proration_behavior,
        "start_date": start_date,
        "transfer_data": None,
        "trial_end": trial_end,
    }


def subscription_schedule(
    *,
    id: str,
    created: int,
    customer: str,
    phases: Sequence[Mapping[str, Any]],
    subscription: str | None = None,
    status: str = "active",
    current_phase: tuple[int, int] | None = None,
    end_behavior: str = "release",
    metadata: Mapping[str, str] | None = None,
    test_clock: str | None = None,
    billing_mode: Mapping[str, Any] | None = None,
    collection_method: str = "charge_automatically",
    default_payment_method: str | None = None,
    description: str | None = None,
) -> JSON:
    """A subscription schedule. `phases` are `schedule_phase` dicts; `current_phase` is the
    (start, end) of the phase in effect, given only while the schedule is active.
    `billing_mode` is the subscription's `billing_mode` object (default: classic)."""
    return {
        "id": id,
        "object": "subscription_schedule",
        "application": None,
        "billing_mode": copy.deepcopy(dict(billing_mode))
        if billing_mode
        else {"type": "classic", "flexible": None},
        "canceled_at": None,
        "completed_at": None,
        "created": created,
        "current_phase": (
            None
            if current_phase is None
            else {"end_date": current_phase[1], "start_date": current_phase[0]}
        ),
        "customer": customer,
        "customer_account": None,
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": "automatic",
            "billing_thresholds": None,
            "collection_method": collection_method,
            "default_payment_method": default_payment_method,
            "description": description,
            "invoice_settings": {
                "account_tax_ids": None,
                "custom_fields": None,
                "days_until_due": None,
                "description": None,
                "footer": None,
                "issuer": {"type": "self"},
            },
            "on_behalf_of": None,
            "transfer_data": None,
        },
        "end_behavior": end_behavior,
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "pause_schedules": [],  # the sandbox makes no pause schedules
        "phases": copy.deepcopy([dict(phase) for phase in phases]),
        "released_at": None,
        "released_subscription": None,
        "status": status,
        "subscription": subscription,
        "test_clock": test_clock,
    }
