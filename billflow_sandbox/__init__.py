"""A stateful, Stripe-compatible HTTP sandbox for offline tests, demos and benchmarks.

stripe-python talks to it as it talks to Stripe::

    from billflow_sandbox import Sandbox

    with Sandbox() as sb:
        client = sb.client()          # a stripe.StripeClient pointed at the sandbox
        sb.seed("demo")               # a catalog to work with
        sb.fault("POST /v1/subscriptions/*", "500")   # the next matching request fails

It is a test double: Billflow's runtime path never imports it.
"""

from __future__ import annotations

from .controls import LoggedRequest
from .errors import StripeError
from .server import Sandbox
from .webhooks import sign

__all__ = ["LoggedRequest", "Sandbox", "StripeError", "sign"]
