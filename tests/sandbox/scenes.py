"""Arrangements many sandbox tests start from: a priced product, and a customer on a test
clock with a default card."""

from __future__ import annotations

from typing import Any

JAN_1 = 1767225600  # 2026-01-01T00:00:00Z
DAY = 86400
HOUR = 3600


def price(v1: Any, amount: int, interval: str = "month", *, name: str = "Team") -> str:
    """A recurring USD price (a fresh product each time); returns its id."""
    product = v1.products.create({"name": name})
    created = v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": amount,
         "recurring": {"interval": interval}}
    )  # fmt: skip
    return str(created.id)


def customer_on_clock(
    v1: Any, email: str, card: str | None = "pm_card_visa", *, at: int = JAN_1
) -> tuple[str, str]:
    """A customer on a new test clock frozen at `at`, with `card` (a test payment method id)
    as default; returns (clock id, customer id)."""
    clock = v1.test_helpers.test_clocks.create({"frozen_time": at})
    customer = v1.customers.create({"email": email, "test_clock": clock.id})
    if card is not None:
        pm = v1.payment_methods.attach(card, {"customer": customer.id})
        v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    return str(clock.id), str(customer.id)
