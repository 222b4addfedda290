"""Pay what is owed: an open invoice (a renewal that failed, a one-off bill) charged now.

Stripe first tries the card the invoice's subscription or customer pays with. When that card
is declined, or its bank asks the customer to authenticate (3-D Secure), the answer carries
the invoice's payment for the page to confirm with Stripe.js, in the page, with a new card if
need be; once it is paid a `past_due` subscription is active again.
"""

from __future__ import annotations

from typing import Any

from ..billing.expanded import id_of
from ..billing.invoices import subscription_of
from ..billing.rules import check_feature
from ..errors import BadInput, Conflict, NotFound, PaymentFailed
from .context import ActionContext

__all__ = ["pay_invoice"]


def pay_invoice(context: ActionContext, invoice_id: Any) -> Any:
    """Charge the customer's own open invoice. Returns the paid invoice, or the open one
    whose payment the page must still confirm (`confirmation_secret`); its event waits for
    that payment (`events.waiting_invoice`). A retry of the same intent is answered from the
    portal's answers; another intent on an invoice paid meanwhile is 409 `invoice_paid`."""
    check_feature(context.settings, "pay_invoice")
    invoice = _own_invoice(context, invoice_id)
    if invoice.status == "paid":  # paid meanwhile (another tab): nothing to do, no event
        raise Conflict("This invoice is paid.", code="invoice_paid", field="invoice")
    if invoice.status != "open":
        raise Conflict("This invoice is not open for payment.", code="invoice_not_open",
                       field="invoice")  # fmt: skip
    try:
        paid = context.gateway.pay_invoice(invoice.id, key=context.key(f"pay:{invoice.id}"))
    except (PaymentFailed, BadInput):
        # Declined, no card to charge, or a bank asking the customer: the page confirms the
        # invoice's own payment instead, where 3-D Secure and a new card both work.
        again = context.gateway.invoice(invoice.id)
        if again is None or again.status != "open" or again.confirmation_secret is None:
            raise
        return again
    _forget_subscription(context, paid)
    return paid


def _own_invoice(context: ActionContext, invoice_id: Any) -> Any:
    """One of this customer's invoices (of the one subscription a limited page shows);
    anyone else's is unknown."""
    if isinstance(invoice_id, str) and invoice_id.startswith("in_") and len(invoice_id) <= 255:
        invoice = context.gateway.invoice(invoice_id)
        limited = context.only_subscription
        if (
            invoice is not None
            and id_of(invoice.customer) == context.customer_id
            and limited in (None, subscription_of(invoice))
        ):
            return invoice
    raise NotFound("No such invoice.", code="invoice_not_found", field="invoice")


def _forget_subscription(context: ActionContext, invoice: Any) -> None:
    """A paid invoice changes its subscription (`past_due` → `active`): read it again, so
    the refreshed page says so."""
    subscription_id = subscription_of(invoice)
    if subscription_id is not None and subscription_id in context.subscriptions:
        found = context.gateway.subscription(subscription_id)
        if found is not None:
            context.subscriptions[subscription_id] = found
