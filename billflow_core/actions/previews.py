"""What a plan or quantity change would cost, shown before the customer confirms it.

The preview asks Stripe for the invoice the change would make, with the site's proration
behaviour, after the same rules as the change itself: a preview can never reveal the price of
a plan the customer may not move to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..billing.invoices import is_proration, line_price
from ..billing.rules import change_timing, check_change_plan, check_change_quantity
from ..errors import BadInput
from .context import ActionContext

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["ChangePreview", "PreviewLine", "preview_change"]


@dataclass(frozen=True)
class PreviewLine:
    description: str | None
    amount: int  # minor units; negative for a credit
    proration: bool
    price: str | None = None  # the price the line bills, to name its plan
    quantity: int | None = None


@dataclass(frozen=True)
class ChangePreview:
    """The invoice a change would make. With `due_now` it is charged at once (the site
    invoices changes immediately); otherwise its prorations join the next invoice."""

    subscription: str
    currency: str
    amount_due: int
    proration: int  # the net of the proration lines: negative is a credit
    due_now: bool
    next_payment_at: int | None
    lines: tuple[PreviewLine, ...]
    takes_effect_at: int | None = None  # None: now; else the period end (a downgrade)
    # The plan and quantity the subscription would have, to say what it costs from then on.
    price: str = ""
    quantity: int = 1


def preview_change(context: ActionContext, payload: Mapping[str, Any]) -> ChangePreview:
    """Preview the change `payload` proposes: `subscription` with a new `price` or a new
    `quantity` (one of the two)."""
    subscription, facts = context.facts(payload.get("subscription"))
    price, quantity = payload.get("price"), payload.get("quantity")
    if (price is None) == (quantity is None):
        raise BadInput(
            "Say either the new price or the new quantity.", code="change_required", field="price"
        )
    item = subscription["items"].data[0]
    change: sp.InvoiceCreatePreviewParamsSubscriptionDetailsItem = {"id": item.id}
    if price is not None:
        change["price"] = check_change_plan(
            context.settings, context.catalog, facts, price
        ).price_id
    else:
        change["quantity"] = check_change_quantity(
            context.settings, context.catalog, facts, quantity
        )
    new_price = change.get("price", facts.price_id)
    new_quantity = change.get("quantity", facts.quantity)
    timing = change_timing(context.settings, context.catalog, facts, new_price, new_quantity)
    if timing == "period_end":  # nothing now: the next renewal is at the new plan
        return ChangePreview(
            subscription=subscription.id,
            currency=item.price.currency,
            amount_due=0,
            proration=0,
            due_now=False,
            next_payment_at=item.current_period_end,
            lines=(),
            takes_effect_at=item.current_period_end,
            price=new_price,
            quantity=new_quantity,
        )
    behavior = context.settings.proration_behavior
    invoice = context.gateway.preview_change(
        context.customer_id,
        subscription.id,
        {"items": [change], "proration_behavior": behavior},
    )
    lines = tuple(
        PreviewLine(
            line.description,
            line.amount,
            is_proration(line),
            line_price(line),
            getattr(line, "quantity", None),
        )
        for line in invoice.lines.data
    )
    return ChangePreview(
        subscription=subscription.id,
        currency=invoice.currency,
        amount_due=invoice.amount_due,
        proration=sum(line.amount for line in lines if line.proration),
        due_now=behavior == "always_invoice",
        next_payment_at=getattr(invoice, "next_payment_attempt", None),
        lines=lines,
        price=new_price,
        quantity=new_quantity,
    )
