"""Pending updates: `payment_behavior=pending_if_incomplete` on `POST /v1/subscriptions/{id}`.

A change that bills at once takes effect only when its invoice is paid. When the payment does
not go through right away (a decline, a card that needs authentication), the subscription
keeps its items and shows the change in `pending_update`, and its latest invoice stays open.
Paying that invoice later (Stripe.js confirming its payment intent, `POST /v1/invoices/{id}/pay`)
applies the change; unpaid by `expires_at`, it is dropped and the invoice voided
(`lifecycle.py`). A change that bills nothing, or whose payment succeeds at once, applies as
any update does.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import shapes
from ..api_objects import render
from ..context import Context
from ..errors import StripeError, not_implemented
from .lifecycle import PENDING_UPDATE_EXPIRES_AFTER, emit_updated, items_of
from .listing import merge_metadata
from .settlement import UPDATE_PAID
from .update_plans import Plan, new_item, period_once_applied

JSON = dict[str, Any]

PENDING = "pending_if_incomplete"
_WITH_PENDING = f"with `payment_behavior={PENDING}`"

# What Stripe takes together with pending_if_incomplete at the sandbox's API version: the
# pending updates reference's list, plus `metadata` and `discounts` (2026-05-27.dahlia) and
# `cancel_at_period_end` (2026-09-30.endive). Stripe refuses anything else.
_STRIPE_ALLOWS = frozenset(
    {"expand", "payment_behavior", "proration_behavior", "proration_date",
     "billing_cycle_anchor", "items", "trial_end", "trial_from_plan", "add_invoice_items",
     "metadata", "discounts", "cancel_at_period_end"}
)  # fmt: skip
# In `items[]` the reference names price and quantity (item `discounts` since
# 2026-07-29.dahlia); `id` names the item and `plan` is the older name of `price`.
_STRIPE_ALLOWS_IN_ITEMS = frozenset({"id", "price", "plan", "quantity", "discounts"})
# Taken by Stripe, but not carried by the sandbox's pending updates: refused by name.
_NOT_CARRIED = ("discounts", "cancel_at_period_end")
_REFERENCE = "https://docs.stripe.com/billing/pending-updates-reference#supported-attributes"


def check_pending_params(params: JSON) -> None:
    """Refuse, before anything is written, what a pending update cannot carry: Stripe's 400
    for parameters it does not take with pending_if_incomplete, the sandbox's for those it
    does not model."""
    for name in sorted(params.keys() - _STRIPE_ALLOWS):
        raise _not_with_pending(name)
    for index, spec in enumerate(params.get("items") or []):
        for field in sorted(spec.keys() - _STRIPE_ALLOWS_IN_ITEMS):
            raise _not_with_pending(f"items[{index}][{field}]")
    for name in _NOT_CARRIED:
        if name in params:
            raise not_implemented(name, when=_WITH_PENDING)
    # Ending a trial now bills the first period; `metadata=""` would clear every key once
    # paid. Neither is held in a pending update here.
    for name, value in (("trial_end", "now"), ("metadata", "")):
        if params.get(name) == value:
            raise not_implemented(name, value, when=_WITH_PENDING)


def _not_with_pending(param: str) -> StripeError:
    return StripeError(
        f"You cannot pass `{param}` with `payment_behavior={PENDING}`. A pending update "
        f"takes only the parameters listed at {_REFERENCE}.",
        param=param,
    )


def check_while_pending(sub: JSON, params: JSON) -> None:
    """While a pending update waits for payment, the sandbox refuses another change of what
    it holds rather than guess how Stripe would merge, replace or expire the first."""
    if sub["pending_update"] is None:
        return
    for name in ("items", "trial_end"):
        if name in params:
            raise not_implemented(name, when="while a pending update waits for payment")


def hold_update(ctx: Context, sub: JSON, plan: Plan, params: JSON) -> None:
    """The change's invoice was not paid at once: the subscription keeps its items and the
    change waits in `pending_update`, for the cycle it was billed for."""
    template = items_of(ctx, sub)[0]
    named = {spec["id"] for spec in params.get("items") or [] if "id" in spec}
    # Stripe: 23 hours, or sooner if the period (or a trial, which ends with it) ends first.
    expires_at = min(
        ctx.now(sub["customer"]) + PENDING_UPDATE_EXPIRES_AFTER, template["current_period_end"]
    )
    sub["pending_update"] = shapes.pending_update(
        expires_at=expires_at,
        subscription_items=_would_be_items(ctx, sub, plan, named, template),
        billing_cycle_anchor=plan.at if plan.resets_cycle else None,
        metadata=params.get("metadata"),
    )


def _would_be_items(
    ctx: Context, sub: JSON, plan: Plan, named: set[str], template: JSON
) -> list[JSON]:
    """The items the change names or adds, as they would be once it applies."""
    start, end = period_once_applied(plan, template)
    items = []
    for change in plan.changes:
        if change.item is None:
            item = new_item(ctx, sub, change, start, end)
        elif change.item["id"] in named:
            item = render(ctx.state, change.item)
            item.update(
                price=copy.deepcopy(change.price),
                plan=shapes.plan_from_price(change.price),
                quantity=change.quantity,
                current_period_start=start,
                current_period_end=end,
            )
        else:
            continue
        items.append(item)
    return items


_APPLIED_FIELDS = ("price", "plan", "quantity", "current_period_start", "current_period_end")


@UPDATE_PAID.handle
def apply_paid_update(ctx: Context, sub: JSON, invoice: JSON) -> None:
    """`invoice` is paid: if the subscription's pending update waited on it, the change takes
    effect now, as `pending_update` showed it."""
    pending = sub["pending_update"]
    if pending is None or sub["latest_invoice"] != invoice["id"]:
        return
    if sub["status"] in ("canceled", "incomplete_expired"):
        return
    before = render(ctx.state, sub)
    wanted = pending["subscription_items"]
    if pending["billing_cycle_anchor"] is not None:
        # A new interval restarted the cycle for every item, named or not.
        sub["billing_cycle_anchor"] = pending["billing_cycle_anchor"]
        for item in items_of(ctx, sub):
            item["current_period_start"] = wanted[0]["current_period_start"]
            item["current_period_end"] = wanted[0]["current_period_end"]
    for would_be in wanted:
        current = ctx.state.find("subscription_item", would_be["id"])
        if current is None:
            ctx.state.put(copy.deepcopy(would_be))
            sub["items"]["data"].append(would_be["id"])
        else:
            current.update({key: copy.deepcopy(would_be[key]) for key in _APPLIED_FIELDS})
    if pending["metadata"] is not None:
        sub["metadata"] = merge_metadata(sub["metadata"], pending["metadata"])
    sub["pending_update"] = None
    ctx.emit("customer.subscription.pending_update_applied", sub)
    emit_updated(ctx, sub, before)
