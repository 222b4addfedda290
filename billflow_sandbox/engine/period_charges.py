"""What a subscription is charged, before it is an invoice: whole periods, prorations
for changes within a period, and pending invoice items kept for the next invoice.

Prorations follow Stripe's arithmetic: for a change at time t within a period [start, end),
the old item is credited `amount × (end − t) / (end − start)` and the new one charged the
same fraction of its amount, each rounded to the nearest minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import shapes
from ..context import Context
from .periods import prorated
from .prices import is_zero_decimal

JSON = dict[str, Any]


@dataclass
class Charge:
    """One line before it is an invoice line: what, for how many, for which period."""

    amount: int
    description: str
    quantity: int
    price: JSON
    period_start: int
    period_end: int
    subscription_item: str | None
    proration: bool


def _day(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%-d %b %Y")


def _product_name(ctx: Context, price: JSON) -> str:
    product = ctx.state.find("product", price["product"])
    return str(product["name"] if product else price["product"])


def _money(price: JSON) -> str:
    amount, currency = price["unit_amount"], price["currency"]
    interval = price["recurring"]["interval"] if price["recurring"] else None
    # A zero-decimal currency's minor unit is its major one: 1500 JPY is ¥1500, not ¥15.00.
    figure = str(amount) if is_zero_decimal(currency) else f"{amount / 100:.2f}"
    shown = f"{currency.upper()} {figure}"
    return f"{shown} / {interval}" if interval else shown


def period_charge(
    ctx: Context,
    item: JSON,
    price: JSON,
    quantity: int,
    start: int,
    end: int,
    *,
    trial: bool = False,
) -> Charge:
    """A whole period of an item; free, and described as such, during a trial."""
    name = _product_name(ctx, price)
    if trial:
        amount, description = 0, f"Trial period for {_quantity_label(quantity)}{name}"
    else:
        amount = price["unit_amount"] * quantity
        description = f"{quantity} × {name} (at {_money(price)})"
    return Charge(amount, description, quantity, price, start, end, item["id"], False)


def proration_charges(
    ctx: Context,
    item: JSON,
    old_price: JSON,
    old_quantity: int,
    new_price: JSON | None,
    new_quantity: int,
    at: int,
    end: int | None = None,
) -> list[Charge]:
    """The credit for unused time on the old plan and the charge for the rest of the period
    on the new one (no charge when `new_price` is None: the item goes away)."""
    start, period_end = item["current_period_start"], item["current_period_end"]
    charges = []
    credit = prorated(old_price["unit_amount"] * old_quantity, start, period_end, at)
    if credit:
        charges.append(
            Charge(
                -credit,
                f"Unused time on {_quantity_label(old_quantity)}{_product_name(ctx, old_price)}"
                f" after {_day(at)}",
                old_quantity,
                old_price,
                at,
                period_end,
                item["id"],
                True,
            )
        )
    if new_price is not None and end is None:
        debit = prorated(new_price["unit_amount"] * new_quantity, start, period_end, at)
        if debit:
            charges.append(
                Charge(
                    debit,
                    f"Remaining time on {_quantity_label(new_quantity)}"
                    f"{_product_name(ctx, new_price)} after {_day(at)}",
                    new_quantity,
                    new_price,
                    at,
                    period_end,
                    item["id"],
                    True,
                )
            )
    return charges


def _quantity_label(quantity: int) -> str:
    return f"{quantity} × " if quantity != 1 else ""


def pending_item(ctx: Context, sub: JSON, charge: Charge) -> JSON:
    """A proration kept for the subscription's next invoice (`create_prorations`)."""
    item = shapes.invoice_item(
        id=ctx.state.new_id("invoiceitem"),
        created=ctx.now(sub["customer"]),
        customer=sub["customer"],
        amount=charge.amount,
        currency=charge.price["currency"],
        description=charge.description,
        period_start=charge.period_start,
        period_end=charge.period_end,
        quantity=charge.quantity,
        price=charge.price["id"],
        product=charge.price["product"],
        subscription=sub["id"],
        subscription_item=charge.subscription_item,
        proration=charge.proration,
        test_clock=sub["test_clock"],
    )
    ctx.state.put(item)
    ctx.emit("invoiceitem.created", item)
    return item


def _details(item: JSON) -> JSON:
    """An invoice item's `parent.subscription_details` ({} for a standalone item)."""
    return dict((item["parent"] or {}).get("subscription_details") or {})


def pending_items(ctx: Context, customer: str, subscription: str | None) -> list[JSON]:
    """The customer's uninvoiced items: those of `subscription` and standalone ones."""
    return [
        item
        for item in ctx.state.all("invoiceitem")
        if item["customer"] == customer
        and item["invoice"] is None
        and (subscription is None or _details(item).get("subscription") in (subscription, None))
    ]


def charge_of_item(item: JSON, ctx: Context) -> Charge:
    price = ctx.state.get("price", item["pricing"]["price_details"]["price"])
    return Charge(
        item["amount"],
        item["description"],
        item["quantity"],
        price,
        item["period"]["start"],
        item["period"]["end"],
        _details(item).get("subscription_item"),
        item["proration"],
    )
