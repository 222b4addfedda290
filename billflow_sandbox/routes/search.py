"""Search routes whose resource's `{id}` routes would otherwise match them first.

Routes match in registration order, and `/v1/subscriptions/{id}` would take `search` for an
id; this module is registered before every other, so `/v1/subscriptions/search` wins.
"""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from ..context import Context
from ..engine.listing import search
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


@ROUTES.route("GET", "/v1/subscriptions/search", sp.SubscriptionSearchParams)
def search_subscriptions(ctx: Context, params: JSON) -> JSON:
    """Every status, as Stripe searches (`status:'canceled'` narrows it)."""
    return search(
        ctx.state.all("subscription"),
        params["query"],
        "/v1/subscriptions/search",
        params,
        {"status": "status", "created": "created"},
    )
