"""Pausing payments until a date, within the site's yearly allowance, and resuming them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..billing.pauses import PAUSES_KEY, pauses_in_year, with_pause
from ..billing.rules import (
    check_pause,
    check_pause_allowance,
    check_resume,
)
from .context import ActionContext

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    pass

__all__ = ["pause", "resume"]


def pause(context: ActionContext, subscription_id: Any, resumes_at: Any, *, now: int) -> Any:
    """Pause collecting payments until `resumes_at`, as the site's pause behaviour says,
    at most `pause_limit_per_year` times in any 365 days (counted in the metadata)."""
    subscription, facts = context.facts(subscription_id)
    until = check_pause(context.settings, facts, resumes_at, now)
    recent = pauses_in_year(subscription, now)
    check_pause_allowance(context.settings, len(recent))
    return context.update(
        subscription.id,
        {
            "pause_collection": {"behavior": context.settings.pause_behavior, "resumes_at": until},
            "metadata": {PAUSES_KEY: with_pause(recent, now)},
        },
        step="pause",
    )


def resume(context: ActionContext, subscription_id: Any) -> Any:
    """Collect payments again from the next invoice."""
    subscription, facts = context.facts(subscription_id)
    check_resume(context.settings, facts)
    return context.update(subscription.id, {"pause_collection": ""}, step="resume")
