"""The pauses Billflow started on a subscription, remembered in its own metadata so that
the site's yearly allowance holds whichever process, or whichever day, is asked.

Stripe keeps no history of `pause_collection`: once a pause is lifted nothing on the
subscription says it happened. Billflow therefore writes, with each pause, the times of the
pauses it started in the last 365 days (`PAUSES_KEY`, epoch seconds, comma-separated); older
ones drop out as the window rolls, so the value stays far below Stripe's 500 characters.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PAUSES_KEY", "YEAR", "pauses_in_year", "with_pause"]

PAUSES_KEY = "billflow_pauses"
YEAR = 365 * 86400


def pauses_in_year(subscription: Any, now: int) -> list[int]:
    """When the pauses Billflow started in the 365 days before `now` began (UTC epoch
    seconds). Entries that are not times (edited by hand) are ignored."""
    metadata = subscription.metadata
    raw = metadata[PAUSES_KEY] if metadata and PAUSES_KEY in metadata else ""
    started = [int(part) for part in str(raw).split(",") if part.strip().isdigit()]
    return [at for at in started if now - YEAR < at <= now]


def with_pause(recent: list[int], now: int) -> str:
    """The metadata value once a pause starts at `now`."""
    return ",".join(str(at) for at in [*recent, now])
