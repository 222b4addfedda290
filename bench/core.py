"""What the portal costs: Stripe requests and round trips of latency per page open (its
`/api/portal` and `/api/invoices` asked at once, cold and warm), Stripe requests per action
through `Portal.act` (refreshed state included), and the core's own time per load with
Stripe's excluded, against the project's performance targets (a warm page open 2 requests in
1 round trip, a cold one 4 in 2; an action its writes and at most one read; under 2 ms of
the core's own time, median).

    python bench/core.py [--loads 200] [--latency 0.005]

The sandbox answers after `--latency` seconds so Stripe time stands apart; the core's time is
the whole load minus the time spent inside gateway calls.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import requests

from billflow_core import user_hash
from billflow_core.billing.catalog import CatalogCache
from billflow_core.billing.state import load_state
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_core.stripe.gateway import StripeGateway
from billflow_core.web import PortalAPI, Request
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

_SECRET = "bench-secret-0123456789abcdef"


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
        ids = sandbox.seed("demo")
        gateway = TimedGateway(sandbox.secret_key, api_base=sandbox.url)
        cache = CatalogCache(gateway, settings)

        _page_opens(sandbox, settings)
        # A retention offer's terms are read with the catalog: one more request per
        # catalog refresh, none per warm load.
        offered = PortalSettings(retention_offer=RetentionOffer(ids["coupon"], ("too_expensive",)))
        offer_cache = CatalogCache(gateway, offered)
        counts = []
        for _ in range(2):
            sandbox.reset()
            sandbox.latency = args.latency
            load_state(gateway, offer_cache, offered, DEMO_EMAIL)
            counts.append(sum(sandbox.counts().values()))
        print(
            f"  with a retention offer: cold {counts[0]} (the coupon read with the catalog), "
            f"warm {counts[1]} (target <= 2)"
        )

        _action_costs(sandbox, ids)

    # Timed against a sandbox in its own process: one in this process would take the GIL
    # from the code being timed while it finishes each answer.
    with _separate_sandbox(args.latency) as (url, key):
        gateway = TimedGateway(key, api_base=url)
        cache = CatalogCache(gateway, settings)
        own: list[float] = []
        for _ in range(args.loads):
            gateway.stripe_seconds = 0.0
            started = time.perf_counter()
            load_state(gateway, cache, settings, DEMO_EMAIL)
            own.append(time.perf_counter() - started - gateway.stripe_seconds)
        _report("core's own time per load", own[1:], args)

        # The whole API request as a page makes it: hash check, state, JSON and the page's
        # HTML rendered in the customer's language.
        portal = Portal(settings, secret_key=_SECRET, stripe_api_key=key, gateway=gateway)
        api = PortalAPI(portal)
        request = Request(
            "GET",
            "/billflow/api/portal",
            {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(_SECRET, DEMO_EMAIL),
             "Accept-Language": "fr-FR,fr;q=0.9"},
        )  # fmt: skip
        served: list[float] = []
        for _ in range(args.loads):
            gateway.stripe_seconds = 0.0
            started = time.perf_counter()
            answer = api.handle(request)
            served.append(time.perf_counter() - started - gateway.stripe_seconds)
            assert answer.status == 200, answer.body[:200]
        _report("own time per GET /api/portal (rendering included)", served[1:], args)


@contextmanager
def _separate_sandbox(latency: float) -> Iterator[tuple[str, str]]:
    """`billflow sandbox --seed demo` in a child process: its address and secret key."""
    process = subprocess.Popen(
        [sys.executable, "-m", "billflow_core.cli", "sandbox", "--port", "0", "--seed", "demo"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        printed = ""
        for line in process.stdout:
            printed += line
            if line.startswith("Press Ctrl+C"):
                break
        url = re.search(r"listening on (\S+)", printed)
        key = re.search(r"secret key\s+(\S+)", printed)
        assert url and key, printed
        answer = requests.post(
            f"{url[1]}/_sandbox/latency",
            json={"seconds": latency},
            headers={"Authorization": f"Bearer {key[1]}"},
            timeout=10,
        )
        answer.raise_for_status()
        yield url[1], key[1]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _report(label: str, seconds: list[float], args: argparse.Namespace) -> None:
    median = statistics.median(seconds) * 1000
    p95 = statistics.quantiles(seconds, n=20)[18] * 1000
    print(
        f"{label} (Stripe excluded), {args.loads} runs with {args.latency * 1000:.0f} ms "
        f"sandbox latency: median {median:.3f} ms, p95 {p95:.3f} ms (target median < 2 ms)"
    )


def _page_opens(sandbox: Sandbox, settings: PortalSettings) -> None:
    """What opening the page costs: `/api/portal` and `/api/invoices`, asked at once as the
    page asks them, cold (the customer not yet known; the catalog, read once per five
    minutes, is warm) and warm. Round trips are measured: the open's wall time over the
    sandbox's latency per answer."""
    portal = Portal(settings, secret_key=_SECRET, stripe_api_key=sandbox.secret_key,
                    stripe_api_base=sandbox.url)  # fmt: skip
    portal.catalog.get()
    visitor = portal.visitor(DEMO_EMAIL, user_hash(_SECRET, DEMO_EMAIL))
    latency = 0.25
    for label, target in (("cold", "4 in 2"), ("warm", "2 in 1"), ("warm", "2 in 1")):
        sandbox.reset()
        sandbox.latency = latency
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as both:
            asked = [both.submit(portal.state, visitor), both.submit(portal.invoices, visitor)]
            for answer in asked:
                answer.result()
        trips = (time.perf_counter() - started) / latency
        counts = sandbox.counts()
        print(f"page open, {label}: {sum(counts.values())} Stripe requests in {trips:.2f} round "
              f"trips of {latency * 1000:.0f} ms (target {target}): "
              f"{dict(sorted(counts.items()))}")  # fmt: skip
    sandbox.latency = 0.0


