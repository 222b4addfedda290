"""Who is asking: the identity a page names, proven by its hash.

Live-mode Stripe keys force the hash check on, whatever the settings say: a site in live
mode never answers for an identity a visitor merely typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..errors import BadInput, Forbidden
from ..settings import PortalSettings
from .hashing import hash_problem

__all__ = ["MAX_IDENTITY", "Visitor", "authenticate", "limited_visitor"]

MAX_IDENTITY = 512

_WHY = MappingProxyType(
    {
        "malformed": "The identity hash is not in a form Billflow knows.",
        "mismatch": "The identity hash does not match this identity.",
        "expired": "The identity hash has expired; reload the page.",
        "expiring_required": "This site needs an expiring identity hash.",
    }
)


@dataclass(frozen=True)
class Visitor:
    """Someone the portal answers for: an identity already proven (by its hash, or by an
    email-link session), and the one subscription the page was limited to, if any."""

    identity: str
    only_subscription: str | None = None


def limited_visitor(proven: str, subscription: Any) -> Visitor:
    """The visitor `proven`, limited to `subscription` when the page names one (a `sub_`
    id: anything else is refused rather than read as "no limit")."""
    if subscription in (None, ""):
        return Visitor(proven)
    if not isinstance(subscription, str) or not subscription.startswith("sub_"):
        raise BadInput(
            "subscription_id must be a Stripe subscription id (sub_…).",
            code="subscription_id_invalid",
            field="subscription_id",
        )
    return Visitor(proven, subscription)


def authenticate(
    settings: PortalSettings,
    secret: str,
    identity: Any,
    hash: Any,
    *,
    livemode: bool,
    now: int | None = None,
    previous: str | None = None,
) -> str:
    """The identity, once its hash proves it; raises `BadInput` for an unusable identity
    and `Forbidden` (code `hash_missing`, `hash_malformed`, `hash_mismatch`, `hash_expired`
    or `hash_expiring_required`) for a hash that does not prove it. `previous` is the
    secret key before the last rotation: hashes made with it keep working until they
    expire, so pages already open survive a rotation."""
    if (
        not isinstance(identity, str)
        or not identity.strip()
        or len(identity) > MAX_IDENTITY
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in identity)
    ):
        raise BadInput(
            "The page did not say who the customer is.", code="identity_required", field="identity"
        )
    if not (settings.require_hash or livemode):
        return identity
    if not isinstance(hash, str) or not hash:
        raise Forbidden("This site needs an identity hash.", code="hash_missing", field="hash")
    problem = hash_problem(
        secret, identity, hash, now=now, require_expiring=settings.require_expiring_hash
    )
    if problem == "mismatch" and previous:
        problem = hash_problem(
            previous, identity, hash, now=now, require_expiring=settings.require_expiring_hash
        )
    if problem is not None:
        raise Forbidden(_WHY[problem], code=f"hash_{problem}", field="hash")
    return identity
