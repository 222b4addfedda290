"""Test clocks: frozen time for a group of customers, advanced on request.

Advancing walks time forward one due moment at a time (a renewal, a trial end, a scheduled
cancellation, a pause that resumes, a schedule's next phase), so a year's advance makes a
year of invoices in order.
"""

from __future__ import annotations

from typing import Any

from stripe.params import test_helpers as tp

from .. import shapes
from ..context import Context
from ..engine.cancellation import remove_customer
from ..engine.lifecycle import advance, next_due
from ..engine.listing import page
from ..engine.schedule_time import advance_schedule, schedule_due
from ..errors import StripeError, invalid
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()

_KIND = "test_helpers.test_clock"
_LIFETIME = 30 * 86400
_MAX_STEPS = 10_000
# What carries a `customer` field and goes with a clock's customer.
_CUSTOMERS_OBJECTS = (
    "subscription",
    "invoice",
    "invoiceitem",
    "payment_method",
    "setup_intent",
    "payment_intent",
    "charge",
    "discount",
    "subscription_schedule",
)


@ROUTES.route("POST", "/v1/test_helpers/test_clocks", tp.TestClockCreateParams)
def create_clock(ctx: Context, params: JSON) -> JSON:
    now = ctx.now()
    clock = shapes.test_clock(
        id=ctx.state.new_id(_KIND),
        created=now,
        frozen_time=params["frozen_time"],
        name=params.get("name"),
        deletes_after=now + _LIFETIME,
    )
    ctx.state.put(clock, _KIND)
    ctx.emit("test_helpers.test_clock.created", clock)
    return clock


@ROUTES.route("GET", "/v1/test_helpers/test_clocks/{id}", tp.TestClockRetrieveParams)
def retrieve_clock(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get(_KIND, ctx.args["id"], param="test_clock")


@ROUTES.route("GET", "/v1/test_helpers/test_clocks", tp.TestClockListParams)
def list_clocks(ctx: Context, params: JSON) -> JSON:
    return page(ctx.state.all(_KIND), params, "/v1/test_helpers/test_clocks")


@ROUTES.route("DELETE", "/v1/test_helpers/test_clocks/{id}", tp.TestClockDeleteParams)
def delete_clock(ctx: Context, params: JSON) -> JSON:
    """Deleting a clock deletes its customers and everything attached to them, as Stripe
    does: a simulation leaves nothing behind."""
    clock = ctx.state.get(_KIND, ctx.args["id"], param="test_clock")
    for customer in list(ctx.state.all("customer")):
        if customer["test_clock"] == clock["id"]:
            remove_customer(ctx, customer)
            _delete_attached(ctx, customer["id"])
    ctx.state.delete(_KIND, clock["id"])
    ctx.emit("test_helpers.test_clock.deleted", clock)
    return shapes.deleted(object=_KIND, id=clock["id"])


def _delete_attached(ctx: Context, customer_id: str) -> None:
    state = ctx.state
    gone: set[str] = set()
    for kind in _CUSTOMERS_OBJECTS:
        for obj in list(state.all(kind)):
            if obj["customer"] == customer_id:
                state.delete(kind, obj["id"])
                gone.add(obj["id"])
    # These name their subscription or invoice, not the customer.
    for kind, owner in (("subscription_item", "subscription"), ("invoice_payment", "invoice")):
        for obj in list(state.all(kind)):
            if obj[owner] in gone:
                state.delete(kind, obj["id"])


@ROUTES.route("POST", "/v1/test_helpers/test_clocks/{id}/advance", tp.TestClockAdvanceParams)
def advance_clock(ctx: Context, params: JSON) -> JSON:
    clock = ctx.state.get(_KIND, ctx.args["id"], param="test_clock")
    target = params["frozen_time"]
    if target <= clock["frozen_time"]:
        raise invalid(
            "Cannot advance a test clock to a time earlier than or equal to its "
            "current frozen time.",
            param="frozen_time",
        )
    customers = {c["id"] for c in ctx.state.all("customer") if c["test_clock"] == clock["id"]}
    for _ in range(_MAX_STEPS):
        due = _due(ctx, customers, target)
        if not due:
            break
        when, rank, obj = min(due, key=lambda step: (step[0], step[1], step[2]["created"]))
        clock["frozen_time"] = max(clock["frozen_time"], when)
        if rank == _SCHEDULE:
            advance_schedule(ctx, obj, when)
        else:
            advance(ctx, obj, when)
    else:
        raise StripeError(
            "The advance covers too many billing periods; advance in steps.", param="frozen_time"
        )
    clock["frozen_time"] = target
    clock["status"] = "ready"
    ctx.emit("test_helpers.test_clock.ready", clock)
    return clock


# At the same moment a schedule goes first: a phase that begins at a renewal changes the
# items before the renewal bills them.
_SCHEDULE, _SUBSCRIPTION = 0, 1


def _due(ctx: Context, customers: set[str], target: int) -> list[tuple[int, int, JSON]]:
    """What the clock's customers have due by `target`: (when, rank, object)."""
    steps: list[tuple[int, int, JSON]] = []
    for schedule in ctx.state.all("subscription_schedule"):
        when = schedule_due(schedule) if schedule["customer"] in customers else None
        if when is not None and when <= target:
            steps.append((when, _SCHEDULE, schedule))
    for sub in ctx.state.all("subscription"):
        when = next_due(sub, ctx) if sub["customer"] in customers else None
        if when is not None and when <= target:
            steps.append((when, _SUBSCRIPTION, sub))
    return steps
