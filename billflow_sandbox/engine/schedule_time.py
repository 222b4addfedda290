"""A schedule as time passes: when the phase in effect ends, the next one takes over the
subscription; after the last one, the schedule releases its subscription or cancels it.

A phase that begins at a renewal swaps the items just before the renewal bills them (the test
clock steps schedules before subscriptions due at the same moment), so the new period is
billed at the new prices with no proration. One that begins inside a billing period is
applied like an update, with the phase's `proration_behavior`.
"""

from __future__ import annotations

from typing import Any

from ..api_objects import render
from ..context import Context
from ..errors import StripeError
from .applying_updates import apply_items, invoice_update
from .lifecycle import (
    changed,
    emit_updated,
    end_subscription,
    items_of,
    payment_method_for,
    price_of,
)
from .listing import merge_metadata
from .schedule_links import managing_schedule
from .update_plans import ItemChange, Plan, plan_changes

JSON = dict[str, Any]


def current_index(schedule: JSON) -> int:
    """The position of the phase in effect among the schedule's phases."""
    start = schedule["current_phase"]["start_date"]
    return next(i for i, p in enumerate(schedule["phases"]) if p["start_date"] == start)


def schedule_due(schedule: JSON) -> int | None:
    """When the schedule next needs the clock: the end of its phase in effect."""
    if schedule["status"] != "active" or schedule["current_phase"] is None:
        return None
    return int(schedule["current_phase"]["end_date"])


def phase_changes(ctx: Context, sub: JSON, phase: JSON) -> list[ItemChange]:
    """The subscription's items as `phase` has them: an item whose price stays keeps its
    id, the others are deleted, and prices new to the subscription become new items."""
    wanted = {item["price"]: item for item in phase["items"]}
    changes: list[ItemChange] = []
    for item in items_of(ctx, sub):
        spec = wanted.pop(item["price"]["id"], None)
        if spec is None:
            changes.append(ItemChange(item, price_of(ctx, item), item["quantity"], True, None))
        else:
            changes.append(
                ItemChange(item, price_of(ctx, item), spec["quantity"], False, spec["metadata"])
            )
    for price_id, spec in wanted.items():
        price = ctx.state.get("price", price_id)
        changes.append(ItemChange(None, price, spec["quantity"], False, spec["metadata"]))
    return changes


def apply_phase(ctx: Context, sub: JSON, phase: JSON, at: int, behavior: str) -> None:
    """Give the subscription the items, discounts and metadata of `phase` at `at`. The caller
    announces the change."""
    changes = phase_changes(ctx, sub, phase)
    if at == items_of(ctx, sub)[0]["current_period_end"]:
        apply_items(ctx, sub, Plan(changes, [], False, at), "none")
    else:
        plan = plan_changes(ctx, sub, changes, behavior, at)
        apply_items(ctx, sub, plan, behavior)
        if plan.resets_cycle or (behavior == "always_invoice" and plan.charges):
            invoice_update(ctx, sub, plan, payment_method_for(ctx, sub), "allow_incomplete")
    sub["discounts"] = [entry["discount"] for entry in phase["discounts"]]
    if phase["metadata"]:
        sub["metadata"] = merge_metadata(sub["metadata"], phase["metadata"])


def advance_schedule(ctx: Context, schedule: JSON, at: int) -> None:
    """The phase in effect ended at `at`: start the next one, or end the schedule."""
    sub = ctx.state.get("subscription", schedule["subscription"])
    index = current_index(schedule)
    if index + 1 < len(schedule["phases"]):
        before, before_sub = render(ctx.state, schedule), render(ctx.state, sub)
        phase = schedule["phases"][index + 1]
        apply_phase(ctx, sub, phase, at, phase["proration_behavior"])
        schedule["current_phase"] = {
            "end_date": phase["end_date"],
            "start_date": phase["start_date"],
        }
        emit_updated(ctx, sub, before_sub)
        ctx.emit("subscription_schedule.updated", schedule, changed(before, schedule))
    elif schedule["end_behavior"] == "cancel":
        schedule.update(status="completed", completed_at=at, current_phase=None)
        end_subscription(ctx, sub, at)
        ctx.emit("subscription_schedule.completed", schedule)
    else:
        release(ctx, schedule, sub, at, keep_cancel=False)


def release(ctx: Context, schedule: JSON, sub: JSON, at: int, *, keep_cancel: bool) -> None:
    """Let the subscription go on alone with the items it has; the cancellation the
    schedule set on it goes too unless `keep_cancel` (`preserve_cancel_date`)."""
    before = render(ctx.state, sub)
    schedule.update(
        status="released",
        released_at=at,
        released_subscription=sub["id"],
        subscription=None,
        current_phase=None,
    )
    sub["schedule"] = None
    if not keep_cancel and sub["cancel_at"] is not None:
        _clear_cancel(sub)
    emit_updated(ctx, sub, before)
    ctx.emit("subscription_schedule.released", schedule)


def show_end(schedule: JSON, sub: JSON, now: int) -> None:
    """`end_behavior=cancel` shows on the subscription as a cancellation when the last phase
    ends, as on Stripe; `release` leaves it none."""
    if schedule["end_behavior"] == "cancel":
        sub.update(
            cancel_at=schedule["phases"][-1]["end_date"],
            cancel_at_period_end=False,
            canceled_at=sub["canceled_at"] or now,
        )
        sub["cancellation_details"]["reason"] = "cancellation_requested"
    elif sub["cancel_at"] is not None:
        _clear_cancel(sub)


def _clear_cancel(sub: JSON) -> None:
    sub.update(cancel_at=None, cancel_at_period_end=False, canceled_at=None)
    sub["cancellation_details"]["reason"] = None


def upcoming_changes(ctx: Context, sub: JSON) -> list[ItemChange] | None:
    """The items the next renewal bills when the subscription's schedule changes them at
    that renewal; None when it bills the items the subscription has."""
    schedule = managing_schedule(ctx, sub)
    if schedule is None or schedule["current_phase"] is None:
        return None
    phase_end = schedule["current_phase"]["end_date"]
    period_end = items_of(ctx, sub)[0]["current_period_end"]
    index = current_index(schedule)
    if phase_end > period_end or index + 1 == len(schedule["phases"]):
        return None
    if phase_end < period_end:
        raise StripeError(
            "The Billflow sandbox does not implement previews of a subscription whose "
            f"schedule (`{schedule['id']}`) changes it inside the billing period.",
            param="subscription",
        )
    return phase_changes(ctx, sub, schedule["phases"][index + 1])
