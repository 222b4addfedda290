"""Downgrades held until the end of the paid period, with Stripe's subscription schedules.

Billflow's schedules carry the metadata `billflow=downgrade`; a schedule of the site's own is
never changed, and one that changes nothing (what an interrupted downgrade leaves) is taken
over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..billing.catalog import Plan
from ..billing.rules import SCHEDULE_MARK, SubscriptionFacts, check_undo_downgrade
from ..errors import Conflict
from .context import ActionContext

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["release_schedule", "schedule_change", "undo_downgrade"]


def undo_downgrade(context: ActionContext, subscription_id: Any) -> Any:
    """Keep the current plan after all: the downgrade waiting for the period end is
    dropped."""
    subscription, facts = context.facts(subscription_id)
    check_undo_downgrade(facts)
    return release_schedule(context, subscription)


def schedule_change(context: ActionContext, subscription: Any, plan: Plan, quantity: int) -> Any:
    """Schedule `plan` × `quantity` from the end of the current period, with Stripe's
    subscription schedules: the current phase keeps what is paid for, the next starts the
    new plan with no proration and ends a day later, releasing the subscription. Discounts
    carry over to both phases."""
    facts = SubscriptionFacts.of(subscription)
    schedule = subscription.schedule
    if facts.schedule_ours and not facts.downgrade_pending and len(schedule.phases) > 1:
        # The last downgrade has begun; its schedule is let go before a new one is made.
        subscription = release_schedule(context, subscription)
        schedule = None
    elif schedule is not None and not facts.schedule_ours:
        raise Conflict("This subscription follows a schedule the site set; contact them to "
                       "change it.", code="managed_by_schedule")  # fmt: skip
    if schedule is None:
        schedule = context.gateway.schedule_subscription(
            subscription.id, key=context.key(f"schedule:{subscription.id}")
        )
    item = subscription["items"].data[0]
    kept: list[sp.SubscriptionScheduleUpdateParamsPhaseDiscount] = [
        {"discount": d if isinstance(d, str) else d.id} for d in subscription.discounts or ()
    ]
    key, value = SCHEDULE_MARK
    updated = context.gateway.update_schedule(
        schedule.id,
        {
            "end_behavior": "release",
            "metadata": {key: value},
            "phases": [
                {
                    "items": [{"price": item.price.id, "quantity": item.quantity}],
                    "start_date": schedule.phases[0].start_date,
                    "end_date": item.current_period_end,
                    "discounts": kept,
                    "proration_behavior": "none",
                },
                {
                    "items": [{"price": plan.price_id, "quantity": quantity}],
                    # A day is enough: the schedule lets go of the subscription then,
                    # leaving it on the new plan with its billing cycle as it was.
                    "duration": {"interval": "day", "interval_count": 1},
                    "discounts": kept,
                    "proration_behavior": "none",
                },
            ],
        },
        key=context.key(f"downgrade:{subscription.id}"),
    )
    context.subscriptions[subscription.id] = updated
    return updated


def release_schedule(context: ActionContext, subscription: Any) -> Any:
    """Drop Billflow's downgrade schedule; the subscription goes on as it is now."""
    context.gateway.release_schedule(
        subscription.schedule.id, key=context.key(f"release:{subscription.id}")
    )
    subscription["schedule"] = None  # releasing changes nothing else
    context.subscriptions[subscription.id] = subscription
    return subscription
