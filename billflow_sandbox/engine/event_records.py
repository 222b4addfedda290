"""Events as the sandbox stores them, and which webhook endpoints each one goes to."""

from __future__ import annotations

from typing import Any

from .. import shapes
from ..context import PendingEvent
from ..state import API_VERSION, State

JSON = dict[str, Any]


def record_event(
    state: State, pending: PendingEvent, request_id: str, idempotency_key: str | None
) -> JSON:
    """Store an event and count the endpoints it will go to; returns the stored event."""
    endpoints = [e for e in state.all("webhook_endpoint") if wants(e, pending.type)]
    event = shapes.event(
        id=state.new_id("event"),
        created=state.now(),
        type=pending.type,
        data_object=pending.object,
        previous_attributes=pending.previous_attributes,
        request_id=request_id or None,
        idempotency_key=idempotency_key,
        api_version=API_VERSION,
        pending_webhooks=len(endpoints),
    )
    state.put(event)
    return event


def wants(endpoint: JSON, event_type: str) -> bool:
    if endpoint["status"] != "enabled":
        return False
    enabled = endpoint["enabled_events"]
    return "*" in enabled or event_type in enabled
