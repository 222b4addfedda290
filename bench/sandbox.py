"""Requests per second the sandbox answers on this machine, through stripe-python.

    python bench/sandbox.py [--seconds 3]

Measures a customer retrieve and a subscription update (a quantity change with prorations,
the heaviest write a portal makes), each from one client for a fixed time, and prints the
rate and the median and 95th-percentile latency. Figures depend on the machine; compare runs
made on the same one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from billflow_sandbox import Sandbox


def _measure(name: str, seconds: float, call: Callable[[int], object]) -> None:
    for warmup in range(20):
        call(warmup)
    timings: list[float] = []
    deadline = time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        call(count)
        timings.append(time.perf_counter() - start)
        count += 1
    total = sum(timings)
    cut = statistics.quantiles(timings, n=20)
    median_ms, p95_ms = statistics.median(timings) * 1000, cut[18] * 1000
    print(
        f"{name:<24} {count / total:8.0f} req/s   median {median_ms:6.2f} ms"
        f"   p95 {p95_ms:6.2f} ms   ({count} requests)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    with Sandbox() as sandbox:
        ids = sandbox.seed("demo")
        client = sandbox.client(max_network_retries=0)
        subscription_id = ids["subscriptions"][1]  # the seat-based one
        item_id = client.v1.subscriptions.retrieve(subscription_id)["items"].data[0].id
        customer_id = ids["customer"]
        print(f"sandbox at {sandbox.url}, demo seed, one client, {args.seconds:.0f} s each")
        _measure(
            "customer retrieve", args.seconds, lambda _: client.v1.customers.retrieve(customer_id)
        )
        _measure(
            "subscription update",
            args.seconds,
            lambda n: client.v1.subscriptions.update(
                subscription_id, {"items": [{"id": item_id, "quantity": 2 + n % 5}]}
            ),
        )


if __name__ == "__main__":
    main()
