"""What happens to a subscription as time passes: renewals, trial ends, scheduled
cancellations, pauses that resume, and first payments or pending updates that were never
paid."""

from __future__ import annotations

import copy
from typing import Any

from ..api_objects import render
from ..context import Context
from .discounts import end_discounts
from .invoicing import build_invoice, collect, finalize, void
from .period_charges import period_charge
from .periods import add_interval
from .schedule_links import end_with_subscription

JSON = dict[str, Any]

INCOMPLETE_EXPIRES_AFTER = 23 * 3600
# A pending update waits at most this long for its invoice to be paid (less when the period
# or the trial ends sooner), as Stripe's pending updates reference says.
PENDING_UPDATE_EXPIRES_AFTER = 23 * 3600


def items_of(ctx: Context, sub: JSON) -> list[JSON]:
    return [ctx.state.get("subscription_item", i) for i in sub["items"]["data"]]


def price_of(ctx: Context, item: JSON) -> JSON:
    return ctx.state.get("price", item["price"]["id"])


def changed(before: JSON, after: JSON) -> JSON:
    """Stripe's `previous_attributes`: the old value of each top-level field that changed."""
    return {key: value for key, value in before.items() if after.get(key) != value}


def emit_updated(ctx: Context, sub: JSON, before: JSON) -> None:
    previous = changed(before, render(ctx.state, sub))
    if previous:
        ctx.emit("customer.subscription.updated", sub, previous)


def end_subscription(ctx: Context, sub: JSON, at: int) -> None:
    sub["status"] = "canceled"
    sub["ended_at"] = at
    sub["canceled_at"] = sub["canceled_at"] or at
    if sub["cancellation_details"]["reason"] is None:
        sub["cancellation_details"]["reason"] = "cancellation_requested"
    ctx.emit("customer.subscription.deleted", sub)
    end_with_subscription(ctx, sub, at)


def _trial_ends_without_card(ctx: Context, sub: JSON, at: int) -> bool:
    """A trial over with no payment method to charge, whose `trial_settings` say to cancel
    rather than send an invoice no card will pay."""
    if sub["status"] != "trialing" or (sub["trial_end"] or 0) > at:
        return False
    if sub["trial_settings"]["end_behavior"]["missing_payment_method"] != "cancel":
        return False
    customer = ctx.state.get("customer", sub["customer"])
    has_card = sub["default_payment_method"] or sub["default_source"]
    return not (has_card or customer["invoice_settings"]["default_payment_method"])


def next_due(sub: JSON, ctx: Context) -> int | None:
    """When this subscription next needs the clock's attention, if ever."""
    status = sub["status"]
    if status in ("canceled", "incomplete_expired"):
        return None
    if status == "incomplete":
        return int(sub["created"]) + INCOMPLETE_EXPIRES_AFTER
    times: list[int] = [items_of(ctx, sub)[0]["current_period_end"]]
    if sub["pending_update"]:
        times.append(sub["pending_update"]["expires_at"])
    if sub["cancel_at"]:
        times.append(sub["cancel_at"])
    resumes = (sub["pause_collection"] or {}).get("resumes_at")
    if resumes:
        times.append(resumes)
    return min(times)


def advance(ctx: Context, sub: JSON, at: int) -> None:
    """Do what is due for `sub` at time `at` (one step; the clock calls again)."""
    before = render(ctx.state, sub)
    if sub["status"] == "incomplete":
        sub["status"] = "incomplete_expired"
        invoice = ctx.state.find("invoice", sub["latest_invoice"] or "")
        if invoice and invoice["status"] == "open":
            void(ctx, invoice, at)
        emit_updated(ctx, sub, before)
        return
    pending = sub["pending_update"]
    if pending and pending["expires_at"] <= at:
        _expire_pending_update(ctx, sub, at)
        emit_updated(ctx, sub, before)
        return
    pause = sub["pause_collection"]
    if pause and pause.get("resumes_at") and pause["resumes_at"] <= at:
        sub["pause_collection"] = None
        emit_updated(ctx, sub, before)
        return
    if sub["cancel_at"] and sub["cancel_at"] <= at:
        end_subscription(ctx, sub, sub["cancel_at"])
        return
    if _trial_ends_without_card(ctx, sub, at):
        end_subscription(ctx, sub, sub["trial_end"])
        return
    renew(ctx, sub, at)
    emit_updated(ctx, sub, before)


def _expire_pending_update(ctx: Context, sub: JSON, at: int) -> None:
    """Unpaid by its `expires_at`: Stripe voids the invoice the pending update waited on (the
    subscription's latest) and discards the change; the subscription carries on unchanged."""
    invoice = ctx.state.find("invoice", sub["latest_invoice"] or "")
    if invoice and invoice["status"] == "open":
        void(ctx, invoice, at)
    sub["pending_update"] = None
    ctx.emit("customer.subscription.pending_update_expired", sub)


def renew(ctx: Context, sub: JSON, at: int) -> None:
    items = items_of(ctx, sub)
    start, end = items[0]["current_period_start"], items[0]["current_period_end"]
    recurring = price_of(ctx, items[0])["recurring"]
    new_end = add_interval(
        end, recurring["interval"], recurring["interval_count"], anchor=sub["billing_cycle_anchor"]
    )
    for item in items:
        item["current_period_start"], item["current_period_end"] = end, new_end
    if sub["status"] == "trialing" and (sub["trial_end"] or 0) <= at:
        sub["status"] = "active"
    end_discounts(ctx, sub, end)
    charges = [
        period_charge(ctx, item, price_of(ctx, item), item["quantity"], end, new_end)
        for item in items
    ]
    invoice = build_invoice(
        ctx,
        sub=sub,
        customer=sub["customer"],
        billing_reason="subscription_cycle",
        charges=charges,
        period_start=start,
        period_end=end,
    )
    sub["latest_invoice"] = invoice["id"]
    pause = sub["pause_collection"]
    if pause:
        # Paused collection: the invoice is kept as a draft, voided, or written off.
        if pause["behavior"] != "keep_as_draft":
            finalize(ctx, invoice)
        if pause["behavior"] == "void":
            void(ctx, invoice, at)
        elif pause["behavior"] == "mark_uncollectible":
            invoice["status"] = "uncollectible"
            invoice["status_transitions"]["marked_uncollectible_at"] = at
        return
    finalize(ctx, invoice)
    outcome = collect(ctx, invoice, payment_method_for(ctx, sub))
    if outcome != "succeeded":
        sub["status"] = "past_due"


def payment_method_for(ctx: Context, sub: JSON) -> str | None:
    """The subscription's own default card, else the customer's, as Stripe chooses."""
    if sub["default_payment_method"]:
        return str(sub["default_payment_method"])
    owner = ctx.state.get("customer", sub["customer"])
    found = owner["invoice_settings"]["default_payment_method"]
    return str(found) if found else None


def snapshot(ctx: Context, sub: JSON) -> JSON:
    return copy.deepcopy(render(ctx.state, sub))
