"""The invoices a customer may read in the portal, a page at a time.

By default only subscriptions' invoices are shown (one subscription's, or all of them for a
page that shows them by subscription), as hosted Billflow does; a site that wants one-off
invoices too switches `show_all_invoices` on. Stripe filters by customer,
so a subscription id of someone else's simply finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import BadInput
from ..settings import PortalSettings
from ..stripe.gateway import StripeGateway
from .expanded import id_of

__all__ = [
    "InvoicePage",
    "InvoiceView",
    "check_invoice_query",
    "is_proration",
    "line_price",
    "list_invoices",
    "subscription_of",
]

PAGE_SIZE = 24


@dataclass(frozen=True)
class InvoiceView:
    """One invoice as the page lists it; amounts in minor units, times in epoch seconds."""

    id: str
    number: str | None
    status: str
    currency: str
    total: int
    amount_due: int
    amount_paid: int
    created: int
    subscription: str | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    # What it bills, for the row to say: its first line's price and period (a renewal's
    # month), and the invoice's own description, else that line's.
    price_id: str | None = None
    description: str | None = None
    period_start: int | None = None
    period_end: int | None = None


@dataclass(frozen=True)
class InvoicePage:
    invoices: tuple[InvoiceView, ...]
    has_more: bool  # ask again with `starting_after` = the last invoice's id


def check_invoice_query(subscription: Any, starting_after: Any) -> None:
    """Refuse a `subscription` that is not a subscription id or a `starting_after` that is
    not an invoice id, whatever else limits the listing."""
    if subscription is not None and (
        not isinstance(subscription, str) or not subscription.startswith("sub_")
    ):
        raise BadInput("subscription must be a subscription id.", code="subscription_invalid",
                       field="subscription")  # fmt: skip
    if starting_after is not None and (
        not isinstance(starting_after, str) or not starting_after.startswith("in_")
    ):
        raise BadInput("starting_after must be an invoice id.", code="starting_after_invalid",
                       field="starting_after")  # fmt: skip


def list_invoices(
    gateway: StripeGateway,
    settings: PortalSettings,
    customer_id: str,
    *,
    subscription: Any = None,
    starting_after: Any = None,
) -> InvoicePage:
    """One page of the customer's invoices, newest first. Drafts are not the customer's
    business until they are finalized, so they are left out."""
    check_invoice_query(subscription, starting_after)
    found = gateway.invoices(
        customer_id,
        subscription_id=subscription,
        limit=PAGE_SIZE,
        starting_after=starting_after,
    )
    views = tuple(_view(invoice, settings) for invoice in found.data if invoice.status != "draft")
    if subscription is None and not settings.show_all_invoices:
        # Every subscription's invoices in one request, for a page showing them by
        # subscription; one-off invoices only where the site shows them.
        views = tuple(view for view in views if view.subscription is not None)
    return InvoicePage(views, bool(found.has_more))


def subscription_of(invoice: Any) -> str | None:
    """The id of the subscription that billed the invoice, None for a one-off invoice."""
    details = getattr(getattr(invoice, "parent", None), "subscription_details", None)
    return id_of(getattr(details, "subscription", None))


def _view(invoice: Any, settings: PortalSettings) -> InvoiceView:
    # Stripe's hosted page of an open invoice takes its payment: not where the site said no.
    payable_elsewhere = invoice.status == "open" and not settings.pay_invoices
    return InvoiceView(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        total=invoice.total,
        amount_due=invoice.amount_due,
        amount_paid=invoice.amount_paid,
        created=invoice.created,
        subscription=subscription_of(invoice),
        hosted_invoice_url=None if payable_elsewhere else invoice.hosted_invoice_url,
        invoice_pdf=invoice.invoice_pdf,
        **_billed(invoice),
    )


def _billed(invoice: Any) -> dict[str, Any]:
    """The price, description and period of the invoice's first line that is not a
    proration (a renewal's one line; a change's new plan), from the lines the list sends."""
    lines = getattr(getattr(invoice, "lines", None), "data", None) or []
    line = next((item for item in lines if not is_proration(item)), lines[0] if lines else None)
    if line is None:
        return {"description": invoice.description}
    period = getattr(line, "period", None)
    return {
        "price_id": line_price(line),
        "description": invoice.description or line.description,
        "period_start": getattr(period, "start", None),
        "period_end": getattr(period, "end", None),
    }


def line_price(line: Any) -> str | None:
    """The price an invoice line bills (`pricing.price_details.price`)."""
    details = getattr(getattr(line, "pricing", None), "price_details", None)
    return id_of(getattr(details, "price", None))


def is_proration(line: Any) -> bool:
    """Whether an invoice line is a proration (of a subscription item or invoice item)."""
    parent = getattr(line, "parent", None)
    for kind in ("subscription_item_details", "invoice_item_details"):
        if getattr(getattr(parent, kind, None), "proration", False):
            return True
    return False
