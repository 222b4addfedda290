"""One action at a time per customer, across every app server of the site.

Two tabs, or two servers behind a load balancer, can each read a subscription, each decide
an action is allowed ("not cancelled yet"), and each write. Stripe's idempotency keys stop
a retried intent from writing twice, but two intents made apart (two clicks in two tabs)
carry two keys. So an action holds a short lock on its identity, in the site's shared
cache, from before its answer is looked up until it is kept: the second request waits,
then finds the first one's answer (same key) or reads what the first one wrote and decides
again (another key), as if the two had come one after the other.

The lock is one atomic `add` with a random token, released only by its holder; it expires
by itself after `hold` seconds, so a server that dies holding it blocks that one customer's
actions for that long at most. A request that cannot have it within `wait` seconds (the
portal gives half of what is left of the page request's Stripe deadline) is a 409
`action_in_progress`, which the page shows and the customer retries.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..encoding import digest
from ..errors import Conflict
from ..shared_cache import SharedCache

__all__ = ["HOLD", "WAIT", "account_lock"]

log = logging.getLogger(__name__)

HOLD = 60.0  # seconds: longer than an action may take, Stripe's retries included
WAIT = 15.0  # seconds a second action waits for the first


@contextmanager
def account_lock(
    cache: SharedCache,
    identity: str,
    *,
    scope: str = "",
    hold: float = HOLD,
    wait: float = WAIT,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the action lock of `identity` (within the portal's `scope`) for the block.
    Raises `Conflict` (`action_in_progress`) when another holds it past `wait`."""
    key = "billflow:action-lock:" + digest(scope, identity)
    token = secrets.token_hex(16)
    give_up = clock() + wait
    pause = 0.005
    while not cache.add(key, token, hold):
        if clock() >= give_up:
            raise Conflict(
                "Another change to this account is still being made; try again in a moment.",
                code="action_in_progress",
            )
        sleep(pause)
        pause = min(pause * 2, 0.1)
    try:
        yield
    finally:
        try:
            cache.delete(key, token)
        except Exception:  # the action is done; the lock expires by itself after `hold`
            log.warning("the action lock could not be released; it expires in %.0f s", hold)
