"""Which Stripe customer an email names, when Stripe holds several with that email.

Stripe does not keep emails unique: a guest checkout, a second signup or an import makes
another customer with the same address. The newest of them is often the one with nothing
(a guest who never paid), so "newest wins" would hide someone's real subscription. The one
with live subscriptions is the customer; when more than one has them, no guess is safe and
the portal refuses rather than show one person's billing as another's.
"""

from __future__ import annotations

from typing import Any

from ..errors import Conflict
from ..stripe.gateway import StripeGateway

__all__ = ["LIVE_STATUSES", "customer_candidates", "customer_for_email", "email_is_known"]

# Subscriptions that still bill or may bill again; canceled and incomplete_expired ones end.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid", "incomplete", "paused"})


def customer_for_email(gateway: StripeGateway, email: str) -> Any:
    """The customer `email` names, with their default card; None when there is none.
    (`customer_candidates` says besides whether the email was any other customer's.)

    One request when one customer has the email; with several, one more per candidate to
    see whose subscriptions are live. Among several with none live, the newest that ever
    subscribed (their invoices are worth showing), else the newest. Raises `Conflict`
    (`customer_ambiguous`) when several have live subscriptions."""
    return customer_candidates(gateway, email, "email")[0]


def customer_candidates(gateway: StripeGateway, identity: str, kind: str) -> tuple[Any, bool]:
    """The customer `identity` names (`kind` "email" or "customer_id"), as
    `customer_for_email` chooses among several, and whether no other customer had the
    identity: only then may the choice be remembered (`customer_ids.py`)."""
    if kind == "customer_id":
        return gateway.customer(identity), True
    candidates = gateway.customers_by_email(identity)
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), True
    return _chosen(gateway, candidates), False


def _chosen(gateway: StripeGateway, candidates: list[Any]) -> Any:
    statuses = {c.id: gateway.subscription_statuses(c.id) for c in candidates}
    live = [c for c in candidates if LIVE_STATUSES.intersection(statuses[c.id])]
    if len(live) > 1:
        raise Conflict(
            "Several customer accounts use this email; the site must tell them apart.",
            code="customer_ambiguous",
            field="identity",
        )
    if live:
        return live[0]
    subscribed = [c for c in candidates if statuses[c.id]]
    return (subscribed or candidates)[0]  # Stripe lists newest first


def email_is_known(gateway: StripeGateway, email: str) -> bool:
    """Whether any customer has this email: one request, and never the ambiguity error,
    since an email link only proves the address and the portal decides after sign-in."""
    return bool(gateway.customers_by_email(email))
