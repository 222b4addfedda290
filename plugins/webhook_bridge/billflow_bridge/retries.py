"""When a failed delivery is tried again: the configured delays with jitter, never sooner
than a target's `Retry-After`, and never again after the last delay."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["MAX_RETRY_AFTER", "RetrySchedule", "retry_after_seconds"]

# A target asking for more than a day is not followed further: the schedule goes on.
MAX_RETRY_AFTER = 86400.0


@dataclass(frozen=True)
class RetrySchedule:
    """`delays[n]`: seconds after the (n+1)th failed attempt before the next. `jitter`: the
    fraction each delay may move either way, so many deliveries failing together (a target
    that was down) do not all come back at the same second. `random` is injectable so tests
    know the exact times."""

    delays: Sequence[float]
    jitter: float = 0.1
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay_after(self, failed_attempts: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after `failed_attempts` failures, or None when none is left."""
        if failed_attempts > len(self.delays):
            return None
        base = self.delays[failed_attempts - 1]
        delay = base * (1 + self.jitter * (2 * self.random() - 1))
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return max(delay, 0.0)


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
