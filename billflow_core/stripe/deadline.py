"""How long a customer waits on Stripe: each request to Stripe is bounded by its own timeout
(`BILLFLOW_STRIPE_TIMEOUT`) and every request a page request makes, retries and the action
lock included, by one deadline (`BILLFLOW_STRIPE_DEADLINE`).

stripe-python retries a failed request with the same idempotency key, which is what makes a
lost answer safe to ask again; but with its defaults a slow Stripe keeps a customer waiting
for each timeout in turn. Here the portal opens a deadline around each page request
(`within`), and the HTTP client Stripe's client uses (`DeadlineHTTPClient`) gives each
attempt only the time left, never sleeps past the deadline before a retry, and gives up
once it has passed: the page then hears 503 `stripe_unavailable` and says so, and the same
intent sent again (same `Idempotency-Key`) finishes what was begun, writing nothing twice.

It also retries Stripe's 429 (rate limited) after the `Retry-After` Stripe names, or a short
backoff, which stripe-python leaves to the caller.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import stripe

__all__ = ["DEADLINE", "TIMEOUT", "DeadlineHTTPClient", "remaining", "within"]

TIMEOUT = 8.0  # seconds one attempt may take: Stripe answers most in well under one
DEADLINE = 12.0  # seconds a page request may spend on Stripe in all, retries included
_MIN_ATTEMPT = 0.05  # an attempt given less than this would fail for want of time alone
_MIN_WRITE = 1.0  # a write is begun only with this long left (or its whole timeout)
_MAX_RETRY_AFTER = 60.0  # the longest wait a `Retry-After` may ask for, outside a deadline

_deadline: ContextVar[float | None] = ContextVar("billflow_stripe_deadline", default=None)


@contextmanager
def within(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Bound every Stripe request made in the block (in this thread or task) to end within
    `seconds` from now; an outer deadline that ends sooner stays."""
    ends = clock() + seconds
    outer = _deadline.get()
    token = _deadline.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining(*, clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left before the current deadline; None outside of one."""
    ends = _deadline.get()
    return None if ends is None else ends - clock()


class DeadlineHTTPClient(stripe.RequestsClient):
    """stripe-python's requests-based client, bounded by the current deadline. `timeout`:
    seconds per attempt; `retry_delay`: the first backoff before a retry (doubling, with
    jitter), as stripe-python's own but shorter where a test needs it."""

    def __init__(
        self,
        *,
        timeout: float = TIMEOUT,
        retry_delay: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._attempt_timeout = timeout
        super().__init__(timeout=timeout)
        self._retry_delay = retry_delay
        self._clock = clock
        self._waits = threading.local()

    # stripe.RequestsClient passes `self._timeout` to each request it sends.
    @property
    def _timeout(self) -> float:
        left = remaining(clock=self._clock)
        if left is None:
            return self._attempt_timeout
        return max(_MIN_ATTEMPT, min(self._attempt_timeout, left))

    @_timeout.setter
    def _timeout(self, seconds: Any) -> None:
        self._attempt_timeout = float(seconds)

    def request(  # type: ignore[override]  # RequestsClient's own signature
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        left = remaining(clock=self._clock)
        # A write begun with too little time left would likely be applied with its answer
        # lost: better not to send it and say so now.
        floor = min(_MIN_WRITE, self._attempt_timeout) if method.lower() != "get" else _MIN_ATTEMPT
        if left is not None and left < floor:
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
                "The page's time for Stripe ran out before this request: timed out",
                should_retry=False,
            )
        return super().request(method, url, headers, post_data)

    def _should_retry(
        self,
        response: tuple[Any, int, Mapping[str, str] | None] | None,
        api_connection_error: stripe.APIConnectionError | None,
        num_retries: int,
        max_network_retries: int | None,
    ) -> bool:
        limited = response is not None and response[1] == 429
        said = response[2] if response is not None else None
        if limited and said is not None and said.get("Stripe-Should-Retry") == "false":
            return False
        if not limited and not super()._should_retry(
            response, api_connection_error, num_retries, max_network_retries
        ):
            return False
        if limited and num_retries >= (max_network_retries or 0):
            return False
        wait = self._backoff(num_retries + 1, response)
        left = remaining(clock=self._clock)
        if left is not None and wait + _MIN_ATTEMPT > left:
            return False  # no time for another attempt: say so now rather than at the end
        self._waits.next = wait
        return True

    def _sleep_time_seconds(self, num_retries: int) -> float:
        wait: float | None = getattr(self._waits, "next", None)
        self._waits.next = None
        return wait if wait is not None else self._backoff(num_retries, None)

    def _backoff(self, attempt: int, response: tuple[Any, int, Any] | None) -> float:
        """Stripe's `Retry-After` where it names one, else a doubling delay with jitter."""
        headers = response[2] if response is not None else None
        named = headers.get("Retry-After") if headers is not None else None
        try:
            if named is not None and math.isfinite(float(named)):
                return min(_MAX_RETRY_AFTER, max(0.0, float(named)))
        except ValueError:
            pass
        base: float = min(self._retry_delay * 2.0 ** (attempt - 1), 5.0)
        return base * (0.5 + random.random() / 2)
