"""A stateful, Stripe-compatible HTTP sandbox for offline tests, demos and benchmarks.

stripe-python talks to it as it talks to Stripe::

    from billflow_sandbox import Sandbox

    with Sandbox() as sb:
        client = sb.client()          # a stripe.StripeClient pointed at the sandbox
        sb.seed("demo")               # a catalog to work with
        sb.fault("POST /v1/subscriptions/*", "500")   # the next matching request fails

It is a test double: Billflow's runtime path never imports it, and it imports nothing of
`billflow_core`. The names below load on first use, so that importing a part of the package
(the `billflow sandbox` command, the pytest plugin) does not start loading the server.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .controls import LoggedRequest
    from .errors import StripeError
    from .server import Sandbox
    from .webhooks import sign

__all__ = ["LoggedRequest", "Sandbox", "StripeError", "sign"]

# Each public name and the module it comes from.
_HOMES = {
    "LoggedRequest": ".controls",
    "Sandbox": ".server",
    "StripeError": ".errors",
    "sign": ".webhooks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
