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

import hashlib
from typing import Literal

from .errors import RateLimited
from .settings import PortalSettings
from .signin import SignInStore

__all__ = ["MINUTE", "TooManyRequests", "check_rate"]

MINUTE = 60

Kind = Literal["action", "preview"]


class TooManyRequests(RateLimited):
    """429 `rate_limited`, with the seconds until the visitor's next window opens."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many requests; try again in {retry_after} seconds.", code="rate_limited"
        )
        self.retry_after = retry_after


def check_rate(
    store: SignInStore, settings: PortalSettings, kind: Kind, identity: str, now: float
) -> None:
    """Count one `kind` request of `identity` (an email or `cus_…`, already proven) in the
    current minute, against `action_rate_limit` or `preview_rate_limit`. `now` is UTC
    epoch seconds. Raises `TooManyRequests` past the limit, counting nothing then."""
    limit = settings.action_rate_limit if kind == "action" else settings.preview_rate_limit
    second = int(now)
    who = hashlib.sha256(identity.encode()).hexdigest()
    key = f"billflow:rate:{kind}:{who}:{second // MINUTE}"
    retry_after = MINUTE - second % MINUTE
    # Checked before counted, so a refusal uses up nothing; counted, then checked again,
    # so two requests at once cannot both take the last one.
    if store.count(key) >= limit:
        raise TooManyRequests(retry_after)
    if store.incr(key, MINUTE) > limit:
        raise TooManyRequests(retry_after)
