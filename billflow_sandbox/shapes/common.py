"""Shared pieces of the object builders: the JSON alias, list and search envelopes, deleted
stubs, and small helpers for the values Stripe renders in a particular way.

Every builder in the `shapes` modules is a pure function: it returns a fresh dict and never
keeps a reference to a mutable argument, so the caller may store or mutate the result freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

JSON = dict[str, Any]


def copy_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Stripe renders absent metadata as `{}`, never null."""
    return dict(metadata) if metadata else {}


def decimal_string(value: int | Decimal) -> str:
    """Render an amount the way Stripe's `*_decimal` fields do: plain digits, no exponent,
    at most 12 decimal places, no trailing zeros ("2000", "333.333333333333")."""
    number = Decimal(value).quantize(Decimal("1e-12")).normalize()
    text = format(number, "f")
    return "0" if text in ("-0", "") else text


def unit_amount_decimal(amount: int, quantity: int) -> str | None:
    """The unit amount behind a line's total; Stripe leaves it null for zero quantities."""
    if quantity == 0:
        return None
    return decimal_string(Decimal(amount) / Decimal(quantity))


def blank_address() -> JSON:
    return {
        "city": None,
        "country": None,
        "line1": None,
        "line2": None,
        "postal_code": None,
        "state": None,
    }


def list_object(*, data: list[JSON], url: str, has_more: bool = False) -> JSON:
    """A `list` envelope. Stripe adds `total_count` only when asked to expand it."""
    return {"object": "list", "data": list(data), "has_more": has_more, "url": url}


def search_result(
    *, data: list[JSON], url: str, has_more: bool = False, next_page: str | None = None
) -> JSON:
    """A `search_result` envelope; `next_page` is the cursor for the following page."""
    return {
        "object": "search_result",
        "data": list(data),
        "has_more": has_more,
        "next_page": next_page,
        "url": url,
    }


def deleted(*, object: str, id: str) -> JSON:
    """The stub a DELETE returns, e.g. `deleted(object="customer", id="cus_…")`."""
    return {"id": id, "object": object, "deleted": True}
