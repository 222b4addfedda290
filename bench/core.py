"""What a portal load costs: Stripe requests (catalog cached and cold) and the core's own
time with Stripe's excluded, against DESIGN.md's targets (at most 2 requests warm, 3 cold;
under 2 ms of the core's own time, median).

    python bench/core.py [--loads 200] [--latency 0.005]

The sandbox answers after `--latency` seconds so Stripe time stands apart; the core's time is
the whole load minus the time spent inside gateway calls.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from billflow_core.catalog import CatalogCache
from billflow_core.gateway import StripeGateway
from billflow_core.sandbox import Sandbox
from billflow_core.sandbox.seed import DEMO_EMAIL
from billflow_core.settings import PortalSettings
from billflow_core.state import load_state


class TimedGateway(StripeGateway):
    """The real gateway, adding up the time its calls take."""

    stripe_seconds = 0.0

    def _call(self, request: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return super()._call(request, *args)
        finally:
            self.stripe_seconds += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.005, help="sandbox seconds per answer")
    args = parser.parse_args()
    settings = PortalSettings()
    with Sandbox() as sandbox:
        sandbox.seed("demo")
        gateway = TimedGateway(sandbox.secret_key, api_base=sandbox.url)
        cache = CatalogCache(gateway, settings)

        sandbox.reset()
        sandbox.latency = args.latency
        load_state(gateway, cache, settings, DEMO_EMAIL)
        cold = sum(sandbox.counts().values())
        sandbox.reset()
        sandbox.latency = args.latency
        load_state(gateway, cache, settings, DEMO_EMAIL)
        warm = sum(sandbox.counts().values())
        print(f"Stripe requests per portal load: cold {cold} (target <= 3), "
              f"warm {warm} (target <= 2)")  # fmt: skip

        own: list[float] = []
        for _ in range(args.loads):
            gateway.stripe_seconds = 0.0
            started = time.perf_counter()
            load_state(gateway, cache, settings, DEMO_EMAIL)
            own.append(time.perf_counter() - started - gateway.stripe_seconds)
        median = statistics.median(own) * 1000
        p95 = statistics.quantiles(own, n=20)[18] * 1000
        print(f"core's own time per load (Stripe excluded), {args.loads} loads with "
              f"{args.latency * 1000:.0f} ms sandbox latency: median {median:.3f} ms, "
              f"p95 {p95:.3f} ms (target median < 2 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
