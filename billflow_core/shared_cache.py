"""What every app server of one site must see alike, and may lose without harm: which Stripe
customer an identity names, which version of the plan catalog is current, and who holds an
account's action lock.

A host running several processes gives the portal one cache they share (the Flask extension
a Redis one with `BILLFLOW_REDIS_URL`, the Wagtail plugin Django's cache); the default lives
in the process. Values are short strings, never pickles: anyone who can write to the cache
can at most make a page ask Stripe again or wait for a lock, since every value read from it
is signed by the site (customer ids), checked against Stripe (the customer a page shows) or
only compared (a version, the lock's own token) before it is trusted.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

__all__ = ["MemoryCache", "SharedCache", "SharedVersion"]

log = logging.getLogger(__name__)


class SharedCache(Protocol):
    """A cache of short strings with expiry. `add` must be atomic: the action lock is one
    `add` that only one caller can win."""

    def get(self, key: str) -> str | None:
        """The value under `key`, or None when there is none (or it expired)."""
        ...

    def set(self, key: str, value: str, ttl: float) -> None:
        """Keep `value` under `key` for `ttl` seconds."""
        ...

    def add(self, key: str, value: str, ttl: float) -> bool:
        """Keep `value` under `key` for `ttl` seconds unless the key is set: whether it was."""
        ...

    def delete(self, key: str, value: str | None = None) -> None:
        """Forget `key`; with `value`, only while it still holds that value (a lock's
        holder releases its own lock, never one taken after its own expired)."""
        ...


class MemoryCache:
    """The cache of one process: at most `size` keys, the oldest dropped first."""

    def __init__(self, *, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._values: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def _live(self, key: str) -> str | None:
        found = self._values.get(key)
        if found is None:
            return None
        if found[0] <= self._clock():
            del self._values[key]
            return None
        return found[1]

    def _keep(self, key: str, value: str, ttl: float) -> None:
        self._values[key] = (self._clock() + ttl, value)
        self._values.move_to_end(key)
        while len(self._values) > self._size:
            self._values.popitem(last=False)

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            self._keep(key, value, ttl)

    def add(self, key: str, value: str, ttl: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._keep(key, value, ttl)
            return True

    def delete(self, key: str, value: str | None = None) -> None:
        with self._lock:
            if value is None or self._live(key) == value:
                self._values.pop(key, None)


class SharedVersion:
    """A version every process of the site reads before it uses what it keeps in memory
    (the plan catalog): `bump()` in the process a webhook reaches makes every other
    process see a new `current()` on its next read, and build its copy again.

    One cache read per use, so a refresh reaches every server at once instead of after its
    own time-to-live. A cache that cannot be read answers the version last seen: the
    copies in memory stay in use until their time-to-live, as without a shared cache."""

    def __init__(self, cache: SharedCache | None, key: str, *, ttl: float = 7 * 86400.0):
        self._cache = cache
        self._key = key
        self._ttl = ttl
        self._last: str | None = None

    def current(self) -> str | None:
        if self._cache is None:
            return None
        try:
            self._last = self._cache.get(self._key)
        except Exception:
            log.warning("the shared cache could not be read; %s is as last seen", self._key)
        return self._last

    def bump(self) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(self._key, secrets.token_hex(8), self._ttl)
        except Exception:
            log.warning("the shared cache could not be written: other app servers see the "
                        "change to %s when their copy expires", self._key)  # fmt: skip
