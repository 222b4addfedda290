"""Cancelling (with the survey's answer), undoing it, and the retention offer a cancelling
customer may take instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..billing.discount_rules import check_retention_offer
from ..billing.rules import (
    check_cancel,
    check_undo_cancel,
)
from ..billing.subscription_facts import OFFER_KEY
from ..errors import BadInput, Conflict
from ..settings import STRIPE_FEEDBACK
from ..stripe.gateway import SUBSCRIPTION_EXPAND
from .context import ActionContext
from .discounts import kept_discounts
from .downgrades import release_schedule

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["accept_retention_offer", "cancel", "undo_cancel"]

# Where hosted Billflow keeps the cancellation survey's answers on the subscription.
REASON_KEY = "cancellation_reason"
COMMENT_KEY = "cancellation_comment"


def cancel(
    context: ActionContext, subscription_id: Any, reason: Any = None, comment: Any = None
) -> Any:
    """Cancel at the end of the paid period (or now, as the site chooses), keeping the
    customer's reason and comment in the subscription's metadata, as hosted Billflow does,
    and in Stripe's `cancellation_details`."""
    subscription, facts = context.facts(subscription_id)
    reason, comment = check_cancel(context.settings, facts, reason, comment)
    details: sp.SubscriptionUpdateParamsCancellationDetails = {"comment": comment or ""}
    if reason in STRIPE_FEEDBACK:
        details["feedback"] = reason
    survey = {REASON_KEY: reason or "", COMMENT_KEY: comment or ""}
    if facts.schedule_ours:  # leaving makes the downgrade schedule moot
        subscription = release_schedule(context, subscription)
    if not context.settings.cancel_immediately:
        return context.update(
            subscription.id,
            {"cancel_at_period_end": True, "cancellation_details": details, "metadata": survey},
            step="cancel",
        )
    # Stripe's cancel call takes no metadata: the survey is written first, then the end.
    context.update(
        subscription.id, {"metadata": survey, "cancellation_details": details}, step="survey"
    )
    ended = context.gateway.cancel_subscription(
        subscription.id,
        {"cancellation_details": details, "expand": list(SUBSCRIPTION_EXPAND)},
        key=context.key(f"cancel:{subscription.id}"),
    )
    context.subscriptions[subscription.id] = ended
    return ended


def undo_cancel(context: ActionContext, subscription_id: Any) -> Any:
    """Take back a cancellation scheduled for the period end."""
    subscription, facts = context.facts(subscription_id)
    check_undo_cancel(context.settings, facts)
    return context.update(
        subscription.id,
        {
            "cancel_at_period_end": False,
            "cancellation_details": {"comment": "", "feedback": ""},
            "metadata": {REASON_KEY: "", COMMENT_KEY: ""},
        },
        step="undo_cancel",
    )


def accept_retention_offer(context: ActionContext, subscription_id: Any, reason: Any) -> Any:
    """Take the site's retention offer instead of cancelling: its coupon is added to the
    subscription, once in the subscription's life (the metadata remembers it). Only the
    coupon the site configured for `reason` can be had this way."""
    subscription, facts = context.facts(subscription_id)
    coupon_id = check_retention_offer(context.settings, facts, reason)
    try:
        return context.update(
            subscription.id,
            {
                "discounts": [*kept_discounts(subscription), {"coupon": coupon_id}],
                "cancel_at_period_end": False,
                "metadata": {OFFER_KEY: coupon_id},
            },
            step="retention_offer",
        )
    except BadInput as refused:
        if not (refused.field or "").startswith("discounts"):
            raise
        # The site's coupon is gone or spent: a setting to fix, not the customer's doing.
        log.error("the retention offer's coupon %s cannot be redeemed", coupon_id)
        raise Conflict("This offer is no longer available.", code="offer_unavailable") from None
