"""`billflow sandbox`: serves the API, seeds the demo catalog, keeps state in a file."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import stripe

from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE

BILLFLOW = Path(sys.executable).parent / "billflow"


@contextmanager
def running(*args: str) -> Iterator[tuple[str, list[str]]]:
    """Start `billflow sandbox ARGS` on a free port; yields its address and what it printed."""
    process = subprocess.Popen(
        [str(BILLFLOW), "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl+C"):
                break
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", "\n".join(printed))
        assert found, "\n".join(printed)
        yield found[1], printed
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def _client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_billflow_sandbox", base_addresses={"api": url}, max_network_retries=0
    )


def test_demo_seed_serves_a_service_in_three_tiers_and_a_customer_with_history() -> None:
    with running("--seed", "demo") as (url, printed):
        v1 = _client(url).v1
        products = v1.products.list({"limit": 100}).data
        tiers = [p for p in products if p.metadata.to_dict().get("sb_service") == DEMO_SERVICE]
        assert sorted(p.name for p in tiers) == ["Business", "Starter", "Team"]
        seats = next(
            p for p in products if p.metadata.to_dict().get("sb_quantity_enabled") == "true"
        )
        assert seats.unit_label == "seat"
        prices = v1.prices.list({"limit": 100, "expand": ["data.product"]}).data
        tier_prices = [p for p in prices if p.product.id in {t.id for t in tiers}]
        assert sorted(p.recurring.interval for p in tier_prices) == ["month"] * 3 + ["year"] * 3
        assert v1.promotion_codes.list({"code": "WELCOME20"}).data[0].active

        (customer,) = v1.customers.list({"email": DEMO_EMAIL}).data
        invoices = v1.invoices.list({"customer": customer.id, "limit": 100}).data
        assert len(invoices) >= 24  # two subscriptions, a year of months
        assert {invoice.status for invoice in invoices} == {"paid"}
        assert any("client = stripe.StripeClient(" in line for line in printed)
        assert any(line.strip() == f"Stripe.js        {url}/v3/" for line in printed)


def test_state_file_keeps_objects_across_restarts_and_skips_the_seed(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    with running("--state", str(state)) as (url, _):
        created = _client(url).v1.customers.create({"email": "grace@example.com"})
    assert state.is_file()

    with running("--state", str(state), "--seed", "demo") as (url, printed):
        v1 = _client(url).v1
        assert v1.customers.retrieve(created.id).email == "grace@example.com"
        assert v1.customers.list({"email": DEMO_EMAIL}).data == []
        assert any("(loaded)" in line for line in printed)
        assert any("seed 'demo' skipped" in line for line in printed)


def test_a_port_in_use_is_a_plain_error() -> None:
    with running() as (url, _):
        port = url.rsplit(":", 1)[1]
        result = subprocess.run(
            [str(BILLFLOW), "sandbox", "--port", port],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
