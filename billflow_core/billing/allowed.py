"""What the page may offer for a subscription now: each action whose checks would pass for
some input. The actions check their own input again; this only keeps the page from
offering what the server would refuse.
"""

from __future__ import annotations

from ..settings import PortalSettings
from .catalog import Catalog
from .subscription_facts import ENDED, LIVE, SubscriptionFacts

__all__ = ["allowed_actions"]


def allowed_actions(
    settings: PortalSettings,
    catalog: Catalog,
    facts: SubscriptionFacts,
    *,
    recent_pauses: int = 0,
) -> frozenset[str]:
    """What the page may offer for this subscription now: each action whose checks pass
    for some input (the actions re-check the input they get). `recent_pauses`: the pauses
    Billflow started in the last 365 days, so a spent allowance is not offered."""
    if facts.items != 1:
        return frozenset()  # the portal manages one-item subscriptions only
    allowed = set()
    plan = catalog.plan(facts.price_id)
    live = facts.status in LIVE
    ended = facts.status in ENDED
    if facts.schedule is not None and not facts.schedule_ours:
        return frozenset()  # the site's own schedule governs it
    several = len(catalog.alternatives(facts.price_id)) > 1
    if settings.change_plan and live and several and not facts.awaiting_payment:
        allowed.add("change_plan")
    quantity_on = settings.change_quantity and plan is not None and plan.quantity is not None
    if quantity_on and live and not (facts.downgrade_pending or facts.awaiting_payment):
        allowed.add("change_quantity")
    if facts.downgrade_pending:
        allowed.add("undo_downgrade")
    may_cancel = settings.cancel and not settings.pause_instead_of_cancel and not ended
    if may_cancel and (not facts.cancel_at_period_end or settings.cancel_immediately):
        allowed.add("cancel")
        if live and _offer_open(settings, catalog, facts):
            allowed.add("accept_retention_offer")
    if settings.cancel and facts.cancel_at_period_end and not ended:
        allowed.add("undo_cancel")
    if settings.resubscribe and ended and plan is not None:
        allowed.add("resubscribe")
    if settings.coupons and live:
        allowed.add("apply_coupon")
    if settings.update_payment_method and not ended:
        allowed.add("update_payment_method")
    if settings.pause_instead_of_cancel and live:
        if facts.paused:
            allowed.add("resume")
        elif recent_pauses < settings.pause_limit_per_year:
            allowed.add("pause")
    return frozenset(allowed)


def _offer_open(settings: PortalSettings, catalog: Catalog, facts: SubscriptionFacts) -> bool:
    """Whether a cancelling customer may be offered the site's retention coupon: its
    coupon can still be redeemed, the subscription has not taken the offer, and it does not
    already hold that discount (an offer of what they have would change nothing)."""
    offer = catalog.offer
    if settings.retention_offer is None or offer is None:
        return False
    if offer.amount_off is not None and offer.currency != facts.currency:
        return False  # Stripe refuses an amount off in another currency than the bill's
    return not facts.offer_taken and offer.coupon not in facts.coupons
