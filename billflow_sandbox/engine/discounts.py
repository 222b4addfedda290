"""Discounts: a coupon or promotion code checked and redeemed as a subscription's discount,
and what each discount takes off an invoice while it lasts."""

from __future__ import annotations

from typing import Any

from .. import shapes
from ..context import Context
from ..errors import StripeError, invalid, not_implemented
from .periods import add_interval

JSON = dict[str, Any]


def refresh_coupon(ctx: Context, coupon: JSON) -> JSON:
    """`valid` goes false once `redeem_by` passes or `max_redemptions` is reached."""
    coupon["valid"] = _redeemable(coupon, ctx.now())
    return coupon


def _redeemable(coupon: JSON, at: int) -> bool:
    expired = coupon["redeem_by"] is not None and at >= coupon["redeem_by"]
    used_up = (
        coupon["max_redemptions"] is not None
        and coupon["times_redeemed"] >= coupon["max_redemptions"]
    )
    return not (expired or used_up)


def check_discount(
    ctx: Context, spec: JSON, customer: str, param: str, currency: str
) -> tuple[JSON, JSON | None]:
    """The coupon (and promotion code) a `discounts[]` entry names, checked as Stripe checks
    it at redemption — at the customer's time, which a test clock sets — for a subscription
    billed in `currency`. Writes nothing, so a refused request changes nothing."""
    state = ctx.state
    now = ctx.now(customer)
    promo = None
    if spec.get("promotion_code"):
        promo = state.get(
            "promotion_code", spec["promotion_code"], param=f"{param}[promotion_code]"
        )
        reason = None
        if not promo["active"]:
            reason = "This promotion code is inactive."
        elif promo["expires_at"] is not None and now >= promo["expires_at"]:
            reason = "This promotion code has expired."
        elif (
            promo["max_redemptions"] is not None
            and promo["times_redeemed"] >= promo["max_redemptions"]
        ):
            reason = "This promotion code has reached its maximum number of redemptions."
        elif promo["customer"] is not None and promo["customer"] != customer:
            reason = "This promotion code cannot be redeemed by this customer."
        if reason:
            raise StripeError(reason, param=f"{param}[promotion_code]")
        coupon = state.get("coupon", promo["promotion"]["coupon"], param=f"{param}[promotion_code]")
    elif spec.get("coupon"):
        coupon = state.get("coupon", spec["coupon"], param=f"{param}[coupon]")
    elif spec.get("discount"):
        # Reusing a discount the customer already has: the sandbox keeps no customer-level
        # discounts, so there is none to reuse.
        raise not_implemented(f"{param}[discount]")
    else:
        raise invalid("A discount needs a coupon or a promotion_code.", param=param)
    if not _redeemable(coupon, now):
        raise StripeError(
            f"Coupon expired: {coupon['id']}", param=f"{param}[coupon]", code="coupon_expired"
        )
    if coupon["amount_off"] is not None and coupon["currency"] != currency:
        # An amount off is money in one currency; it cannot come off a bill in another.
        raise invalid(
            f"The coupon's currency ({coupon['currency']}) must match the currency of the "
            f"subscription ({currency}).",
            param=f"{param}[coupon]",
        )
    return coupon, promo


# Stripe's limits on the discounts of one subscription.
MAX_DISCOUNTS = 20


def check_discount_list(ctx: Context, discount_ids: list[str], new: list[JSON]) -> None:
    """A subscription's discounts once `new` coupons join the kept `discount_ids`, checked
    as Stripe checks them: at most 20, and each coupon at most once (a second discount
    from the same coupon, through the same or another promotion code, is refused)."""
    if len(discount_ids) + len(new) > MAX_DISCOUNTS:
        raise invalid(
            f"You can only apply up to {MAX_DISCOUNTS} discounts to a subscription.",
            param="discounts",
        )
    seen = {coupon_of(ctx, d)["id"] for d in discount_ids}
    for coupon in new:
        if coupon["id"] in seen:
            raise invalid(
                f"The coupon {coupon['id']} is already applied; the same coupon cannot be "
                "applied more than once.",
                param="discounts",
            )
        seen.add(coupon["id"])


def redeem(
    ctx: Context,
    coupon: JSON,
    promo: JSON | None,
    *,
    customer: str,
    subscription: str | None,
    start: int,
) -> JSON:
    """Create the discount object and count the redemption."""
    end = None
    if coupon["duration"] == "repeating":
        end = add_interval(start, "month", coupon["duration_in_months"])
    discount = shapes.discount(
        id=ctx.state.new_id("discount"),
        start=start,
        end=end,
        coupon=coupon["id"],
        customer=customer,
        subscription=subscription,
        promotion_code=promo["id"] if promo else None,
    )
    ctx.state.put(discount)
    # The discount keeps the coupon's terms: deleting a coupon does not affect customers
    # who already redeemed it, as Stripe documents.
    ctx.state.secret(discount["id"])["coupon"] = {
        key: coupon[key] for key in ("id", "percent_off", "amount_off", "currency", "duration")
    }
    coupon["times_redeemed"] += 1
    refresh_coupon(ctx, coupon)
    if promo is not None:
        promo["times_redeemed"] += 1
    return discount


def coupon_amount(coupon: JSON, subtotal: int) -> int:
    """What a coupon takes off `subtotal` (minor units); never more than the subtotal."""
    if subtotal <= 0:
        return 0
    if coupon["percent_off"] is not None:
        return min(subtotal, round(subtotal * float(coupon["percent_off"]) / 100))
    return min(subtotal, int(coupon["amount_off"]))


def in_effect(ctx: Context, discount_id: str, at: int) -> bool:
    """Whether a discount still applies at time `at` (a repeating one ends after its months)."""
    discount = ctx.state.find("discount", discount_id)
    return discount is not None and (discount["end"] is None or at < discount["end"])


def discount_amount(ctx: Context, discount_id: str, subtotal: int, at: int) -> int:
    """What one discount takes off `subtotal` at time `at` (0 once it has ended)."""
    if not in_effect(ctx, discount_id, at):
        return 0
    return coupon_amount(coupon_of(ctx, discount_id), subtotal)


def coupon_of(ctx: Context, discount_id: str) -> JSON:
    """The terms of the coupon a discount was redeemed from."""
    terms: JSON = ctx.state.secret(discount_id)["coupon"]
    return terms


def end_discounts(ctx: Context, sub: JSON, at: int) -> None:
    """Discounts whose duration has run out by `at` come off the subscription, as on Stripe."""
    sub["discounts"] = [d for d in sub["discounts"] if in_effect(ctx, d, at)]


def spend_once_discounts(ctx: Context, invoice: JSON) -> None:
    """A `duration=once` coupon covers one invoice, then the discount ends."""
    for entry in invoice["total_discount_amounts"]:
        discount = ctx.state.find("discount", entry["discount"])
        if discount and coupon_of(ctx, discount["id"])["duration"] == "once":
            discount["end"] = invoice["created"]
            sub = ctx.state.find("subscription", discount["subscription"] or "")
            if sub and discount["id"] in sub["discounts"]:
                sub["discounts"].remove(discount["id"])
