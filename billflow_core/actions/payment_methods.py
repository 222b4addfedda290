"""Several saved cards: add one (confirmed with Stripe.js, as a new card is), make one the
default, remove one.

The default is the card every renewal is charged to: the customer's, and the subscriptions'
own where checkout saved one there. A card a live subscription still needs (the default
while other cards exist, a subscription's own card, or the last card while something renews)
is not removed: the customer makes another the default first, or is told the subscription
needs a card.
"""

from __future__ import annotations

from typing import Any

from ..billing.expanded import id_of
from ..billing.rules import check_feature
from ..billing.subscription_facts import own_card_id
from ..billing.wallet import removal_refusal
from ..errors import Conflict, NotFound
from .cards import spread_default
from .context import ActionContext
from .customer_details import check_whole_account

__all__ = ["add_payment_method", "remove_payment_method", "set_default_payment_method"]

_REFUSALS = {
    "payment_method_in_use": "A subscription is charged to this card: make another card the "
    "default first.",
    "payment_method_is_default": "Make another card the default before you remove this one.",
    "payment_method_needed": "Your subscription needs a card: add another before you remove "
    "this one.",
}


def _own_card(context: ActionContext, payment_method_id: Any) -> Any:
    """One of this customer's own saved cards; anyone else's is unknown."""
    if (
        isinstance(payment_method_id, str)
        and payment_method_id.startswith("pm_")
        and len(payment_method_id) <= 255
    ):
        found = context.gateway.payment_method(payment_method_id)
        owner = id_of(getattr(found, "customer", None))
        if found is not None and owner == context.customer_id and found.type == "card":
            return found
    raise NotFound("No such card.", code="payment_method_not_found", field="payment_method")


def _default_id(context: ActionContext) -> str | None:
    customer = context.customer or context.gateway.customer(context.customer_id)
    return id_of(
        getattr(getattr(customer, "invoice_settings", None), "default_payment_method", None)
    )


def add_payment_method(context: ActionContext, payment_method_id: Any) -> Any:
    """After the page confirmed a new card's setup (which attached it): the card becomes the
    default where the customer has none, else it waits in the list. A card already saved
    (the same number and expiry: Stripe's `fingerprint`) is not kept twice: of the two
    copies, one nothing is charged to (not the default, no subscription's own) is detached;
    where both are in use, both stay. Returns the customer."""
    check_feature(context.settings, "add_payment_method")
    check_whole_account(context)
    card = _own_card(context, payment_method_id)
    saved = _same_card(context, card)
    if saved is not None:
        used = {_default_id(context)} | {own_card_id(s) for s in context.subscriptions.values()}
        spare = card if card.id not in used else saved if saved.id not in used else None
        if spare is not None:
            context.gateway.detach_card(spare.id, key=context.key(f"duplicate:{spare.id}"))
            card = saved if spare is card else card
            context.customer = context.gateway.customer(context.customer_id) or context.customer
    if _default_id(context) is None:
        return spread_default(context, card.id)
    return context.customer or context.gateway.customer(context.customer_id)


def _same_card(context: ActionContext, card: Any) -> Any | None:
    """Another saved card of the customer's with `card`'s number and expiry, if any."""
    wanted = _card_key(card)
    if wanted is None:
        return None
    for other in context.gateway.cards(context.customer_id):
        if other.id != card.id and _card_key(other) == wanted:
            return other
    return None


def _card_key(payment_method: Any) -> tuple[str, int, int] | None:
    """What makes two saved cards one: Stripe's `fingerprint` of the number, and the expiry."""
    details = getattr(payment_method, "card", None)
    if details is None or not details.fingerprint:
        return None
    return (details.fingerprint, details.exp_month, details.exp_year)


def set_default_payment_method(context: ActionContext, payment_method_id: Any) -> Any:
    """Make a saved card the one every renewal is charged to. Returns the customer."""
    check_feature(context.settings, "set_default_payment_method")
    check_whole_account(context)
    card = _own_card(context, payment_method_id)
    return spread_default(context, card.id)


def remove_payment_method(context: ActionContext, payment_method_id: Any) -> Any:
    """Detach a saved card the customer's subscriptions do not need. Returns the card."""
    check_feature(context.settings, "remove_payment_method")
    check_whole_account(context)
    card = _own_card(context, payment_method_id)
    saved = context.gateway.cards(context.customer_id)
    refusal = removal_refusal(
        card.id, _default_id(context), context.subscriptions.values(), len(saved)
    )
    if refusal is not None:
        raise Conflict(_REFUSALS[refusal], code=refusal, field="payment_method")
    was_default = card.id == _default_id(context)
    detached = context.gateway.detach_card(card.id, key=context.key(f"detach:{card.id}"))
    if was_default:  # Stripe cleared the customer's default: the page shows them without
        context.customer = context.gateway.customer(context.customer_id) or context.customer
    return detached
