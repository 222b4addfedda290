"""The account's promotion codes, cached so applying a typed code needs no lookup.

Applying a code is then the action's only write on top of the two reads every action makes.
The cache is a shortcut, never the judge: a code it does not know is looked up in Stripe (it
may be minutes old), and Stripe refuses a cached code that stopped being redeemable since it
was read (that code alone is then dropped). `promotion_code.*` and `coupon.*` webhooks empty
it, in every app server that shares its version (`shared_cache.SharedVersion`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from ..shared_cache import SharedVersion

__all__ = ["PromotionCodeCache"]


class PromotionSource(Protocol):
    def active_promotion_codes(self, *, pages: int) -> tuple[list[Any], bool]: ...
    def promotion_code(self, code: str) -> Any | None: ...


class PromotionCodeCache:
    """Active promotion codes by code (case-insensitive, as Stripe matches them), read at
    most once per `ttl` seconds. An account with more than `pages` hundred codes (one-off
    codes per customer) keeps only those pages; the rest are looked up one by one."""

    def __init__(
        self,
        source: PromotionSource,
        *,
        ttl: float = 300.0,
        pages: int = 5,
        clock: Callable[[], float] = time.monotonic,
        version: SharedVersion | None = None,
    ) -> None:
        self._source = source
        self._version = version or SharedVersion(None, "")
        self._read_at_version: str | None = None
        self._ttl = ttl
        self._pages = pages
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, Any] | None = None
        self._fetched_at = 0.0

    def find(self, code: str) -> Any | None:
        """The active promotion code `code`, its coupon expanded; None when Stripe has none."""
        version = self._version.current()
        with self._lock:
            now = self._clock()
            if (
                self._codes is None
                or now - self._fetched_at >= self._ttl
                or version != self._read_at_version
            ):
                found, _ = self._source.active_promotion_codes(pages=self._pages)
                self._codes = {str(p.code).casefold(): p for p in found}
                self._fetched_at = now
                self._read_at_version = version
            cached = self._codes.get(code.casefold())
        return cached if cached is not None else self._source.promotion_code(code)

    def forget(self, code: str) -> None:
        """Drop one code Stripe no longer redeems; the others stay cached."""
        with self._lock:
            if self._codes is not None:
                self._codes.pop(code.casefold(), None)

    def invalidate(self) -> None:
        self._version.bump()
        with self._lock:
            self._codes = None
