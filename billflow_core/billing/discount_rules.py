"""The rules of discounts: a promotion code as typed, a coupon that can still be redeemed
and is not held already, and the site's retention offer for a cancelling customer's reason.
"""

from __future__ import annotations

from typing import Any

from ..errors import BadInput, Conflict, Forbidden
from ..settings import PortalSettings
from .rules import check_feature, check_live
from .subscription_facts import SubscriptionFacts

__all__ = [
    "check_code",
    "check_coupon",
    "check_coupon_action",
    "check_coupon_not_held",
    "check_retention_offer",
    "retention_offer_for",
]


def retention_offer_for(settings: PortalSettings, reason: Any) -> str | None:
    """The coupon to offer a customer who is cancelling for `reason`, if the site has one."""
    offer = settings.retention_offer
    if offer is None or not isinstance(reason, str) or reason not in offer.reasons:
        return None
    return offer.coupon


def check_retention_offer(settings: PortalSettings, facts: SubscriptionFacts, reason: Any) -> str:
    """The coupon a cancelling customer may take instead: the one the site set for
    `reason`, on a subscription that has not ended."""
    check_feature(settings, "cancel")
    if settings.retention_offer is None:
        raise Forbidden("This site makes no retention offer.", code="feature_disabled")
    coupon_id = retention_offer_for(settings, reason)
    if coupon_id is None:
        raise BadInput("There is no offer for that reason.", code="no_offer", field="reason")
    check_live(facts)
    if facts.offer_taken:
        raise Conflict("This offer has already been taken.", code="offer_already_taken")
    if coupon_id in facts.coupons:
        # Taking it again would change nothing while saying it had: the customer has it.
        raise Conflict("This subscription already has the offer's discount.",
                       code="offer_already_taken")  # fmt: skip
    return coupon_id


def check_code(code: Any) -> str:
    """A promotion code as a customer typed it: short text, spaces trimmed."""
    if not isinstance(code, str) or not code.strip() or len(code) > 200:
        raise BadInput("Enter a coupon code.", code="coupon_required", field="coupon")
    return code.strip()


def check_coupon_action(settings: PortalSettings, facts: SubscriptionFacts, code: Any) -> str:
    """The code a customer typed: text, on a live subscription, where coupons are on."""
    check_feature(settings, "apply_coupon")
    check_live(facts)
    return check_code(code)


def check_coupon_not_held(held: set[str], coupon_id: str) -> None:
    """A code whose coupon the subscription already has: the same discount twice would
    stack (twenty-two WELCOME20s make a $29.00 invoice $0.22)."""
    if coupon_id in held:
        raise Conflict("This subscription already has that discount.",
                       code="coupon_already_applied", field="coupon")  # fmt: skip


def check_coupon(coupon: Any) -> None:
    """A coupon the customer may still redeem."""
    if coupon is None:
        raise BadInput("That code is not valid.", code="coupon_invalid", field="coupon")
    if not coupon.valid:
        raise BadInput("That code has expired.", code="coupon_expired", field="coupon")
