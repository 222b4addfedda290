"""Ending subscriptions now rather than as time passes: a cancellation, with the credit for
unused time and the invoice it may ask for, and a customer's deletion, which ends the
customer's live subscriptions first."""

from __future__ import annotations

from typing import Any

from ..context import Context
from .invoicing import invoice_now
from .lifecycle import end_subscription, items_of, payment_method_for, price_of
from .period_charges import pending_item, pending_items, proration_charges
from .tax_ids import remove_tax_ids

JSON = dict[str, Any]

_ENDED = ("canceled", "incomplete_expired")


def cancel_now(ctx: Context, sub: JSON, *, prorate: bool, invoice: bool) -> None:
    """End a live subscription now; `prorate` credits the unused time, `invoice` bills what
    is pending for it at once."""
    now = ctx.now(sub["customer"])
    # A trial was never paid for, so there is nothing to credit.
    if prorate and sub["status"] != "trialing":
        for item in items_of(ctx, sub):
            for charge in proration_charges(
                ctx, item, price_of(ctx, item), item["quantity"], None, 0, now
            ):
                pending_item(ctx, sub, charge)
    end_subscription(ctx, sub, now)
    # `invoice_now` bills what is pending for the subscription: this credit and earlier
    # prorations alike.
    if invoice and pending_items(ctx, sub["customer"], sub["id"]):
        invoice_now(
            ctx,
            sub,
            [],
            billing_reason="manual",
            period_start=now,
            period_end=now,
            pm_id=payment_method_for(ctx, sub),
        )


def remove_customer(ctx: Context, customer: JSON) -> None:
    """Delete a customer as Stripe does: its live subscriptions end now (ended ones keep
    their status and end time), then the customer and its tax IDs go, with
    `customer.deleted`."""
    at = ctx.now(customer["id"])
    for subscription in list(ctx.state.all("subscription")):
        if subscription["customer"] == customer["id"] and subscription["status"] not in _ENDED:
            end_subscription(ctx, subscription, at)
    remove_tax_ids(ctx, customer)
    ctx.state.delete("customer", customer["id"])
    ctx.emit("customer.deleted", customer)
