"""The checks that creating and updating a subscription share: its prices bill alike, its
quantities and payment options are ones the sandbox acts on, its customer bills in one
currency, and its card can pay now when the request says it must.

Each check raises Stripe's error before anything is written, so a refused request changes
nothing."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import StripeError, card_declined, invalid, not_implemented
from .payment_methods import card_of
from .prices import interval_of

JSON = dict[str, Any]


def same_billing(prices: list[JSON], param: str) -> None:
    if len({p["currency"] for p in prices}) > 1:
        raise invalid("All prices on a subscription must have the same currency.", param=param)
    if len({interval_of(p) for p in prices}) > 1:
        raise invalid(
            "All prices on a subscription must have the same recurring interval and "
            "interval_count.",
            param=param,
        )


def quantity_of(spec: JSON, param: str, default: int = 1) -> int:
    quantity = spec.get("quantity", default)
    if quantity < 0:
        raise invalid("This value must be greater than or equal to 0.", param=f"{param}[quantity]")
    return int(quantity)


def check_payment_method(ctx: Context, pm_id: str, customer: str) -> None:
    pm = ctx.state.get("payment_method", pm_id, param="default_payment_method")
    if pm["customer"] != customer:
        raise invalid(
            f"The customer does not have a payment method with the ID {pm_id}. The "
            "payment method must be attached to the customer.",
            param="default_payment_method",
        )


def refuse_unpayable(ctx: Context, pm_id: str | None) -> None:
    """`error_if_incomplete`: refuse, before anything is written, a payment that would not
    go through now."""
    if pm_id is None:
        raise StripeError(
            "This customer has no attached payment source or default payment "
            "method. Please consider adding a default payment method.",
            code="resource_missing",
        )
    card = card_of(ctx, ctx.state.get("payment_method", pm_id))
    if card.outcome in ("decline", "fail_charges"):
        raise card_declined(decline_code=card.decline_code)
    if card.outcome == "authenticate":
        raise StripeError(
            "Payment for this subscription requires additional user action before "
            "it can be completed successfully.",
            status=402,
            type="card_error",
            code="subscription_payment_intent_requires_action",
        )


def check_currency(customer: JSON, currency: str, param: str) -> None:
    """A customer bills in one currency, set by their first subscription, as on Stripe."""
    if customer["currency"] not in (None, currency):
        raise invalid(
            f"You cannot combine currencies on a single customer. This customer has had a "
            f"subscription or payment in {customer['currency']}, but you are trying to pay "
            f"in {currency}.",
            param=param,
        )


def check_payment_options(params: JSON) -> None:
    """Refuse the payment options the sandbox does not act on."""
    if params.get("collection_method", "charge_automatically") != "charge_automatically":
        raise not_implemented("collection_method", params["collection_method"])
    settings = params.get("payment_settings") or {}
    for key in sorted(settings.keys() - {"save_default_payment_method", "payment_method_types"}):
        raise not_implemented(f"payment_settings[{key}]")
    if settings.get("payment_method_types") not in (None, "", ["card"]):
        raise not_implemented("payment_settings[payment_method_types]")
