"""Prices as the engine and the routes read them: which currencies have no minor unit, the
recurring price a subscription item must name, and a price's billing interval."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import StripeError, invalid

JSON = dict[str, Any]


_ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)


def is_zero_decimal(currency: str) -> bool:
    return currency.lower() in _ZERO_DECIMAL


def require_price(ctx: Context, price_id: str, param: str) -> JSON:
    """An active recurring price, or Stripe's error for subscribing to anything else."""
    price = ctx.state.get("price", price_id, param=param)
    if not price["active"]:
        raise invalid(
            "The price specified is inactive. This field only accepts active prices.", param=param
        )
    if price["recurring"] is None:
        raise StripeError(
            "The price specified is set to `type=one_time` but this field only accepts prices "
            "with `type=recurring`.",
            param=param,
        )
    return price


def interval_of(price: JSON) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]
