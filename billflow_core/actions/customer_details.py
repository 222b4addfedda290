"""The customer's invoice details: name, email, phone, billing address and tax IDs.

A changed email is not a changed identity. Where the site knows its customers by email, the
email is how the portal finds them: changing it here would leave the site's login naming an
address no customer has, so it is refused unless the site says otherwise
(`change_billing_email`, for a site that then changes its own login too).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..billing.billing_details import checked_details
from ..billing.rules import check_feature
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..stripe.tax_id_types import TAX_ID_TYPES
from .context import ActionContext

__all__ = [
    "TAX_ID_TYPES",
    "add_tax_id",
    "check_whole_account",
    "remove_tax_id",
    "update_billing_details",
]

MAX_TAX_ID = 64


def check_whole_account(context: ActionContext) -> None:
    """What belongs to the customer, not to one subscription (their details, tax IDs and
    saved cards), is not for a page limited to one subscription: on a shared customer, the
    one who sees a subscription is not the one who owns the account."""
    if context.only_subscription is not None:
        raise Forbidden(
            "This page manages one subscription: change the account's details on its own page.",
            code="subscription_page",
        )


def update_billing_details(context: ActionContext, payload: Mapping[str, Any]) -> Any:
    """Write what the form changed to the customer; returns the updated customer."""
    check_feature(context.settings, "update_billing_details")
    check_whole_account(context)
    update = checked_details(payload)
    if context.customer is None:
        context.customer = context.gateway.customer(context.customer_id)
    current = getattr(context.customer, "email", None)
    if "email" in update and update["email"] != current:
        by_email = context.settings.identify_by == "email"
        if by_email and not context.settings.change_billing_email:
            raise BadInput(
                "Your email is how this site knows you: change it in your account on the site.",
                code="email_is_identity",
                field="email",
            )
        if by_email and _taken(context, update["email"]):
            # Another customer's email would make this customer theirs, or lock both out.
            raise BadInput("That email cannot be used here.", code="email_unavailable",
                           field="email")  # fmt: skip
    elif "email" in update:
        del update["email"]  # unchanged: nothing to write, nothing a race could undo
    customer = context.gateway.update_customer(
        context.customer_id, update, key=context.key("details")
    )
    context.customer = customer
    return customer


def add_tax_id(context: ActionContext, kind: Any, value: Any) -> Any:
    """A tax ID of one of Stripe's types; Stripe checks the value's format and answers
    `tax_id_invalid` for one that is not of its type."""
    check_feature(context.settings, "add_tax_id")
    check_whole_account(context)
    if not isinstance(kind, str) or kind not in TAX_ID_TYPES:
        raise BadInput("Choose the kind of tax ID.", code="tax_id_type_invalid", field="type")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TAX_ID:
        raise BadInput("Enter the tax ID.", code="tax_id_invalid", field="value")
    given = _plain_tax_id(value)
    if any(
        t.type == kind and _plain_tax_id(t.value) == given
        for t in context.gateway.tax_ids(context.customer_id)
    ):  # Stripe would keep a second copy, printed twice on every invoice
        raise Conflict(
            "This tax ID is already on your account.", code="tax_id_exists", field="value"
        )
    return context.gateway.add_tax_id(
        context.customer_id, kind, value.strip(), key=context.key(f"tax_id:{kind}")
    )


def _plain_tax_id(value: str) -> str:
    """A tax ID as compared: "de 123.456.789" and "DE123456789" are one number."""
    return re.sub(r"[\s.\-]", "", value).upper()


def remove_tax_id(context: ActionContext, tax_id: Any) -> Any:
    """Delete one of the customer's own tax IDs. Another customer's, or one already gone,
    is unknown (Stripe looks it up under this customer only)."""
    check_feature(context.settings, "remove_tax_id")
    check_whole_account(context)
    if not isinstance(tax_id, str) or not tax_id.startswith("txi_") or len(tax_id) > 255:
        raise NotFound("No such tax ID.", code="tax_id_not_found", field="tax_id")
    try:
        return context.gateway.remove_tax_id(context.customer_id, tax_id)
    except NotFound:
        raise NotFound("No such tax ID.", code="tax_id_not_found", field="tax_id") from None


def _taken(context: ActionContext, email: str) -> bool:
    """Whether any other customer has `email`, as written or in lower case."""
    for form in {email, email.lower()}:
        if any(c.id != context.customer_id for c in context.gateway.customers_by_email(form)):
            return True
    return False
