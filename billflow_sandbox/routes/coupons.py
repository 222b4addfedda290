"""Coupons and promotion codes as their endpoints serve them; redeeming them as discounts is
the engine's (`engine/discounts.py`)."""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.discounts import refresh_coupon
from ..engine.listing import created_filter, merge_metadata, page
from ..errors import invalid, not_implemented
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


# -- promotion codes -----------------------------------------------------------------------
@ROUTES.route("POST", "/v1/promotion_codes", sp.PromotionCodeCreateParams)
def create_promotion_code(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    # Restrictions are not applied at redemption, so a code that has one is refused rather
    # than made redeemable by everyone; `first_time_transaction=false` restricts nothing.
    restrictions = params.get("restrictions") or {}
    for key in sorted(restrictions.keys()):
        if key != "first_time_transaction" or restrictions[key]:
            raise not_implemented(f"restrictions[{key}]")
    coupon_id = (
        params["promotion"].get("coupon") if params["promotion"].get("type") == "coupon" else None
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
    code, active = params.get("code"), params.get("active")
    coupon, customer = params.get("coupon"), params.get("customer")
    found = [
        p
        for p in ctx.state.all("promotion_code")
        # Stripe matches codes case-insensitively.
        if (code is None or p["code"].lower() == code.lower())
        and (active is None or p["active"] == active)
        and (coupon is None or p["promotion"]["coupon"] == coupon)
        and (customer is None or p["customer"] == customer)
        and keep(p)
    ]
    return page(found, params, "/v1/promotion_codes")
