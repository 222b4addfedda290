"""What the portal costs: Stripe requests per load (catalog cached and cold) and per action
through `Portal.act` (refreshed state included), and the core's own time per load with
Stripe's excluded, against the project's performance targets (a load at most 2 requests
warm, 3 cold; an action at most 3; under 2 ms of the core's own time, median).

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

        sandbox.reset()
        sandbox.latency = args.latency
        load_state(gateway, cache, settings, DEMO_EMAIL)
        cold = sum(sandbox.counts().values())
        sandbox.reset()
        sandbox.latency = args.latency
        load_state(gateway, cache, settings, DEMO_EMAIL)
        warm = sum(sandbox.counts().values())
        print(
            f"Stripe requests per portal load: cold {cold} (target <= 3), warm {warm} (target <= 2)"
        )
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
    costs = {}
    for number, (name, payload) in enumerate(steps):
        sandbox.reset()
        portal.act(visitor, name.split()[0], payload, idempotency_key=f"bench-action-{number}")
        costs[name] = sum(sandbox.counts().values())
    portal.act(
        visitor, "cancel", {"subscription": team, "reason": "unused"}, idempotency_key="bench-end-1"
    )
    client.v1.subscriptions.cancel(team)
    sandbox.reset()
    portal.act(visitor, "resubscribe", {"subscription": team}, idempotency_key="bench-again-1")
    costs["resubscribe"] = sum(sandbox.counts().values())
    sandbox.reset()
    portal.preview(visitor, {"subscription": seats, "quantity": 6})
    costs["preview"] = sum(sandbox.counts().values())
    later = Portal(
        PortalSettings(downgrade_at_period_end=True),
        secret_key=_SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )
    later.catalog.get()
    for number, (name, action, payload) in enumerate(
        [
            ("downgrade at period end", "change_quantity", {"subscription": seats, "quantity": 2}),
            ("undo_downgrade", "undo_downgrade", {"subscription": seats}),
        ]
    ):
        sandbox.reset()
        later.act(visitor, action, payload, idempotency_key=f"bench-later-{number}")
        costs[name] = sum(sandbox.counts().values())
    now = Portal(
        PortalSettings(cancel_immediately=True),
        secret_key=_SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )
    now.catalog.get()
    sandbox.reset()
    now.act(
        visitor, "cancel", {"subscription": seats, "reason": "unused"}, idempotency_key="bench-now"
    )
    costs["cancel now (survey, then cancel)"] = sum(sandbox.counts().values())
    print(
        "Stripe requests per action (target <= 3): "
        + ", ".join(f"{name} {count}" for name, count in costs.items())
    )


if __name__ == "__main__":
    main()
