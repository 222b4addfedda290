"""The outbox: each event kept in the bridge's database, with one delivery per target that
wants it, in one transaction, before the portal answers the page (or, for a relayed Stripe
event, before Stripe's delivery is answered: a failure makes Stripe send it again).

An event id is kept once: the same intent recorded again (a retry that ran again, another
bridge process) adds nothing, so receivers get one event per intent from the outbox, and
the `webhook-id` they deduplicate on covers the rare attempt sent twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from billflow_core import PortalEvent

from .config import Target
from .schema import deliveries, events, hooks

__all__ = ["Outbox", "body_of"]

log = logging.getLogger(__name__)


def body_of(payload: Mapping[str, Any]) -> str:
    """The exact text every attempt sends: compact JSON, kept as written so a signature is
    over the bytes the receiver gets."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class Outbox:
    """Keeps events for `targets` and for the REST hooks subscribed to their type.
    `on_recorded` is called after each new event is committed (an in-process worker wakes
    on it)."""

    def __init__(
        self,
        engine: Engine,
        targets: Sequence[Target],
        *,
        clock: Callable[[], float] = time.time,
        on_recorded: Callable[[], None] | None = None,
        stripe_events: frozenset[str] = frozenset(),
    ) -> None:
        """`stripe_events`: the Stripe event types kept (as `stripe.<type>`); the
        portal announces every checked Stripe event, and the rest are let go."""
        self.engine = engine
        self.targets = tuple(targets)
        self.stripe_events = stripe_events
        self.clock = clock
        self.on_recorded = on_recorded

    def record(self, event: PortalEvent) -> None:
        """Keep a portal event (`Portal.on_event` calls this)."""
        if event.type.startswith("stripe.") and event.type[7:] not in self.stripe_events:
            return
        self.add(event.id, event.type, event.payload())

    def add(
        self,
        event_id: str,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        to: Sequence[str] | None = None,
    ) -> bool:
        """Keep an event and its deliveries; False when the id was kept already. `to`: these
        URLs only, whatever they subscribe to (a sample the admin sends one target)."""
        now = self.clock()
        if to is not None:
            wanted = list(dict.fromkeys(to))
        else:
            wanted = [target.url for target in self.targets if target.wants(event_type)]
        try:
            with self.engine.begin() as connection:
                seen = connection.execute(select(events.c.id).where(events.c.id == event_id))
                if seen.first() is not None:
                    return False
                if to is None:
                    subscribed = connection.execute(
                        select(hooks.c.target_url).where(hooks.c.event == event_type).distinct()
                    ).scalars()
                    wanted += [url for url in subscribed if url not in wanted]
                connection.execute(
                    insert(events).values(
                        id=event_id, type=event_type, body=body_of(payload), created_at=now
                    )
                )
                if wanted:
                    connection.execute(
                        insert(deliveries),
                        [
                            {"event_id": event_id, "target": url, "status": "pending",
                             "attempts": 0, "next_attempt_at": now, "created_at": now}
                            for url in wanted
                        ],
                    )  # fmt: skip
        except IntegrityError:  # another process kept it between our check and insert
            return False
        log.debug("kept %s %s for %d target(s)", event_type, event_id, len(wanted))
        if self.on_recorded is not None:
            self.on_recorded()
        return True
