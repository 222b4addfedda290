"""What the admin page shows of where events go: each configured target and each REST hook
with what the bridge learned of its URL (failing since, switched off and why), how many of
its deliveries wait and when it last took one.

URLs are shown by host only (a hook's or a Make scenario's URL is its only secret). Forms
name a hook by its id and a target by a keyed digest of its URL, so no secret URL is in
the page or in an access log, and no digest can be checked against a guessed URL.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal, NamedTuple

from sqlalchemy import case, func, select

from .._state import BridgeState
from ..config import shown_url as _shown
from ..samples import event_types
from ..schema import deliveries, targets

__all__ = ["Receiver", "receivers", "reference", "shown_url"]

State = Literal["active", "failing", "disabled"]


@dataclass(frozen=True)
class Receiver:
    """A configured target or a REST hook, as the page shows it."""

    kind: Literal["target", "hook"]
    url: str
    label: str
    events: tuple[str, ...]  # what it takes; empty: every event
    sample_events: tuple[str, ...]  # what "send a sample" offers
    waiting: int
    last_delivered_at: float | None
    failing_since: float | None
    disabled_at: float | None
    disabled_reason: str | None
    ref: str = ""  # what the page's forms call it
    subscribed_at: float | None = None

    @property
    def state(self) -> State:
        if self.disabled_at is not None:
            return "disabled"
        return "failing" if self.failing_since is not None else "active"


def reference(state: BridgeState, url: str) -> str:
    """What the page's forms call the configured target at `url`."""
    key = (state.config.admin_key or "").encode()
    return "t_" + hmac.new(key, url.encode(), hashlib.sha256).hexdigest()[:24]


def shown_url(url: str) -> str:
    """`url` as the page shows it: its host (in ASCII) and an ellipsis for any path."""
    return _shown(url, scheme=False)


def receivers(state: BridgeState) -> list[Receiver]:
    """The configured targets in their order, then the hooks, oldest first."""
    hooks = state.hooks.all()
    urls = [target.url for target in state.config.targets] + [h["target_url"] for h in hooks]
    known = _what_is_known(state, urls)
    offered = event_types(state.config.stripe_events)
    found = [
        Receiver(
            "target",
            target.url,
            target.name or shown_url(target.url),
            tuple(sorted(target.events)),
            tuple(event for event in offered if target.wants(event)),
            *known.get(target.url, _Learned()),
            ref=reference(state, target.url),
        )
        for target in state.config.targets
    ]
    found += [
        Receiver(
            "hook",
            hook["target_url"],
            shown_url(hook["target_url"]),
            (hook["event"],),
            (hook["event"],),
            *known.get(hook["target_url"], _Learned()),
            ref=hook["id"],
            subscribed_at=hook["created_at"],
        )
        for hook in hooks
    ]
    return found


class _Learned(NamedTuple):
    """What the database holds of one URL, in `Receiver`'s order."""

    waiting: int = 0
    last_delivered_at: float | None = None
    failing_since: float | None = None
    disabled_at: float | None = None
    disabled_reason: str | None = None


def _what_is_known(state: BridgeState, urls: list[str]) -> dict[str, _Learned]:
    if not urls:
        return {}
    waiting = func.sum(case((deliveries.c.status == "pending", 1), else_=0))
    by_target = (
        select(deliveries.c.target, waiting.label("waiting"),
               func.max(deliveries.c.delivered_at).label("last_delivered_at"))
        .where(deliveries.c.target.in_(urls))
        .group_by(deliveries.c.target)
    )  # fmt: skip
    with state.engine.connect() as connection:
        counted = {row.target: row for row in connection.execute(by_target)}
        learned = {row.url: row for row in connection.execute(
            select(targets).where(targets.c.url.in_(urls)))}  # fmt: skip
    known = {}
    for url in urls:
        count, row = counted.get(url), learned.get(url)
        known[url] = _Learned(
            int(count.waiting or 0) if count is not None else 0,
            count.last_delivered_at if count is not None else None,
            row.failing_since if row is not None else None,
            row.disabled_at if row is not None else None,
            row.disabled_reason if row is not None else None,
        )
    return known
