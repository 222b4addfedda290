"""Which Stripe customer an identity names, remembered, so that opening a page costs one
Stripe request instead of two in a row.

Finding the customer is a request of its own (`customers?email=`, or the customer by id),
and everything else waits for its answer. Once the customer id is known, the subscriptions
are read with their customer expanded, and that one answer carries all the page needs.

The remembered id is a hint, never trusted as it is read: the customer that comes back
with the subscriptions must still be live and still have the identity's email, or the id
is forgotten and the customer is looked up again. It is also forgotten when a `customer.*`
webhook names the customer or its email (old and new), and after `ttl` seconds in any case.
An email that several customers share is never remembered: which of them is the portal's
depends on their subscriptions, which change without a `customer.*` event naming the email.
The cache key holds a digest of the identity, never the email itself.

The invoices are read by the remembered id without that check (it would cost the request
the cache saves). So each value is signed with a key derived from the site's secret, bound
to the account and the identity: one planted in the cache by anyone without the secret (a
shared Redis, the bridge's database) is ignored, never used to list someone's invoices.
What remains is an email that moved from one Stripe customer to another with no
`customer.*` webhook: its invoices may be the old customer's until the next page load
checks the id, or `ttl` seconds at most.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from typing import Any

from ..encoding import digest
from ..errors import BadInput, NotFound
from ..settings import PortalSettings
from ..shared_cache import SharedCache
from ..stripe.gateway import StripeGateway
from .customers import customer_candidates

__all__ = [
    "CustomerIds",
    "checked_kind",
    "customer_and_subscriptions",
    "customer_id_of",
    "identity_kind",
]

log = logging.getLogger(__name__)

TTL = 600.0  # seconds a remembered id is used before it is looked up again


class CustomerIds:
    """Identity → customer id, in the site's shared cache. A cache that fails (Redis
    restarting) makes every call a miss, logged, never a failed page."""

    def __init__(self, cache: SharedCache, account: str, *, secret: str, ttl: float = TTL) -> None:
        """`account`: what tells this Stripe account's ids from another's in one cache;
        `secret`: the site's secret key, which signs every value kept."""
        self.cache = cache
        self.ttl = ttl
        self._account = account
        self._prefix = f"billflow:customer-id:{account}:"
        self._signing = hmac.new(secret.encode(), b"billflow customer ids", hashlib.sha256).digest()

    def _key(self, identity: str) -> str:
        return self._prefix + digest(identity)

    def _signature(self, identity: str, customer_id: str) -> str:
        bound = "\0".join((self._account, identity, customer_id)).encode()
        return hmac.new(self._signing, bound, hashlib.sha256).hexdigest()[:32]

    def get(self, identity: str) -> str | None:
        try:
            found = self.cache.get(self._key(identity))
        except Exception:
            log.warning("the shared cache could not be read; the customer is looked up")
            return None
        if not isinstance(found, str):
            return None
        customer_id, _, signature = found.partition(".")
        if not customer_id.startswith("cus_") or not hmac.compare_digest(
            signature, self._signature(identity, customer_id)
        ):
            return None  # not one this site kept: the customer is looked up
        return customer_id

    def remember(self, identity: str, customer_id: str) -> None:
        value = f"{customer_id}.{self._signature(identity, customer_id)}"
        try:
            self.cache.set(self._key(identity), value, self.ttl)
        except Exception:
            log.warning("the shared cache could not keep a customer id")

    def forget(self, identities: Iterable[str]) -> None:
        for identity in identities:
            try:
                self.cache.delete(self._key(identity))
            except Exception:
                log.warning("the shared cache could not forget a customer id; it expires "
                            "within %d seconds", self.ttl)  # fmt: skip

    def forget_customer(self, customer: dict[str, Any], previous: dict[str, Any]) -> None:
        """After a `customer.*` event about `customer` (Stripe's `data.object`), with the
        values it had before (`data.previous_attributes`): its id and every email it had."""
        named = [customer.get("id"), customer.get("email"), previous.get("email")]
        self.forget(value for value in named if isinstance(value, str) and value)


def _still_names(customer: Any, identity: str) -> bool:
    """Whether a customer read by a remembered id is still the identity's."""
    if customer is None or isinstance(customer, str) or getattr(customer, "deleted", False):
        return False
    if identity.startswith("cus_"):
        return bool(customer.id == identity)
    return bool(customer.email == identity)  # exactly, as Stripe's email filter matches


def customer_and_subscriptions(
    gateway: StripeGateway,
    settings: PortalSettings,
    identity: str,
    ids: CustomerIds | None,
) -> tuple[Any, list[Any]]:
    """The customer `identity` names (with their default card) and every subscription of
    theirs; (None, []) for someone who is not a customer. One Stripe request when the
    customer id is remembered and they have a subscription, else two or more in a row (see
    `customers.customer_for_email`). An identity of the other kind than the site's is a
    `BadInput`; an email several live customers share is a `Conflict`."""
    kind = checked_kind(settings, identity)
    known = ids.get(identity) if ids is not None else None
    if known is not None and ids is not None:
        found = _read_known(gateway, known)
        if found is not None and _still_names(found[0], identity):
            return found
        ids.forget([identity])
    customer = _looked_up(gateway, identity, kind, ids)
    if customer is None:
        return None, []
    return customer, gateway.subscriptions(customer.id)


def customer_id_of(
    gateway: StripeGateway, settings: PortalSettings, identity: str, ids: CustomerIds | None
) -> str | None:
    """The id of the customer `identity` names, None for someone who is not a customer: no
    Stripe request when it is remembered (signed by this site, see the module's words on
    what that leaves). For reads of the customer's own records: the invoices."""
    kind = checked_kind(settings, identity)
    known = ids.get(identity) if ids is not None else None
    if known is not None:
        return known
    customer = _looked_up(gateway, identity, kind, ids)
    return None if customer is None else str(customer.id)


def identity_kind(identity: str) -> str:
    """ "customer_id" for a Stripe customer id (`cus_…`), else "email", as hosted Billflow."""
    return "customer_id" if identity.startswith("cus_") else "email"


def checked_kind(settings: PortalSettings, identity: str) -> str:
    """The identity's kind; `BadInput` (`identity_kind`) when the site identifies customers
    by the other kind."""
    kind = identity_kind(identity)
    if kind != settings.identify_by:
        raise BadInput(
            f"This site identifies customers by {settings.identify_by.replace('_', ' ')}.",
            code="identity_kind",
            field="identity",
        )
    return kind


def _looked_up(gateway: StripeGateway, identity: str, kind: str, ids: CustomerIds | None) -> Any:
    """The customer found by asking Stripe, remembered when no other has the identity."""
    customer, only_one = customer_candidates(gateway, identity, kind)
    if customer is not None and only_one and ids is not None:
        ids.remember(identity, str(customer.id))
    return customer


def _read_known(gateway: StripeGateway, customer_id: str) -> tuple[Any, list[Any]] | None:
    """The customer (None when gone) and subscriptions behind a remembered id."""
    try:
        subscriptions = gateway.subscriptions(customer_id, with_customer=True)
    except NotFound:
        return None
    if subscriptions:
        return subscriptions[0].customer, subscriptions
    return gateway.customer(customer_id), []
