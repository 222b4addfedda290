"""`billflow demo`: the sandbox and a sample site with the portal embedded, from one command;
live Stripe keys refused."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

BILLFLOW = Path(sys.executable).parent / "billflow"


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_"))}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@contextmanager
def demo() -> Iterator[tuple[str, str]]:
    """The demo's address and what it printed on starting."""
    process = subprocess.Popen(
        [str(BILLFLOW), "demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_environment(),
    )
    assert process.stdout is not None
    printed = []
    try:
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        found = re.search(r"open (http://127\.0\.0\.1:\d+)/", "".join(printed))
        assert found, "".join(printed)
        yield found[1], "".join(printed)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_the_demo_site_embeds_a_working_portal_for_its_customer() -> None:
    with demo() as (url, _):
        page = requests.get(url + "/", timeout=10)
        assert page.status_code == 200
        found = re.search(r"data-billflow-settings>(.*?)</script>", page.text)
        assert found, page.text
        settings = json.loads(found[1])
        assert settings["email"] == "ada@example.com"
        headers = {"X-Billflow-Page": settings["page"]}
        portal = requests.get(f"{url}/billflow/api/portal", headers=headers, timeout=10).json()
        subscriptions = portal["billingData"]["subscriptions"]
        assert len(subscriptions) == 2 and portal["currentConfig"]["coupons"] is True
        seats = next(s for s in subscriptions if s["unit_label"])
        changed = requests.post(
            f"{url}/billflow/api/actions/change_quantity",
            json={"subscription": seats["id"], "quantity": seats["quantity"] + 1},
            headers={**headers, "Idempotency-Key": "demo-intent-0001"},
            timeout=10,
        )
        assert changed.status_code == 200, changed.text
        assert requests.get(f"{url}/billflow/embed.js", timeout=10).status_code == 200
        other = requests.get(url + "/?as=grace@example.com", timeout=10).text
        assert '"email":"grace@example.com"' in other


def test_the_demo_offers_email_sign_in_with_a_mailbox_page() -> None:
    with demo() as (url, printed):
        assert f"email sign-in    {url}/billing" in printed
        assert f"mailbox          {url}/mail" in printed
        billing = requests.get(url + "/billing", timeout=10).text
        found = re.search(r"data-billflow-settings>(.*?)</script>", billing)
        assert found and set(json.loads(found[1])) == {"api", "page"}  # no identity, no hash
        assert "No mail yet" in requests.get(url + "/mail", timeout=10).text
        asked = requests.post(f"{url}/billflow/api/login-link",
                              json={"email": "ada@example.com"}, timeout=10)  # fmt: skip
        assert asked.status_code == 202
        link = None
        for _ in range(100):
            mailbox = requests.get(url + "/mail", timeout=10).text
            link = re.search(r'href="(http://[^"]+billflow_token=[^"]+)"', mailbox)
            if link:
                break
            time.sleep(0.05)
        assert link, mailbox
        assert link[1].startswith(f"{url}/billing?billflow_token=")
        token = link[1].split("billflow_token=")[1]
        session = requests.post(f"{url}/billflow/api/session", json={"token": token}, timeout=10)
        assert session.status_code == 200 and session.json()["email"] == "ada@example.com"


def test_live_keys_are_refused() -> None:
    refused = subprocess.run(
        [str(BILLFLOW), "demo", "--port", "0"],
        capture_output=True,
        text=True,
        env=_environment(BILLFLOW_STRIPE_API_KEY="sk_live_" + "x" * 24),
        timeout=30,
    )
    assert refused.returncode == 1
    assert "refuses live Stripe keys" in refused.stderr
    assert "x" * 24 not in refused.stderr + refused.stdout


def _portal_config(page_url: str) -> dict[str, object]:
    """The options the portal on the demo page at `page_url` runs with."""
    page = requests.get(page_url, timeout=10)
    found = re.search(r"data-billflow-settings>(.*?)</script>", page.text)
    assert found, page.text
    settings = json.loads(found[1])
    base = re.match(r"http://[^/]+", page_url)
    assert base
    state = requests.get(
        f"{base[0]}/billflow/api/portal", headers={"X-Billflow-Page": settings["page"]}, timeout=10
    )
    config: dict[str, object] = state.json()["currentConfig"]
    return config


def test_the_printed_portal_api_address_answers() -> None:
    with demo() as (url, printed):
        found = re.search(r"portal API +(\S+)", printed)
        assert found, printed
        assert found[1] == f"{url}/billflow/api/openapi.json"
        answer = requests.get(found[1], timeout=10)
        assert answer.status_code == 200 and "openapi" in answer.json()


def test_the_demo_shows_pausing_where_it_says_it_does() -> None:
    with demo() as (url, printed):
        found = re.search(r"pausing +(\S+) ", printed)
        assert found, printed
        assert _portal_config(found[1])["pause_instead_of_cancel"] is True
        plain = _portal_config(url + "/")  # cancelling and the retention offer stay here
        assert plain["pause_instead_of_cancel"] is False and plain["cancel"] is True