def _action_costs(sandbox: Sandbox, ids: dict[str, Any]) -> None:
    """Stripe requests per action through `Portal.act`, the customer lookup and the
    refreshed state included, each on a warm catalog."""
    # The offer's own coupon: Stripe refuses a coupon a subscription already has, and the
    # steps below apply the promotion code's coupon first.
    offer = sandbox.client().v1.coupons.create(
        {"id": "BENCH_STAY", "percent_off": 50, "duration": "once"}
    )
    portal = Portal(
        PortalSettings(coupons=True, retention_offer=RetentionOffer(offer.id, ("too_expensive",))),
        secret_key=_SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )
    visitor = portal.visitor(DEMO_EMAIL, user_hash(_SECRET, DEMO_EMAIL))
    team, seats = ids["subscriptions"]
    client = sandbox.client()
    setup = client.v1.setup_intents.create(
        {"customer": ids["customer"], "payment_method": "pm_card_mastercard", "confirm": True}
    )
    steps: list[tuple[str, dict[str, Any]]] = [
        ("change_plan", {"subscription": team, "price": ids["prices"]["business_monthly"]}),
        ("change_quantity", {"subscription": seats, "quantity": 5}),
        ("apply_coupon (codes cold)", {"subscription": seats, "coupon": "WELCOME20"}),
        ("apply_coupon", {"subscription": team, "coupon": "welcome20"}),
        ("cancel", {"subscription": team, "reason": "other"}),
        ("undo_cancel", {"subscription": team}),
        ("accept_retention_offer", {"subscription": team, "reason": "too_expensive"}),
        ("setup_payment_method", {}),
        ("update_payment_method", {"payment_method": setup.payment_method}),
    ]
    portal.catalog.get()
    portal.state(visitor)  # the customer's id is known from the page's first load
    costs = {}
    for number, (name, payload) in enumerate(steps):
        sandbox.reset()
        portal.act(visitor, name.split()[0], payload, idempotency_key=f"bench-action-{number}")
        costs[name] = _cost(sandbox)
    portal.act(
        visitor, "cancel", {"subscription": team, "reason": "unused"}, idempotency_key="bench-end-1"
    )
    client.v1.subscriptions.cancel(team)
    sandbox.reset()
    portal.act(visitor, "resubscribe", {"subscription": team}, idempotency_key="bench-again-1")
    costs["resubscribe"] = _cost(sandbox)
    sandbox.reset()
    portal.preview(visitor, {"subscription": seats, "quantity": 6})
    costs["preview"] = _cost(sandbox)
    later = Portal(
        PortalSettings(downgrade_at_period_end=True),
        secret_key=_SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )
    later.catalog.get()
    later.state(visitor)
    for number, (name, action, payload) in enumerate(
        [
            ("downgrade at period end", "change_quantity", {"subscription": seats, "quantity": 2}),
            ("undo_downgrade", "undo_downgrade", {"subscription": seats}),
        ]
    ):
        sandbox.reset()
        later.act(visitor, action, payload, idempotency_key=f"bench-later-{number}")
        costs[name] = _cost(sandbox)
    now = Portal(
        PortalSettings(cancel_immediately=True),
        secret_key=_SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )
    now.catalog.get()
    now.state(visitor)
    sandbox.reset()
    now.act(
        visitor, "cancel", {"subscription": seats, "reason": "unused"}, idempotency_key="bench-now"
    )
    costs["cancel now (survey, then cancel)"] = _cost(sandbox)
    print(
        "Stripe requests per action, writes + reads (target: its writes + at most 1 read), "
        "the customer known: " + ", ".join(f"{name} {cost}" for name, cost in costs.items())
    )


def _cost(sandbox: Sandbox) -> str:
    """The requests the sandbox received since its last reset: writes + reads."""
    methods = [entry.method for entry in sandbox.requests]
    reads = methods.count("GET")
    return f"{len(methods) - reads}+{reads}"


if __name__ == "__main__":
    main()
