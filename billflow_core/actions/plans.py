"""Changing plan and quantity: at once (prorated as the site says, waiting for the payment
when the card must confirm it) or, for a downgrade, at the period end.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from ..billing.rules import (
    change_timing,
    check_change_plan,
    check_change_quantity,
)
from .context import ActionContext
from .downgrades import release_schedule, schedule_change

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    pass

__all__ = ["change_plan", "change_quantity"]


def change_plan(context: ActionContext, subscription_id: Any, price_id: Any) -> Any:
    """Move the subscription to another plan of its service, keeping its item and quantity,
    prorated as the site chooses. A change billed now takes effect once paid: when the card
    needs the customer (3-D Secure, a decline), Stripe holds it as the subscription's
    `pending_update` and its latest invoice waits for the page to confirm the payment.
    A downgrade may instead wait for the period end (`downgrade_at_period_end`)."""
    subscription, facts = context.facts(subscription_id)
    plan = check_change_plan(context.settings, context.catalog, facts, price_id)
    timing = change_timing(context.settings, context.catalog, facts, plan.price_id, facts.quantity)
    if timing == "period_end":
        return schedule_change(context, subscription, plan, facts.quantity)
    if facts.schedule_ours:  # an upgrade now replaces Billflow's downgrade schedule
        subscription = release_schedule(context, subscription)
    item = subscription["items"].data[0]
    return context.update(
        subscription.id,
        {
            "items": [{"id": item.id, "price": plan.price_id}],
            "proration_behavior": context.settings.proration_behavior,
            "payment_behavior": _paid_first(subscription),
        },
        step="change_plan",
    )


def change_quantity(context: ActionContext, subscription_id: Any, quantity: Any) -> Any:
    """Set the number of units, within the product's bounds; fewer units may wait for the
    period end, as a downgrade does."""
    subscription, facts = context.facts(subscription_id)
    checked = check_change_quantity(context.settings, context.catalog, facts, quantity)
    timing = change_timing(context.settings, context.catalog, facts, facts.price_id, checked)
    if timing == "period_end":
        plan = context.catalog.plan(facts.price_id)
        assert plan is not None  # a quantity change needs an offered plan
        return schedule_change(context, subscription, plan, checked)
    item = subscription["items"].data[0]
    return context.update(
        subscription.id,
        {
            "items": [{"id": item.id, "quantity": checked}],
            "proration_behavior": context.settings.proration_behavior,
            "payment_behavior": _paid_first(subscription),
        },
        step="change_quantity",
    )


def _paid_first(subscription: Any) -> Literal["pending_if_incomplete", "allow_incomplete"]:
    """Charged automatically, a change waits for its payment. Stripe offers no such wait for
    a subscription billed by sent invoice: its change applies and the invoice is sent."""
    if subscription.collection_method == "send_invoice":
        return "allow_incomplete"
    return "pending_if_incomplete"
