"""Billing periods and Stripe's time-based proration arithmetic."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta


def add_interval(start: int, interval: str, count: int = 1, *, anchor: int | None = None) -> int:
    """`start` moved on by `count` intervals, in UTC.

    Months and years keep the anchor's day of the month, clamped to the month's last day, as
    Stripe bills: a subscription anchored on the 31st renews on Feb 28 and then Mar 31.
    """
    moment = datetime.fromtimestamp(start, UTC)
    if interval == "day":
        return int((moment + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((moment + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    if interval not in ("month", "year"):
        raise ValueError(f"unknown interval {interval!r}")
    day = datetime.fromtimestamp(anchor, UTC).day if anchor is not None else moment.day
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def prorated(amount: int, period_start: int, period_end: int, at: int) -> int:
    """The part of `amount` (minor units) for the time left in the period at `at`, to the
    second, rounded to the nearest unit — the figure Stripe puts on proration lines."""
    length = period_end - period_start
    if length <= 0:
        return 0
    remaining = min(max(period_end - at, 0), length)
    return round(amount * remaining / length)
