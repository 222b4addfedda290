"""The promotion codes customers type: looked up (from the cache where there is one), and
Stripe's refusal of one turned into the customer's error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import BadInput
from .rules import check_code, check_coupon
from .session import Session

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["code_refusals", "kept_discounts", "promotion_code_id"]


@contextmanager
def code_refusals(session: Session, typed: Any) -> Iterator[None]:
    """Stripe refusing a code the cache still had (expired, used up, someone else's since
    it was read) is the customer's code refused, not a malformed request."""
    try:
        yield
    except BadInput as refused:
        if not (refused.field or "").startswith("discounts"):
            raise
        if session.promotions is not None and isinstance(typed, str):
            session.promotions.forget(typed.strip())
        raise BadInput("That code can no longer be used.", code="coupon_invalid",
                       field="coupon") from None  # fmt: skip


def promotion_code_id(session: Session, code: Any) -> str:
    """The id of the redeemable promotion code a customer typed. Only promotion codes: a
    raw coupon id (a staff discount, a retention offer) is not something to type in."""
    typed = check_code(code)
    promotion = (
        session.promotions.find(typed)
        if session.promotions is not None
        else session.gateway.promotion_code(typed)
    )
    coupon = promotion.promotion.coupon if promotion is not None else None
    if isinstance(coupon, str):  # not expanded: never with the gateway's own lookup
        coupon = session.gateway.coupon(coupon)
    check_coupon(coupon)
    assert promotion is not None
    return str(promotion.id)


def kept_discounts(subscription: Any) -> list[sp.SubscriptionUpdateParamsDiscount]:
    """The subscription's discounts as `discounts[]` entries that keep them: Stripe's
    update replaces the whole list."""
    return [{"discount": d if isinstance(d, str) else d.id} for d in subscription.discounts or ()]
