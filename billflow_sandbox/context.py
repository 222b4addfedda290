"""What a handler works with: the state, the request's path arguments, and the events the
request will publish once it has succeeded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .api_objects import render
from .state import State

JSON = dict[str, Any]


@dataclass
class PendingEvent:
    type: str
    object: JSON
    previous_attributes: JSON | None


@dataclass
class Context:
    state: State
    args: dict[str, str]
    base_url: str
    request_id: str = ""
    idempotency_key: str | None = None
    publishable: bool = False
    events: list[PendingEvent] = field(default_factory=list)

    def emit(self, type: str, obj: JSON, previous_attributes: JSON | None = None) -> None:
        """Queue an event; it is recorded and delivered only if the request succeeds.

        The object is rendered now: a request that creates then changes an object publishes
        two events, each showing the object as it was at that step."""
        self.events.append(PendingEvent(type, render(self.state, obj), previous_attributes))

    def now(self, customer: str | None = None) -> int:
        return self.state.now(customer)
