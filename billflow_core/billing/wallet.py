"""What the page's card list and tax ID list show, read when their section opens (not with
the page: most visits never open them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..stripe.gateway import StripeGateway
from .expanded import id_of
from .subscription_facts import ENDED, own_card_id

__all__ = ["SavedCard", "TaxIdView", "list_cards", "list_tax_ids", "removal_refusal"]

SOON_DAYS = 60  # a card expiring within this many days is said to expire soon


@dataclass(frozen=True)
class SavedCard:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    expired: bool
    expires_soon: bool
    removable: bool = True  # False: `remove_payment_method` would refuse it (see below)


@dataclass(frozen=True)
class TaxIdView:
    id: str
    type: str
    value: str
    country: str | None
    verification: str  # Stripe's status: verified, pending, unverified or unavailable


def renews(subscription: Any) -> bool:
    """Whether the subscription will charge a card again (not ended, not cancelled at the
    period end, charged automatically)."""
    return (
        subscription.status not in ENDED
        and not subscription.cancel_at_period_end
        and getattr(subscription, "collection_method", "charge_automatically")
        == "charge_automatically"
    )


def removal_refusal(
    card_id: str, default_id: str | None, subscriptions: Iterable[Any], cards: int
) -> str | None:
    """Why a saved card may not be removed, as the refusal's code, or None when it may: a
    renewing subscription's own card (`payment_method_in_use`), or the default while
    something renews (`payment_method_is_default` while other cards exist, else
    `payment_method_needed`). `cards`: how many the customer has saved."""
    renewing = [s for s in subscriptions if renews(s)]
    if any(own_card_id(s) == card_id for s in renewing):
        return "payment_method_in_use"
    if renewing and card_id == default_id:
        return "payment_method_is_default" if cards > 1 else "payment_method_needed"
    return None


def list_cards(
    gateway: StripeGateway, customer: Any, subscriptions: Iterable[Any] = (), *, now: int
) -> list[SavedCard]:
    """The customer's saved cards, the default first, then newest first, each saying
    whether it may be removed, given the customer's `subscriptions`."""
    settings = getattr(customer, "invoice_settings", None)
    default_id = id_of(getattr(settings, "default_payment_method", None))
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    subscriptions = list(subscriptions)
    methods = [m for m in gateway.cards(customer.id) if m.card is not None]
    cards = []
    for method in methods:
        card = method.card
        if card is None:  # not so (filtered above); said again for the type checker
            continue
        # A card works to the end of its expiry month.
        month_after = dt.date(card.exp_year + card.exp_month // 12, card.exp_month % 12 + 1, 1)
        left = (month_after - today).days
        cards.append(
            SavedCard(
                id=method.id,
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                is_default=method.id == default_id,
                expired=left <= 0,
                expires_soon=0 < left <= SOON_DAYS,
                removable=removal_refusal(method.id, default_id, subscriptions, len(methods))
                is None,
            )
        )
    cards.sort(key=lambda c: not c.is_default)  # stable: Stripe's newest-first order stays
    return cards


def list_tax_ids(gateway: StripeGateway, customer_id: str) -> list[TaxIdView]:
    """The customer's tax IDs as Stripe lists them."""
    found = []
    for tax_id in gateway.tax_ids(customer_id):
        verification = getattr(getattr(tax_id, "verification", None), "status", None)
        found.append(
            TaxIdView(
                tax_id.id, tax_id.type, tax_id.value, tax_id.country, verification or "unavailable"
            )
        )
    return found
