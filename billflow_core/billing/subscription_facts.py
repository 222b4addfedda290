"""What the rules know of a subscription, read once from the Stripe object: its status, plan,
quantity, and whether a schedule governs it (and whose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ENDED",
    "LIVE",
    "OFFER_KEY",
    "SCHEDULE_MARK",
    "SubscriptionFacts",
    "coupons_held",
    "own_card_id",
]

# Where Billflow remembers that a subscription took the retention offer (its coupon id).
OFFER_KEY = "billflow_retention_offer"


LIVE = frozenset({"active", "trialing", "past_due"})


ENDED = frozenset({"canceled", "incomplete_expired"})


def own_card_id(subscription: Any) -> str | None:
    """The id of the subscription's own default payment method (a card saved at checkout),
    read expanded or not: every read of a subscription expands it for the page."""
    own = getattr(subscription, "default_payment_method", None)
    return own if own is None or isinstance(own, str) else str(own.id)


@dataclass(frozen=True)
class SubscriptionFacts:
    """What the rules need to know of a subscription (one item, as the portal manages)."""

    id: str
    customer: str
    status: str
    price_id: str
    quantity: int
    cancel_at_period_end: bool
    paused: bool
    items: int = 1
    schedule: str | None = None  # the subscription schedule that governs it, if any
    schedule_ours: bool = False  # that schedule is a downgrade Billflow made
    downgrade_pending: bool = False  # ...and the downgrade has not begun yet
    awaiting_payment: bool = False  # a change Stripe holds until its invoice is paid
    currency: str | None = None  # what Stripe bills it in (lower case, as Stripe)
    coupons: frozenset[str] = frozenset()  # the coupons its discounts were redeemed from
    offer_taken: bool = False  # it took the retention offer once (its metadata says so)

    @classmethod
    def of(cls, subscription: Any) -> SubscriptionFacts:
        """The facts of a Stripe subscription object."""
        items = subscription["items"].data
        first = items[0] if items else None
        return cls(
            id=subscription.id,
            customer=subscription.customer
            if isinstance(subscription.customer, str)
            else subscription.customer.id,
            status=subscription.status,
            price_id=first.price.id if first is not None else "",
            quantity=(first.quantity or 0) if first is not None else 0,
            cancel_at_period_end=bool(subscription.cancel_at_period_end or subscription.cancel_at),
            paused=subscription.pause_collection is not None,
            items=len(items),
            schedule=_schedule_id(subscription),
            schedule_ours=_is_billflows(subscription),
            downgrade_pending=_is_billflows(subscription, pending=True),
            awaiting_payment=getattr(subscription, "pending_update", None) is not None,
            currency=getattr(subscription, "currency", None),
            coupons=frozenset(coupons_held(subscription)),
            offer_taken=_offer_taken(subscription),
        )


def coupons_held(subscription: Any) -> set[str]:
    """The ids of the coupons the subscription's discounts were redeemed from (a discount
    that is only an id, not expanded, names none)."""
    held = set()
    for discount in getattr(subscription, "discounts", None) or ():
        coupon = getattr(getattr(discount, "source", None), "coupon", None)
        if coupon is not None:
            held.add(coupon if isinstance(coupon, str) else str(coupon.id))
    return held


def _offer_taken(subscription: Any) -> bool:
    metadata = getattr(subscription, "metadata", None)
    return bool(metadata is not None and OFFER_KEY in metadata and metadata[OFFER_KEY])


# The metadata Billflow puts on the schedules it makes, to tell them from the site's own.
SCHEDULE_MARK = ("billflow", "downgrade")


def _schedule_id(subscription: Any) -> str | None:
    schedule = getattr(subscription, "schedule", None)
    return schedule if isinstance(schedule, str) or schedule is None else str(schedule.id)


def _is_billflows(subscription: Any, *, pending: bool = False) -> bool:
    """Whether the subscription's (expanded) schedule is a downgrade Billflow made (with
    `pending`: one still in its first phase, the downgrade to come). A schedule that is
    only an id cannot be told apart, so it counts as the site's own."""
    schedule = getattr(subscription, "schedule", None)
    if schedule is None or isinstance(schedule, str) or schedule.status != "active":
        return False
    key, value = SCHEDULE_MARK
    metadata = schedule.metadata
    if metadata is None or key not in metadata or metadata[key] != value:
        return not pending and _is_inert(subscription, schedule)
    current = schedule.current_phase
    first = schedule.phases[0]
    return not pending or (current is not None and current.start_date == first.start_date)


def _is_inert(subscription: Any, schedule: Any) -> bool:
    """A schedule that changes nothing: one phase, the subscription's own items, released
    at its end. It is what a downgrade interrupted between its two Stripe calls leaves, and
    whoever made it, Billflow may take it over or let it go."""
    if schedule.end_behavior != "release" or len(schedule.phases) != 1:
        return False
    items = subscription["items"].data
    phase = [(_price_id(i.price), i.quantity) for i in schedule.phases[0]["items"]]
    return phase == [(i.price.id, i.quantity) for i in items]


def _price_id(price: Any) -> str:
    return price if isinstance(price, str) else str(price.id)
