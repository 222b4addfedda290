"""A subscription and the schedule that manages it: which schedule that is, what a direct
update of the subscription may not change meanwhile, and the schedule's end when the
subscription ends first.

It is part of the engine so that the subscription routes and the lifecycle can ask without
importing the schedule routes.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import StripeError

JSON = dict[str, Any]

# The statuses in which a schedule still steers its subscription.
MANAGING = ("not_started", "active")


def managing_schedule(ctx: Context, sub: JSON) -> JSON | None:
    """The schedule steering `sub`, if any."""
    if not sub["schedule"]:
        return None
    schedule = ctx.state.find("subscription_schedule", sub["schedule"])
    return schedule if schedule is not None and schedule["status"] in MANAGING else None


def refuse_direct_changes(ctx: Context, sub: JSON, params: JSON, within: str = "") -> None:
    """Refuse the direct updates of a scheduled subscription that Stripe refuses, and those
    whose effect on the schedule the sandbox does not model. `within` names the parameter
    holding `params` (`subscription_details` of a preview)."""
    schedule = managing_schedule(ctx, sub)
    if schedule is None:
        return
    for name in ("cancel_at_period_end", "cancel_at"):
        if name in params:
            raise StripeError(
                f"The subscription is managed by the subscription schedule `{schedule['id']}`, "
                "and updating any cancelation behavior directly is not allowed. Please update "
                "the schedule instead.",
                param=f"{within}[{name}]" if within else name,
            )
    # Stripe accepts these and rewrites the schedule's current phase to match; the sandbox
    # would leave the phase saying otherwise, so it refuses rather than drift.
    for name in ("items", "discounts"):
        if name in params:
            raise StripeError(
                f"The Billflow sandbox does not implement `{name}` on a subscription managed by "
                f"a subscription schedule (`{schedule['id']}`). Update the schedule's phases "
                "instead, or release the schedule first.",
                param=f"{within}[{name}]" if within else name,
            )


def end_with_subscription(ctx: Context, sub: JSON, at: int) -> None:
    """A subscription that ends while its schedule still steers it (canceled now, its
    customer deleted) takes the schedule with it: the schedule is canceled."""
    schedule = managing_schedule(ctx, sub)
    if schedule is None:
        return
    schedule.update(status="canceled", canceled_at=at, current_phase=None)
    ctx.emit("subscription_schedule.canceled", schedule)
