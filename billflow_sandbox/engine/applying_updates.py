"""Making a planned change to a subscription's items real: the items become the plan's,
and its charges wait for the next invoice or are billed at once.

A direct update and a schedule phase that begins inside a billing period both apply their
plan here."""

from __future__ import annotations

from typing import Any

from .. import shapes
from ..context import Context
from .invoicing import invoice_now
from .lifecycle import items_of
from .listing import merge_metadata
from .period_charges import pending_item
from .update_plans import Plan, cycle_charges, new_item, period_once_applied

JSON = dict[str, Any]


def apply_items(ctx: Context, sub: JSON, plan: Plan, behavior: str) -> None:
    """Make the subscription's items those of `plan`; with `create_prorations`, its charges
    wait as pending items for the next invoice (other behaviours bill them elsewhere)."""
    state = ctx.state
    start, end = period_once_applied(plan, items_of(ctx, sub)[0])
    if plan.resets_cycle:
        sub["billing_cycle_anchor"] = plan.at
    elif behavior == "create_prorations":
        for charge in plan.charges:
            pending_item(ctx, sub, charge)
    for change in plan.changes:
        if change.deleted and change.item is not None:
            sub["items"]["data"].remove(change.item["id"])
            state.delete("subscription_item", change.item["id"])
            continue
        item = change.item
        if item is None:
            item = new_item(ctx, sub, change, start, end)
            state.put(item)
            sub["items"]["data"].append(item["id"])
        item.update(
            price=dict(change.price),
            plan=shapes.plan_from_price(change.price),
            quantity=change.quantity,
            current_period_start=start,
            current_period_end=end,
        )
        if change.metadata is not None:
            item["metadata"] = merge_metadata(item["metadata"], change.metadata)


def invoice_update(ctx: Context, sub: JSON, plan: Plan, pm_id: str | None, payment: str) -> None:
    """Bill an applied plan at once (`always_invoice`, or a cycle reset); an unpaid bill
    leaves an active subscription `past_due`."""
    if bill_update(ctx, sub, plan, pm_id, payment) != "succeeded" and sub["status"] == "active":
        sub["status"] = "past_due"


def bill_update(ctx: Context, sub: JSON, plan: Plan, pm_id: str | None, payment: str) -> str:
    """Invoice a plan's charges now and try to collect them; returns the payment's outcome."""
    charges = list(plan.charges)
    if plan.resets_cycle:
        charges += cycle_charges(ctx, plan, plan.at)
    return invoice_now(
        ctx,
        sub,
        charges,
        billing_reason="subscription_update",
        period_start=plan.at,
        period_end=plan.at,
        pm_id=pm_id,
        try_now=payment != "default_incomplete",
    )
