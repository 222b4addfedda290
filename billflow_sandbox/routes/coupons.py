"""Coupons, promotion codes, and the discounts they become when redeemed."""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.listing import created_filter, merge_metadata, page
from ..errors import StripeError, invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


# -- coupons -------------------------------------------------------------------------------
@ROUTES.route(
    "POST",
    "/v1/coupons",
    sp.CouponCreateParams,
    implemented=frozenset(
        {"id", "percent_off", "amount_off", "currency", "duration", "duration_in_months",
         "name", "max_redemptions", "redeem_by", "metadata"}
    ),
)  # fmt: skip
def create_coupon(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    percent, amount = params.get("percent_off"), params.get("amount_off")
    if (percent is None) == (amount is None):
        raise invalid(
            "You must pass exactly one of percent_off or amount_off.",
            param="percent_off" if percent is None else "amount_off",
        )
    if percent is not None and not 0 < percent <= 100:
        raise invalid("Percent off must be greater than 0 and at most 100.", param="percent_off")
    if amount is not None and not params.get("currency"):
        raise invalid("You must pass currency when passing amount_off.", param="currency")
    duration = params.get("duration", "once")
    months = params.get("duration_in_months")
    if duration == "repeating" and not months:
        raise invalid(
            "You must pass duration_in_months when duration is repeating.",
            param="duration_in_months",
        )
    if duration != "repeating" and months is not None:
        raise invalid(
            "duration_in_months is only allowed when duration is repeating.",
            param="duration_in_months",
        )
    coupon_id = params.get("id") or "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(8)
    )
    if state.find("coupon", coupon_id):
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    coupon = shapes.coupon(
        id=coupon_id,
        created=ctx.now(),
        percent_off=percent,
        amount_off=amount,
        currency=params.get("currency", "").lower() or None,
        duration=duration,
        duration_in_months=months,
        name=params.get("name") or None,
        max_redemptions=params.get("max_redemptions"),
        redeem_by=params.get("redeem_by"),
        metadata=merge_metadata({}, params.get("metadata", {})),
    )
    state.put(coupon, "coupon")
    ctx.emit("coupon.created", coupon)
    return coupon


@ROUTES.route("GET", "/v1/coupons/{id}", sp.CouponRetrieveParams)
def retrieve_coupon(ctx: Context, params: JSON) -> JSON:
    return refresh_coupon(ctx, ctx.state.get("coupon", ctx.args["id"]))


@ROUTES.route("POST", "/v1/coupons/{id}", sp.CouponUpdateParams)
def update_coupon(ctx: Context, params: JSON) -> JSON:
    coupon = ctx.state.get("coupon", ctx.args["id"])
    metadata = (
        merge_metadata(coupon["metadata"], params["metadata"]) if "metadata" in params else None
    )
    before = copy.deepcopy(coupon)
    if "name" in params:
        coupon["name"] = params["name"] or None
    if metadata is not None:
        coupon["metadata"] = metadata
    ctx.emit("coupon.updated", coupon, {k: v for k, v in before.items() if coupon[k] != v})
    return coupon


@ROUTES.route("DELETE", "/v1/coupons/{id}", sp.CouponDeleteParams)
def delete_coupon(ctx: Context, params: JSON) -> JSON:
    coupon = ctx.state.delete("coupon", ctx.args["id"])
    ctx.emit("coupon.deleted", coupon)
    return shapes.deleted(object="coupon", id=coupon["id"])


@ROUTES.route("GET", "/v1/coupons", sp.CouponListParams)
def list_coupons(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    found = [refresh_coupon(ctx, c) for c in ctx.state.all("coupon") if keep(c)]
    return page(found, params, "/v1/coupons")


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


# -- promotion codes -----------------------------------------------------------------------
@ROUTES.route("POST", "/v1/promotion_codes", sp.PromotionCodeCreateParams)
def create_promotion_code(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    restrictions = params.get("restrictions") or {}
    if restrictions.get("first_time_transaction") or "minimum_amount" in restrictions:
        raise not_implemented("restrictions")
    coupon_id = (
        params["promotion"]["coupon"] if params["promotion"].get("type") == "coupon" else None
    )
    if not coupon_id:
        raise invalid(
            "Missing required param: promotion[coupon].",
            param="promotion[coupon]",
            code="parameter_missing",
        )
    state.get("coupon", coupon_id, param="promotion[coupon]")
    code = params.get("code") or "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
    )
    if any(p["code"].lower() == code.lower() and p["active"] for p in state.all("promotion_code")):
        raise invalid("An active promotion code with `code` already exists.", param="code")
    if params.get("customer"):
        state.get("customer", params["customer"], param="customer")
    promo = shapes.promotion_code(
        id=state.new_id("promotion_code"),
        created=ctx.now(),
        code=code,
        coupon=coupon_id,
        active=params.get("active", True),
        expires_at=params.get("expires_at"),
        max_redemptions=params.get("max_redemptions"),
        customer=params.get("customer"),
        metadata=merge_metadata({}, params.get("metadata", {})),
    )
    state.put(promo)
    ctx.emit("promotion_code.created", promo)
    return promo


@ROUTES.route("GET", "/v1/promotion_codes/{id}", sp.PromotionCodeRetrieveParams)
def retrieve_promotion_code(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("promotion_code", ctx.args["id"])


@ROUTES.route("POST", "/v1/promotion_codes/{id}", sp.PromotionCodeUpdateParams)
def update_promotion_code(ctx: Context, params: JSON) -> JSON:
    promo = ctx.state.get("promotion_code", ctx.args["id"])
    metadata = (
        merge_metadata(promo["metadata"], params["metadata"]) if "metadata" in params else None
    )
    before = copy.deepcopy(promo)
    if "active" in params:
        promo["active"] = params["active"]
    if metadata is not None:
        promo["metadata"] = metadata
    ctx.emit("promotion_code.updated", promo, {k: v for k, v in before.items() if promo[k] != v})
    return promo


@ROUTES.route("GET", "/v1/promotion_codes", sp.PromotionCodeListParams)
def list_promotion_codes(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    found = [
        p
        for p in ctx.state.all("promotion_code")
        # Stripe matches codes case-insensitively.
        if ("code" not in params or p["code"].lower() == params["code"].lower())
        and ("active" not in params or p["active"] == params["active"])
        and ("coupon" not in params or p["promotion"]["coupon"] == params["coupon"])
        and ("customer" not in params or p["customer"] == params["customer"])
        and keep(p)
    ]
    return page(found, params, "/v1/promotion_codes")


# -- redemption ----------------------------------------------------------------------------
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
        from ..engine.periods import add_interval

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
