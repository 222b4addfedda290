"""Coming back and coming in: resubscribing after a subscription ended, and subscribing
from the plan picker. Both make a new subscription, so both first look for one of the same
plan still waiting for its first payment, and offer that instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..billing.catalog import Plan
from ..billing.rules import (
    SubscriptionFacts,
    check_not_subscribed,
    check_resubscribe,
    check_subscribe,
    check_subscribe_quantity,
    trial_days,
)
from ..errors import NotFound
from ..stripe.gateway import SUBSCRIPTION_EXPAND
from .context import ActionContext
from .discounts import PROMOTION_KEY, code_refusals, promotion_code_id

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["resubscribe", "subscribe"]


def resubscribe(
    context: ActionContext, subscription_id: Any, price_id: Any = None, code: Any = None
) -> Any:
    """Start a canceled subscription again, as a new subscription on its plan (or another
    of its service, where the site allows), charged to the customer's card at once.

    The answer is the new subscription. When its first payment needs the customer (a card
    that asks for authentication, or a decline), it is `incomplete` and its latest invoice
    carries the `confirmation_secret` the page confirms with Stripe.js.
    """
    subscription, facts = context.facts(subscription_id)
    price = check_resubscribe(context.settings, context.catalog, facts, price_id, code)
    waiting = _waiting_first_payment(context, price)
    if waiting is not None:  # made by an earlier try: the page pays that one
        return waiting
    others = [SubscriptionFacts.of(s) for s in context.subscriptions.values() if s["items"].data]
    check_not_subscribed(context.catalog, others, price)
    discounts: list[sp.SubscriptionCreateParamsDiscount] = []
    typed: dict[str, str] = {}  # the code, named so that a later one replaces it
    if code not in (None, ""):
        typed[PROMOTION_KEY] = promotion_code_id(context, code)
        discounts.append({"promotion_code": typed[PROMOTION_KEY]})
    quantity = _comeback_quantity(context.catalog.plan(price), facts)
    with code_refusals(context, code):
        created = context.gateway.create_subscription(
            {
                "customer": context.customer_id,
                "items": [{"price": price, "quantity": quantity}],
                "discounts": discounts,
                "metadata": typed,
                "payment_behavior": "allow_incomplete",
                "expand": list(SUBSCRIPTION_EXPAND),
            },
            key=context.key(f"resubscribe:{subscription.id}"),
        )
    context.subscriptions[created.id] = created
    return created


def _comeback_quantity(plan: Plan | None, facts: SubscriptionFacts) -> int:
    """The quantity a returning customer had, kept within the plan's bounds; a plan whose
    quantity customers do not choose keeps what the site set, unless it is another plan."""
    if plan is not None and plan.quantity is not None:
        rule = plan.quantity
        return min(max(facts.quantity, rule.minimum), rule.maximum)
    return facts.quantity if plan is None or plan.price_id == facts.price_id else 1


def _waiting_first_payment(context: ActionContext, price_id: Any) -> Any | None:
    """A subscription to `price_id` still waiting for its first payment: what an earlier
    try of this intent made (its answer lost) or a payment the customer walked away from.
    Either way the page pays that one, rather than a second subscription being made."""
    for subscription in context.subscriptions.values():
        items = subscription["items"].data
        if subscription.status == "incomplete" and items and items[0].price.id == price_id:
            return subscription
    return None


def subscribe(
    context: ActionContext,
    email: str | None,
    price_id: Any,
    code: Any = None,
    quantity: Any = None,
) -> Any:
    """Subscribe from the plan picker. A context without a customer is someone who is not
    one yet: a customer with `email` is made first. The first invoice waits for the page to
    confirm its payment with Stripe.js (`default_incomplete`): the answer is the new
    subscription, its latest invoice carrying the `confirmation_secret`. A free trial for
    a customer with no card asks nothing today; its `pending_setup_intent` is the card's
    setup the page confirms instead."""
    waiting = _waiting_first_payment(context, price_id)
    if waiting is not None:
        return waiting
    others = [SubscriptionFacts.of(s) for s in context.subscriptions.values() if s["items"].data]
    currency = getattr(context.customer, "currency", None)  # None for someone new
    plan = check_subscribe(context.settings, context.catalog, others, price_id, code, currency)
    units = check_subscribe_quantity(plan, quantity)
    discounts: list[sp.SubscriptionCreateParamsDiscount] = []
    typed: dict[str, str] = {}  # the code, named so that a later one replaces it
    if code not in (None, ""):
        typed[PROMOTION_KEY] = promotion_code_id(context, code)
        discounts.append({"promotion_code": typed[PROMOTION_KEY]})
    if context.customer is None:
        if email is None:  # a `cus_` identity that names no customer
            raise NotFound("No such customer.", code="customer_not_found", field="identity")
        # Keyed by the email: a retry finds this customer and carries on from here.
        context.customer = context.gateway.create_customer(
            email, key=context.gateway.idempotency_key(email, context.action_key, "customer")
        )
        context.customer_id = context.customer.id
    params: sp.SubscriptionCreateParams = {
        "customer": context.customer_id,
        "items": [{"price": plan.price_id, "quantity": units}],
        "discounts": discounts,
        "metadata": typed,
        "payment_behavior": "default_incomplete",
        "payment_settings": {"save_default_payment_method": "on_subscription"},
        "expand": list(SUBSCRIPTION_EXPAND),
    }
    trial = trial_days(context.catalog, others, plan)
    if trial:  # a first time with this service: the price's trial, nothing to pay today
        params["trial_period_days"] = trial
        # A customer who never gives a card is not sent an invoice no card will pay: the
        # trial ends the subscription. The answer's `pending_setup_intent` asks for one.
        params["trial_settings"] = {"end_behavior": {"missing_payment_method": "cancel"}}
    with code_refusals(context, code):
        created = context.gateway.create_subscription(params, key=context.key("subscribe"))
    context.subscriptions[created.id] = created
    return created
