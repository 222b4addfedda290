"""Discounts: the promotion codes customers type, looked up (from the cache where there is
one) with Stripe's refusal of one turned into the customer's error, the site's own discounts
kept when a code changes, and applying a code to a subscription."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..billing.discount_rules import (
    check_code,
    check_coupon,
    check_coupon_action,
    check_coupon_not_held,
)
from ..billing.subscription_facts import coupons_held
from ..errors import BadInput
from .context import ActionContext

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = [
    "PROMOTION_KEY",
    "apply_coupon",
    "code_refusals",
    "coupons_held",
    "kept_discounts",
    "promotion_code_id",
    "typed_promotion",
]

# Where Billflow remembers the promotion code a customer typed on a subscription (its id).
PROMOTION_KEY = "billflow_promotion_code"


@contextmanager
def code_refusals(context: ActionContext, typed: Any) -> Iterator[None]:
    """Stripe refusing a code the cache still had (expired, used up, someone else's since
    it was read) is the customer's code refused, not a malformed request."""
    try:
        yield
    except BadInput as refused:
        if not (refused.field or "").startswith("discounts"):
            raise
        if context.promotions is not None and isinstance(typed, str):
            context.promotions.forget(typed.strip())
        raise BadInput("That code can no longer be used.", code="coupon_invalid",
                       field="coupon") from None  # fmt: skip


def promotion_code_id(context: ActionContext, code: Any) -> str:
    """The id of the redeemable promotion code a customer typed."""
    return typed_promotion(context, code)[0]


def typed_promotion(context: ActionContext, code: Any) -> tuple[str, str]:
    """The redeemable promotion code a customer typed, as its id and its coupon's id. Only
    promotion codes: a raw coupon id (a staff discount, a retention offer) is not something
    to type in."""
    typed = check_code(code)
    promotion = (
        context.promotions.find(typed)
        if context.promotions is not None
        else context.gateway.promotion_code(typed)
    )
    coupon = promotion.promotion.coupon if promotion is not None else None
    if isinstance(coupon, str):  # not expanded: never with the gateway's own lookup
        coupon = context.gateway.coupon(coupon)
    check_coupon(coupon)
    assert promotion is not None and coupon is not None
    return str(promotion.id), str(coupon.id)


def kept_discounts(
    subscription: Any, *, but_typed: bool = False
) -> list[sp.SubscriptionUpdateParamsDiscount]:
    """The subscription's discounts as `discounts[]` entries that keep them: Stripe's
    update replaces the whole list. `but_typed` leaves out the one a customer typed.

    The typed one is the discount from the promotion code Billflow last applied, as the
    subscription's metadata names it (`PROMOTION_KEY`). Stripe's own `promotion_code` on
    a discount cannot tell them apart alone: staff may redeem a promotion code in the
    Dashboard too, and the site's discounts (a retention offer, a staff coupon) must stay
    when a customer changes their code. Only what Billflow wrote marks the customer's."""
    metadata = subscription.metadata
    typed = metadata[PROMOTION_KEY] if metadata and PROMOTION_KEY in metadata else None
    kept: list[sp.SubscriptionUpdateParamsDiscount] = []
    for discount in subscription.discounts or ():
        if isinstance(discount, str):
            kept.append({"discount": discount})
        elif not (but_typed and typed and discount.promotion_code == typed):
            kept.append({"discount": discount.id})
    return kept


def apply_coupon(context: ActionContext, subscription_id: Any, code: Any) -> Any:
    """Put a promotion code, as customers type it, on the subscription. It replaces the
    code the customer typed before and keeps the site's own discounts (a retention offer,
    a staff coupon); a code whose coupon the subscription already has is refused, so codes
    never stack."""
    subscription, facts = context.facts(subscription_id)
    typed = check_coupon_action(context.settings, facts, code)
    promotion, coupon = typed_promotion(context, typed)
    check_coupon_not_held(coupons_held(subscription), coupon)
    discounts = kept_discounts(subscription, but_typed=True)
    discounts.append({"promotion_code": promotion})
    with code_refusals(context, code):
        return context.update(
            subscription.id,
            {"discounts": discounts, "metadata": {PROMOTION_KEY: promotion}},
            step="apply_coupon",
        )
