"""The customer's card: a new one confirmed with Stripe.js becomes the default of the
customer and their subscriptions; a card paid with at checkout becomes the default where
there was none.
"""

from __future__ import annotations

import logging
from typing import Any

from ..billing.expanded import id_of
from ..billing.rules import (
    check_feature,
)
from ..billing.subscription_facts import ENDED, LIVE, own_card_id
from ..errors import BadInput, NotFound
from .context import ActionContext

log = logging.getLogger(__name__)

__all__ = ["finish_card_update", "finish_payment", "spread_default", "start_card_update"]


def start_card_update(context: ActionContext) -> Any:
    """A setup intent for the page to confirm a new card with Stripe.js."""
    check_feature(context.settings, "setup_payment_method")  # for either card form
    return context.gateway.create_setup_intent(context.customer_id, key=context.key("setup"))


def finish_card_update(
    context: ActionContext, payment_method_id: Any, setup_intent_id: Any = None
) -> Any:
    """Make the card the page just confirmed (the `payment_method` of its succeeded setup
    intent) the customer's default, and the default of each subscription that named its own
    card, so every renewal uses it. Stripe refuses a card not attached to this customer,
    which a card only is once its setup succeeded. Where the site does not let customers
    choose among saved cards (`payment_methods` off), the page must name the setup intent
    that confirmed this card, so an older saved card cannot be made the default here.
    Returns the updated customer."""
    check_feature(context.settings, "update_payment_method")
    if (
        not isinstance(payment_method_id, str)
        or not payment_method_id.startswith("pm_")
        or len(payment_method_id) > 255
    ):
        raise BadInput("No such card.", code="payment_method_invalid", field="payment_method")
    if setup_intent_id is not None or not context.settings.payment_methods:
        _check_just_set_up(context, payment_method_id, setup_intent_id)
    try:
        customer = context.gateway.set_default_card(
            context.customer_id, payment_method_id, key=context.key("default")
        )
    except (BadInput, NotFound):
        raise BadInput(
            "That card was not confirmed for this customer.",
            code="payment_method_invalid",
            field="payment_method",
        ) from None
    context.customer = customer
    _spread_to_subscriptions(context, payment_method_id)
    return customer


def _check_just_set_up(
    context: ActionContext, payment_method_id: str, setup_intent_id: Any
) -> None:
    """The card is the one this customer's succeeded setup intent confirmed."""
    if _just_set_up(context, setup_intent_id) != payment_method_id:
        raise BadInput(
            "That card was not confirmed for this customer.",
            code="payment_method_invalid",
            field="setup_intent",
        )


def _just_set_up(context: ActionContext, setup_intent_id: Any) -> str:
    """The card this customer's succeeded setup intent confirmed."""
    intent = None
    if isinstance(setup_intent_id, str) and setup_intent_id.startswith("seti_"):
        intent = context.gateway.setup_intent(setup_intent_id)
    card = None if intent is None else id_of(intent.payment_method)
    if (
        intent is None
        or card is None
        or id_of(intent.customer) != context.customer_id
        or intent.status != "succeeded"
    ):
        raise BadInput(
            "That card was not confirmed for this customer.",
            code="payment_method_invalid",
            field="setup_intent",
        )
    return card


def spread_default(context: ActionContext, payment_method_id: str) -> Any:
    """Make one of the customer's attached cards their default, and the default of each
    subscription that named its own card, so every renewal uses it. Returns the customer."""
    context.customer = context.gateway.set_default_card(
        context.customer_id, payment_method_id, key=context.key("default")
    )
    _spread_to_subscriptions(context, payment_method_id)
    return context.customer


def _spread_to_subscriptions(context: ActionContext, payment_method_id: str) -> None:
    for subscription in list(context.subscriptions.values()):
        own = own_card_id(subscription)
        limited = context.only_subscription not in (None, subscription.id)
        ended = subscription.status in ENDED
        if own is not None and own != payment_method_id and not ended and not limited:
            context.update(
                subscription.id, {"default_payment_method": payment_method_id}, step="card"
            )


def finish_payment(
    context: ActionContext, subscription_id: Any, setup_intent_id: Any = None
) -> Any:
    """After the page confirmed a subscription's payment: a card checkout saved to the
    subscription (`save_default_payment_method`) becomes the customer's default where they
    have none, so the card section names it and later subscriptions are charged to it.
    Stripe saves it to the subscription alone. After the card setup a trial asked for
    (`setup_intent`, the customer's own and succeeded), that card becomes the default
    where there is none, whether or not Stripe saved it to the subscription. One write at
    most, once the payment went through: the customer has a default afterwards, so a retry
    or a second call writes nothing. Returns the subscription, as it is now."""
    subscription, facts = context.facts(subscription_id)
    set_up = setup_intent_id is not None
    own = _just_set_up(context, setup_intent_id) if set_up else own_card_id(subscription)
    if own is None or not (set_up or _is_card(subscription.default_payment_method)):
        return subscription  # a bank debit or a method staff set is not the page's to spread
    if facts.status not in LIVE and not _first_invoice_paid(subscription):
        return subscription
    customer = context.customer or context.gateway.customer(context.customer_id)
    settings = getattr(customer, "invoice_settings", None)
    if getattr(settings, "default_payment_method", None) is not None:
        return subscription
    context.customer = context.gateway.set_default_card(
        context.customer_id, own, key=context.key(f"checkout_card:{subscription.id}")
    )
    return subscription


def _is_card(payment_method: Any) -> bool:
    """Whether the (expanded) payment method is a card: one read as an id cannot be told."""
    return getattr(payment_method, "type", None) == "card"


def _first_invoice_paid(subscription: Any) -> bool:
    """A subscription Stripe still calls `incomplete` a moment after its first invoice was
    paid (its status follows the payment asynchronously)."""
    invoice = getattr(subscription, "latest_invoice", None)
    return (
        subscription.status == "incomplete"
        and invoice is not None
        and not isinstance(invoice, str)
        and invoice.status == "paid"
    )
