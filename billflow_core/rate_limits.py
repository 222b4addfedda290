"""How often one visitor may act and preview: each is a Stripe request made with the site's
key, so one valid hash could otherwise spend the whole account's Stripe rate limit.

A fixed window of a minute per identity, counted in the same `SignInStore` as the sign-in
limits (so a host that shares that store between app servers shares these counts too). The
store's key holds a digest of the identity, never the email itself, so nothing personal
sits in a cache or a table::

    billflow:rate:<kind>:<sha256(identity)>:<minute>

A limit is checked before anything is read from Stripe; a refused request uses up nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from .encoding import digest
from .errors import RateLimited
from .settings import PortalSettings

if TYPE_CHECKING:  # the store's type only: sign-in imports this module
    from .identity.signin import SignInStore

__all__ = ["MINUTE", "check_rate", "take"]

MINUTE = 60

Kind = Literal["action", "preview"]


def take(store: SignInStore, limits: Sequence[tuple[str, int]], ttl: float) -> bool:
    """Count one request under each key of `limits` (made for `ttl` seconds), unless any
    key is at its limit already: False then, and nothing is counted. Checked before
    counted, so a refusal uses up nothing; counted, then checked again, so two requests at
    once cannot both take the last one (the second is refused, its count spent)."""
    if any(store.count(key) >= limit for key, limit in limits):
        return False
    return not any([store.incr(key, ttl) > limit for key, limit in limits])


def check_rate(
    store: SignInStore, settings: PortalSettings, kind: Kind, identity: str, now: float
) -> None:
    """Count one `kind` request of `identity` (an email or `cus_…`, already proven) in the
    current minute, against `action_rate_limit` or `preview_rate_limit`. `now` is UTC
    epoch seconds. Raises `RateLimited` past the limit, counting nothing then."""
    limit = settings.action_rate_limit if kind == "action" else settings.preview_rate_limit
    second = int(now)
    who = digest(identity)
    key = f"billflow:rate:{kind}:{who}:{second // MINUTE}"
    if not take(store, [(key, limit)], MINUTE):
        retry_after = MINUTE - second % MINUTE
        raise RateLimited(
            f"Too many requests; try again in {retry_after} seconds.", retry_after=retry_after
        )
