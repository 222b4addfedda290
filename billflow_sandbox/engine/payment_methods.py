"""Payment methods as the engine charges them: the test card behind each, a fresh one for
each use of a test id such as `pm_card_visa`, and attaching one to a customer."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import shapes
from ..context import Context
from ..errors import card_declined, invalid
from .testcards import BY_ID, TestCard

JSON = dict[str, Any]


def card_of(ctx: Context, pm: JSON) -> TestCard:
    return BY_ID[ctx.state.secret(pm["id"])["test_card"]]


def new_payment_method(
    ctx: Context,
    test_id: str,
    *,
    exp_month: int = 12,
    exp_year: int | None = None,
    last4: str | None = None,
) -> JSON:
    card = BY_ID[test_id]
    created = ctx.now()
    pm = shapes.payment_method(
        id=ctx.state.new_id("payment_method"),
        created=created,
        brand=card.brand,
        last4=last4 or card.last4,
        exp_month=exp_month,
        exp_year=exp_year or 2034,
        funding=card.funding,
        country=card.country,
        fingerprint=hashlib.sha256(test_id.encode()).hexdigest()[:16],
    )
    ctx.state.put(pm)
    ctx.state.secret(pm["id"])["test_card"] = test_id
    return pm


def resolve(ctx: Context, pm_id: str, param: str) -> JSON:
    """A payment method by id; a test id such as `pm_card_visa` makes a fresh one, as
    Stripe does each time a test id is used."""
    if pm_id in BY_ID:
        return new_payment_method(ctx, pm_id)
    pm = ctx.state.get("payment_method", pm_id, param=param)
    return pm


def attach(
    ctx: Context, pm_id: str, customer_id: str, *, param: str, customer: JSON | None = None
) -> JSON:
    """Attach a payment method to a customer; a card that Stripe declines on attach raises
    402 `card_declined` and leaves nothing attached."""
    if pm_id in BY_ID and BY_ID[pm_id].outcome == "decline":
        raise card_declined(
            decline_code=BY_ID[pm_id].decline_code, extra={"param": param} if param else None
        )
    owner = customer or ctx.state.get("customer", customer_id, param="customer")
    pm = resolve(ctx, pm_id, param)
    if card_of(ctx, pm).outcome == "decline":
        raise card_declined(decline_code=card_of(ctx, pm).decline_code)
    if pm["customer"] is not None and pm["customer"] != owner["id"]:
        raise invalid(
            "The payment method you provided has already been attached to a customer.", param=param
        )
    if pm["customer"] is None:
        pm["customer"] = owner["id"]
        ctx.emit("payment_method.attached", pm)
    return pm


def check_owner(pm: JSON, customer_id: str | None, param: str) -> None:
    """Refuse to charge or save a payment method attached to another customer: a payment
    for one customer may use their own cards, or one attached to no one yet."""
    if customer_id and pm["customer"] not in (None, customer_id):
        raise invalid(
            f"The `{param}` parameter supplied {pm['id']} belongs to the Customer "
            f"{pm['customer']}, not to {customer_id}, whose payment this is.",
            param=param,
        )
