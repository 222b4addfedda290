"""What the page's card list and tax ID list show, read when their section opens (not with
the page: most visits never open them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..stripe.gateway import StripeGateway
from .expanded import id_of

__all__ = ["SavedCard", "TaxIdView", "list_cards", "list_tax_ids"]

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


@dataclass(frozen=True)
class TaxIdView:
    id: str
    type: str
    value: str
    country: str | None
    verification: str  # Stripe's status: verified, pending, unverified or unavailable


def list_cards(gateway: StripeGateway, customer: Any, *, now: int) -> list[SavedCard]:
    """The customer's saved cards, the default first, then newest first."""
    settings = getattr(customer, "invoice_settings", None)
    default_id = id_of(getattr(settings, "default_payment_method", None))
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    cards = []
    for method in gateway.cards(customer.id):
        card = method.card
        if card is None:
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
