"""Builders for the sandbox's own plumbing: events, webhook endpoints and test clocks."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .common import JSON, copy_metadata


def event(
    *,
    id: str,
    created: int,
    type: str,
    data_object: Mapping[str, Any],
    previous_attributes: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    idempotency_key: str | None = None,
    api_version: str | None,
    pending_webhooks: int = 0,
) -> JSON:
    """An event. `data.object` is a deep snapshot, so later changes to the resource don't
    rewrite history; `data.previous_attributes` appears only on `*.updated` style events."""
    data: JSON = {"object": copy.deepcopy(dict(data_object))}
    if previous_attributes is not None:
        data["previous_attributes"] = copy.deepcopy(dict(previous_attributes))
    return {
        "id": id,
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": type,
    }


def webhook_endpoint(
    *,
    id: str,
    created: int,
    url: str,
    enabled_events: list[str],
    secret: str | None = None,
    description: str | None = None,
    metadata: Mapping[str, str] | None = None,
    api_version: str | None = None,
    status: str = "enabled",
) -> JSON:
    """A webhook endpoint. Stripe reveals `secret` only in the create response, so the key is
    present only when a secret is passed."""
    endpoint: JSON = {
        "id": id,
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": list(enabled_events),
        "livemode": False,
        "metadata": copy_metadata(metadata),
        "status": status,
        "url": url,
    }
    if secret is not None:
        endpoint["secret"] = secret
    return endpoint


def test_clock(
    *,
    id: str,
    created: int,
    frozen_time: int,
    name: str | None = None,
    deletes_after: int,
    status: str = "ready",
    advancing_to: int | None = None,
) -> JSON:
    """A test clock. While `status` is "advancing", `advancing_to` is the target time Stripe
    reports under `status_details.advancing`."""
    status_details: JSON = {}
    if status == "advancing" and advancing_to is not None:
        status_details["advancing"] = {"target_frozen_time": advancing_to}
    return {
        "id": id,
        "object": "test_helpers.test_clock",
        "created": created,
        "deletes_after": deletes_after,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": status,
        "status_details": status_details,
    }
