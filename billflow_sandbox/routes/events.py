"""Events and webhook endpoints: what happened, and where Stripe sends it."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.listing import created_filter, merge_metadata, page
from ..errors import invalid
from ..routing import Routes
from ..state import random_token

JSON = dict[str, Any]
ROUTES = Routes()


@ROUTES.route("GET", "/v1/events/{id}", sp.EventRetrieveParams)
def retrieve_event(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("event", ctx.args["id"])


@ROUTES.route("GET", "/v1/events", sp.EventListParams)
def list_events(ctx: Context, params: JSON) -> JSON:
    keep = created_filter(params)
    types = params.get("types") or ([params["type"]] if params.get("type") else None)

    def type_matches(event_type: str) -> bool:
        if types is None:
            return True
        return any(
            event_type == t or (t.endswith(".*") and event_type.startswith(t[:-1])) for t in types
        )

    found = [e for e in ctx.state.all("event") if keep(e) and type_matches(e["type"])]
    return page(found, params, "/v1/events")


@ROUTES.route("POST", "/v1/webhook_endpoints", sp.WebhookEndpointCreateParams)
def create_webhook_endpoint(ctx: Context, params: JSON) -> JSON:
    url = _check_url(params["url"])
    enabled_events = _check_enabled_events(params["enabled_events"])
    endpoint_id = ctx.state.new_id("webhook_endpoint")
    secret = "whsec_" + random_token(32)
    endpoint = shapes.webhook_endpoint(
        id=endpoint_id,
        created=ctx.now(),
        url=url,
        enabled_events=enabled_events,
        description=params.get("description") or None,
        metadata=merge_metadata({}, params.get("metadata", {})),
        api_version=params.get("api_version"),
    )
    ctx.state.put(endpoint)
    ctx.state.secret(endpoint_id)["secret"] = secret
    # Stripe shows the signing secret once, in the answer to the create call.
    return {**endpoint, "secret": secret}


def _check_url(url: str) -> str:
    # Deliveries go to this URL: anything but http(s) could never be delivered.
    if not url or not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must be an http or https URL.", param="url")
    return url


def _check_enabled_events(enabled: list[str]) -> list[str]:
    if not enabled:
        raise invalid(
            "enabled_events must list at least one event type (or '*').", param="enabled_events"
        )
    return enabled


@ROUTES.route("GET", "/v1/webhook_endpoints/{id}", sp.WebhookEndpointRetrieveParams)
def retrieve_webhook_endpoint(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("webhook_endpoint", ctx.args["id"])


@ROUTES.route("POST", "/v1/webhook_endpoints/{id}", sp.WebhookEndpointUpdateParams)
def update_webhook_endpoint(ctx: Context, params: JSON) -> JSON:
    endpoint = ctx.state.get("webhook_endpoint", ctx.args["id"])
    # Every check before the first write: a refused update leaves the endpoint as it was.
    if "url" in params:
        _check_url(params["url"])
    if "enabled_events" in params:
        _check_enabled_events(params["enabled_events"])
    metadata = (
        merge_metadata(endpoint["metadata"], params["metadata"]) if "metadata" in params else None
    )
    for field in ("url", "enabled_events"):
        if field in params:
            endpoint[field] = params[field]
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    if metadata is not None:
        endpoint["metadata"] = metadata
    return endpoint


@ROUTES.route("DELETE", "/v1/webhook_endpoints/{id}", sp.WebhookEndpointDeleteParams)
def delete_webhook_endpoint(ctx: Context, params: JSON) -> JSON:
    endpoint = ctx.state.delete("webhook_endpoint", ctx.args["id"])
    return shapes.deleted(object="webhook_endpoint", id=endpoint["id"])


@ROUTES.route("GET", "/v1/webhook_endpoints", sp.WebhookEndpointListParams)
def list_webhook_endpoints(ctx: Context, params: JSON) -> JSON:
    return page(ctx.state.all("webhook_endpoint"), params, "/v1/webhook_endpoints")
