"""Subscription schedules: made from a subscription, their phases updated, released or
canceled, retrieved and listed. What the clock does with them is in `schedule_time`.

A schedule made from a subscription has one phase mirroring it (its items, its discounts,
its current period). "Downgrade at period end" adds a next phase and lets the clock do the
rest; taking the downgrade back releases the schedule.
"""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from .. import shapes
from ..api_objects import render
from ..context import Context
from ..engine.cancellation import cancel_now
from ..engine.lifecycle import changed, emit_updated, items_of
from ..engine.listing import merge_metadata, page, time_filter
from ..engine.schedule_links import MANAGING
from ..engine.schedule_phases import plan_phases
from ..engine.schedule_time import apply_phase, current_index, release, show_end
from ..errors import invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()

_KIND = "subscription_schedule"
_NOT_MIGRATABLE = ("incomplete", "incomplete_expired", "canceled")

# Every parameter is decided on: with `from_subscription` the others are Stripe's error, and
# a schedule from `customer` and `phases` is refused by name.
_CREATE_IMPLEMENTED = frozenset(
    {"from_subscription", "customer", "customer_account", "phases", "start_date",
     "end_behavior", "metadata", "default_settings", "billing_mode", "pause_schedules"}
)  # fmt: skip


@ROUTES.route(
    "POST",
    "/v1/subscription_schedules",
    sp.SubscriptionScheduleCreateParams,
    implemented=_CREATE_IMPLEMENTED,
)
def create_schedule(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    if not params.get("from_subscription"):
        if not params.get("customer"):
            raise invalid(
                "Missing required param: customer.", param="customer", code="parameter_missing"
            )
        raise not_implemented("phases" if "phases" in params else "customer")
    for name in sorted(params.keys() - {"from_subscription", "expand"}):
        raise invalid(f"You cannot set `{name}` if `from_subscription` is set.", param=name)
    sub = state.get("subscription", params["from_subscription"], param="from_subscription")
    # An unpaid first invoice leaves nothing to schedule: the subscription expires or starts.
    if sub["status"] in _NOT_MIGRATABLE:
        raise invalid(
            f"You cannot migrate a subscription in the `{sub['status']}` status to a "
            f"subscription schedule: {sub['id']}",
            param="from_subscription",
        )
    if sub["schedule"]:
        raise invalid(
            "You cannot migrate a subscription that is already attached to a schedule: "
            f"`{sub['schedule']}`.",
            param="from_subscription",
        )
    items = items_of(ctx, sub)
    start, period_end = items[0]["current_period_start"], items[0]["current_period_end"]
    # A cancellation already set carries over as the schedule's end.
    end = sub["cancel_at"] or period_end
    phase = shapes.schedule_phase(
        start_date=start,
        end_date=end,
        currency=sub["currency"],
        items=[shapes.phase_item(price=i["price"]["id"], quantity=i["quantity"]) for i in items],
        discounts=sub["discounts"],
        trial_end=sub["trial_end"] if sub["status"] == "trialing" else None,
    )
    schedule = shapes.subscription_schedule(
        id=state.new_id(_KIND),
        created=ctx.now(sub["customer"]),
        customer=sub["customer"],
        phases=[phase],
        subscription=sub["id"],
        current_phase=(start, end),
        end_behavior="cancel" if sub["cancel_at"] else "release",
        test_clock=sub["test_clock"],
        billing_mode=sub["billing_mode"],
        collection_method=sub["collection_method"],
        default_payment_method=sub["default_payment_method"],
        description=sub["description"],
    )
    state.put(schedule)
    ctx.emit("subscription_schedule.created", schedule)
    before = render(state, sub)
    sub["schedule"] = schedule["id"]
    emit_updated(ctx, sub, before)
    return schedule


@ROUTES.route("GET", "/v1/subscription_schedules/{id}", sp.SubscriptionScheduleRetrieveParams)
def retrieve_schedule(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get(_KIND, ctx.args["id"])


_LIST_IMPLEMENTED = frozenset(
    {"customer", "created", "canceled_at", "completed_at", "released_at", "scheduled",
     "limit", "starting_after", "ending_before"}
)  # fmt: skip


@ROUTES.route(
    "GET",
    "/v1/subscription_schedules",
    sp.SubscriptionScheduleListParams,
    implemented=_LIST_IMPLEMENTED,
)
def list_schedules(ctx: Context, params: JSON) -> JSON:
    customer = params.get("customer")
    scheduled = params.get("scheduled")
    times = [
        time_filter(params, field)
        for field in ("created", "canceled_at", "completed_at", "released_at")
    ]
    found = [
        s
        for s in ctx.state.all(_KIND)
        # Without `customer`, Stripe leaves out the schedules of test clock customers.
        if (s["customer"] == customer if customer else s["test_clock"] is None)
        and (scheduled is None or (s["status"] == "not_started") == scheduled)
        and all(keep(s) for keep in times)
    ]
    return page(found, params, "/v1/subscription_schedules")


def _require_managing(schedule: JSON, verb: str, done: str) -> None:
    if schedule["status"] not in MANAGING:
        raise invalid(
            f"You cannot {verb} a subscription schedule that is currently in the "
            f"`{schedule['status']}` status. It must be in `not_started`, `active` status to "
            f"be {done}."
        )


@ROUTES.route(
    "POST",
    "/v1/subscription_schedules/{id}",
    sp.SubscriptionScheduleUpdateParams,
    implemented=frozenset({"phases", "end_behavior", "metadata", "proration_behavior"}),
)
def update_schedule(ctx: Context, params: JSON) -> JSON:
    """Replace the phases (the one in effect keeps its start; a change to it applies now,
    with `proration_behavior`), the end behaviour or the metadata. Everything is checked
    before anything is written."""
    state = ctx.state
    schedule = state.get(_KIND, ctx.args["id"])
    _require_managing(schedule, "update", "updated")
    sub = state.get("subscription", schedule["subscription"])
    now = ctx.now(schedule["customer"])
    end_behavior = params.get("end_behavior", schedule["end_behavior"])
    if end_behavior not in ("release", "cancel"):
        raise not_implemented("end_behavior", end_behavior)
    planned = plan_phases(ctx, schedule, sub, params["phases"], now) if "phases" in params else None
    metadata = (
        merge_metadata(schedule["metadata"], params["metadata"]) if "metadata" in params else None
    )

    before, before_sub = render(state, schedule), render(state, sub)
    if planned is not None:
        ongoing = schedule["phases"][current_index(schedule)]
        current = planned.phases[planned.current]
        schedule["phases"] = planned.phases
        schedule["current_phase"] = {
            "end_date": current["end_date"],
            "start_date": current["start_date"],
        }
        if _changes_subscription(ctx, sub, ongoing, current):
            behavior = params.get("proration_behavior", "create_prorations")
            apply_phase(ctx, sub, current, now, behavior)
    schedule["end_behavior"] = end_behavior
    if metadata is not None:
        schedule["metadata"] = metadata
    show_end(schedule, sub, now)
    emit_updated(ctx, sub, before_sub)
    previous = changed(before, schedule)
    if previous:
        ctx.emit("subscription_schedule.updated", schedule, previous)
    return schedule


def _changes_subscription(ctx: Context, sub: JSON, ongoing: JSON, phase: JSON) -> bool:
    """Whether the phase in effect, as updated, asks the subscription for something else
    than it has now."""
    has = sorted((i["price"]["id"], i["quantity"]) for i in items_of(ctx, sub))
    wants = sorted((i["price"], i["quantity"]) for i in phase["items"])
    return (
        has != wants
        or sub["discounts"] != [entry["discount"] for entry in phase["discounts"]]
        or phase["items"] != ongoing["items"]
        or phase["metadata"] != ongoing["metadata"]
    )


@ROUTES.route(
    "POST",
    "/v1/subscription_schedules/{id}/release",
    sp.SubscriptionScheduleReleaseParams,
    implemented=frozenset({"preserve_cancel_date"}),
)
def release_schedule(ctx: Context, params: JSON) -> JSON:
    """Stop the phases now; the subscription keeps the items it has."""
    schedule = ctx.state.get(_KIND, ctx.args["id"])
    _require_managing(schedule, "release", "released")
    sub = ctx.state.get("subscription", schedule["subscription"])
    keep = bool(params.get("preserve_cancel_date"))
    release(ctx, schedule, sub, ctx.now(schedule["customer"]), keep_cancel=keep)
    return schedule


@ROUTES.route(
    "POST",
    "/v1/subscription_schedules/{id}/cancel",
    sp.SubscriptionScheduleCancelParams,
    implemented=frozenset({"invoice_now", "prorate"}),
)
def cancel_schedule(ctx: Context, params: JSON) -> JSON:
    """Cancel the schedule and its subscription now. Stripe's defaults differ from a plain
    subscription cancel: the unused time is credited and invoiced unless told otherwise."""
    schedule = ctx.state.get(_KIND, ctx.args["id"])
    _require_managing(schedule, "cancel", "canceled")
    sub = ctx.state.get("subscription", schedule["subscription"])
    schedule.update(
        status="canceled", canceled_at=ctx.now(schedule["customer"]), current_phase=None
    )
    cancel_now(
        ctx,
        sub,
        prorate=params.get("prorate", True),
        invoice=params.get("invoice_now", True),
    )
    ctx.emit("subscription_schedule.canceled", schedule)
    return schedule
