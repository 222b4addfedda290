"""Builders for invoices, their line items, pending invoice items and invoice payments.

In the current API an invoice names its subscription under `parent.subscription_details`, and
a line or invoice item names its price under `pricing.price_details`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .common import JSON, copy_metadata, list_object, unit_amount_decimal


def invoice(
    *,
    id: str,
    created: int,
    customer: str,
    currency: str,
    status: str = "draft",
    subscription: str | None = None,
    billing_reason: str,
    period_start: int,
    period_end: int,
    number: str | None = None,
    customer_email: str | None = None,
    customer_name: str | None = None,
    collection_method: str = "charge_automatically",
    hosted_invoice_url: str | None = None,
    invoice_pdf: str | None = None,
    test_clock: str | None = None,
    default_payment_method: str | None = None,
    metadata: Mapping[str, str] | None = None,
    subscription_metadata: Mapping[str, str] | None = None,
    lines: list[JSON] | None = None,
    auto_advance: bool | None = None,
    description: str | None = None,
    due_date: int | None = None,
    account_country: str = "US",
    account_name: str | None = None,
) -> JSON:
    """An invoice with all amounts at 0; the caller totals the lines.

    `subscription_metadata` is the snapshot of the subscription's metadata Stripe keeps on the
    parent. `auto_advance` defaults to true for subscription invoices and false otherwise.
    `confirmation_secret` and `payments` are includable, so the server adds them at render time.
    """
    parent: JSON | None = None
    if subscription is not None:
        parent = {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": copy_metadata(subscription_metadata),
                "subscription": subscription,
                "subscription_proration_date": None,  # a proration preview's date
            },
        }
    return {
        "id": id,
        "object": "invoice",
        "account_country": account_country,
        "account_name": account_name,
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,  # the sandbox takes no payment outside Stripe
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": subscription is not None if auto_advance is None else auto_advance,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": collection_method,
        "created": created,
        "currency": currency,
        "custom_fields": None,
        "customer": customer,
        "customer_account": None,
        "customer_address": None,
        "customer_email": customer_email,
        "customer_name": customer_name,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "due_date": due_date,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": hosted_invoice_url,
        "invoice_pdf": invoice_pdf,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(
            data=copy.deepcopy(lines) if lines else [], url=f"/v1/invoices/{id}/lines"
        ),
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": {
            "amount_tax_display": None,
            "pdf": {"page_size": "auto"},
            "template": None,
            "template_version": None,
        },
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": status,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": test_clock,
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def _pricing(price: str, product: str, unit_amount: str | None) -> JSON:
    return {
        "type": "price_details",
        "price_details": {"price": price, "product": product},
        "unit_amount_decimal": unit_amount,
    }


def line_item(
    *,
    id: str,
    invoice: str,
    amount: int,
    currency: str,
    description: str,
    period_start: int,
    period_end: int,
    quantity: int,
    price: str,
    product: str,
    subscription: str | None = None,
    subscription_item: str | None = None,
    proration: bool = False,
    invoice_item: str | None = None,
    discountable: bool = True,
    metadata: Mapping[str, str] | None = None,
    credited_items: Mapping[str, Any] | None = None,
    unit_amount: str | None = None,
) -> JSON:
    """An invoice line. Its `parent` says where it came from: a pending invoice item when
    `invoice_item` is given, else the subscription item.

    `credited_items` ({invoice, invoice_line_items}) names what a proration credits.
    `unit_amount` overrides the decimal unit amount otherwise derived from amount/quantity.
    """
    proration_details = {
        "credited_items": copy.deepcopy(dict(credited_items)) if credited_items else None
    }
    parent: JSON | None = None
    if invoice_item is not None:
        parent = {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": invoice_item,
                "proration": proration,
                "proration_details": proration_details,
                "subscription": subscription,
            },
            "subscription_item_details": None,
        }
    elif subscription is not None:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": proration,
                "proration_details": proration_details,
                "subscription": subscription,
                "subscription_item": subscription_item,
            },
        }
    if unit_amount is None:
        unit_amount = unit_amount_decimal(amount, quantity)
    return {
        "id": id,
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [],
        "discountable": discountable,
        "discounts": [],
        "invoice": invoice,
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "parent": parent,
        "period": {"end": period_end, "start": period_start},
        "pretax_credit_amounts": [],
        "pricing": _pricing(price, product, unit_amount),
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "subscription": subscription,
        "subtotal": amount,
        "taxes": [],
    }


def invoice_item(
    *,
    id: str,
    created: int,
    customer: str,
    amount: int,
    currency: str,
    description: str,
    period_start: int,
    period_end: int,
    quantity: int,
    price: str,
    product: str,
    subscription: str | None = None,
    subscription_item: str | None = None,
    proration: bool = False,
    invoice: str | None = None,
    test_clock: str | None = None,
    discountable: bool = True,
    metadata: Mapping[str, str] | None = None,
    unit_amount: str | None = None,
) -> JSON:
    """A pending invoice item (`invoiceitem`); its creation time is `date`.

    `parent` is null for a standalone item. `subscription_details.subscription_item` is an
    optional field in Stripe, present only when an item generated the invoice item.
    """
    parent: JSON | None = None
    if subscription is not None:
        details: JSON = {"subscription": subscription}
        if subscription_item is not None:
            details["subscription_item"] = subscription_item
        parent = {"type": "subscription_details", "subscription_details": details}
    if unit_amount is None:
        unit_amount = unit_amount_decimal(amount, quantity)
    return {
        "id": id,
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "date": created,
        "description": description,
        "discountable": discountable,
        "discounts": [],
        "invoice": invoice,
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "net_amount": amount,
        "parent": parent,
        "period": {"end": period_end, "start": period_start},
        "pricing": _pricing(price, product, unit_amount),
        "proration": proration,
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": [],
        "test_clock": test_clock,
    }


def invoice_payment(
    *,
    id: str,
    created: int,
    invoice: str,
    amount_requested: int,
    currency: str,
    payment_intent: str,
    status: str,
    amount_paid: int | None = None,
    paid_at: int | None = None,
    canceled_at: int | None = None,
    is_default: bool = True,
) -> JSON:
    """A payment of an invoice through a PaymentIntent. `status` is open, paid or canceled."""
    return {
        "id": id,
        "object": "invoice_payment",
        "amount_paid": amount_paid,
        "amount_requested": amount_requested,
        "created": created,
        "currency": currency,
        "invoice": invoice,
        "is_default": is_default,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": payment_intent},
        "status": status,
        "status_transitions": {"canceled_at": canceled_at, "paid_at": paid_at},
    }
