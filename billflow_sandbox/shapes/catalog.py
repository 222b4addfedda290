"""Builders for the catalog and its reductions: products, prices, the legacy `plan` view of a
price, coupons, promotion codes and discounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import JSON, copy_metadata, decimal_string


def product(
    *,
    id: str,
    created: int,
    name: str,
    active: bool = True,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    unit_label: str | None = None,
    default_price: str | None = None,
    type: str = "service",
    images: list[str] | None = None,
    statement_descriptor: str | None = None,
    tax_code: str | None = None,
    url: str | None = None,
    updated: int | None = None,
) -> JSON:
    return {
        "id": id,
        "object": "product",
        "active": active,
        "created": created,
        "default_price": default_price,
        "description": description,
        "images": list(images) if images else [],
        "livemode": False,
        "marketing_features": [],
        "metadata": copy_metadata(metadata),
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": statement_descriptor,
        "tax_code": tax_code,
        "type": type,
        "unit_label": unit_label,
        "updated": created if updated is None else updated,
        "url": url,
    }


def price(
    *,
    id: str,
    created: int,
    product: str,
    currency: str,
    unit_amount: int,
    recurring: Mapping[str, Any] | None = None,
    active: bool = True,
    lookup_key: str | None = None,
    nickname: str | None = None,
    metadata: Mapping[str, str] | None = None,
    tax_behavior: str = "unspecified",
) -> JSON:
    """A per-unit price. `recurring` is None for a one-off price, else a mapping with
    `interval`, `interval_count` and optionally `trial_period_days`."""
    recurring_obj: JSON | None = None
    if recurring is not None:
        recurring_obj = {
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": recurring.get("meter"),
            "trial_period_days": recurring.get("trial_period_days"),
            "usage_type": recurring.get("usage_type", "licensed"),
        }
    return {
        "id": id,
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": copy_metadata(metadata),
        "nickname": nickname,
        "product": product,
        "recurring": recurring_obj,
        "tax_behavior": tax_behavior,
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if recurring_obj is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": decimal_string(unit_amount),
    }


def plan_from_price(price: Mapping[str, Any]) -> JSON:
    """The legacy `plan` object that subscription items and line items still carry.

    Stripe derives it from a recurring price: same id, `amount` is the unit amount and the
    recurring fields move to the top level. A one-off price has no plan.
    """
    recurring = price.get("recurring")
    if not recurring:
        raise ValueError(f"price {price.get('id')!r} is not recurring, so it has no plan")
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": price["billing_scheme"],
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": recurring.get("meter"),
        "nickname": price.get("nickname"),
        "product": price["product"],
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def coupon(
    *,
    id: str,
    created: int,
    percent_off: float | None = None,
    amount_off: int | None = None,
    currency: str | None = None,
    duration: str,
    duration_in_months: int | None = None,
    name: str | None = None,
    max_redemptions: int | None = None,
    redeem_by: int | None = None,
    metadata: Mapping[str, str] | None = None,
    times_redeemed: int = 0,
    valid: bool = True,
) -> JSON:
    """A coupon. `applies_to` and `currency_options` are includable in Stripe, so absent."""
    return {
        "id": id,
        "object": "coupon",
        "amount_off": amount_off,
        "created": created,
        "currency": currency,
        "duration": duration,
        "duration_in_months": duration_in_months,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": copy_metadata(metadata),
        "name": name,
        "percent_off": percent_off,
        "redeem_by": redeem_by,
        "times_redeemed": times_redeemed,
        "valid": valid,
    }


def promotion_code(
    *,
    id: str,
    created: int,
    code: str,
    coupon: str,
    active: bool = True,
    expires_at: int | None = None,
    max_redemptions: int | None = None,
    customer: str | None = None,
    metadata: Mapping[str, str] | None = None,
    first_time_transaction: bool = False,
    minimum_amount: int | None = None,
    minimum_amount_currency: str | None = None,
    times_redeemed: int = 0,
) -> JSON:
    """A promotion code. The current API names its coupon under `promotion`, not `coupon`."""
    return {
        "id": id,
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": created,
        "customer": customer,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": copy_metadata(metadata),
        "promotion": {"type": "coupon", "coupon": coupon},
        "restrictions": {
            "first_time_transaction": first_time_transaction,
            "minimum_amount": minimum_amount,
            "minimum_amount_currency": minimum_amount_currency,
        },
        "times_redeemed": times_redeemed,
    }


def discount(
    *,
    id: str,
    start: int,
    coupon: str,
    customer: str | None,
    subscription: str | None = None,
    promotion_code: str | None = None,
    end: int | None = None,
    invoice: str | None = None,
    invoice_item: str | None = None,
    subscription_item: str | None = None,
    checkout_session: str | None = None,
) -> JSON:
    """A discount: a coupon applied to a customer, subscription or invoice.

    The current API names the coupon under `source`. Discounts carry no `livemode`.
    """
    return {
        "id": id,
        "object": "discount",
        "checkout_session": checkout_session,
        "customer": customer,
        "customer_account": None,
        "end": end,
        "invoice": invoice,
        "invoice_item": invoice_item,
        "promotion_code": promotion_code,
        "source": {"type": "coupon", "coupon": coupon},
        "start": start,
        "subscription": subscription,
        "subscription_item": subscription_item,
    }
