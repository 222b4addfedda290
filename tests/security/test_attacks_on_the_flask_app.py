"""The same attacks against a Flask app served over real HTTP: a signed-in customer on a
page without cancel, and someone whose email nobody verified."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from flask_site import flask_login_app, session_app


@pytest.fixture
def served() -> Iterator[Any]:
    servers: list[Any] = []

    def serve(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server in servers:
        server.shutdown()


def _settings(html: str) -> dict[str, Any]:
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    assert found, html
    settings: dict[str, Any] = json.loads(found[1])
    return settings


def _cancel(url: str, team: str, headers: dict[str, str], key: str) -> requests.Response:
    return requests.post(f"{url}/billflow/api/actions/cancel",
                         json={"subscription": team, "reason": "unused"},
                         headers={"Idempotency-Key": key, **headers}, timeout=10)  # fmt: skip


def test_dropping_the_flask_pages_token_to_cancel_where_the_page_does_not_offer_it(
    stripe_sandbox: Sandbox, served: Any
) -> None:
    ids = stripe_sandbox.seed("demo")
    app, _ = session_app(stripe_sandbox, page_options={"cancel": False})
    url = served(app)
    browser = requests.Session()
    browser.post(f"{url}/login", data={"email": DEMO_EMAIL, "password": "secret"}, timeout=10)
    page = _settings(browser.get(f"{url}/account", timeout=10).text)
    team = ids["subscriptions"][0]
    before = len(stripe_sandbox.writes())
    kept = _cancel(url, team, {"X-Billflow-Page": page["page"]}, "flask-attack-0001")
    dropped = _cancel(url, team, {"X-Billflow-Identity": DEMO_EMAIL}, "flask-attack-0002")
    assert (kept.status_code, kept.json()["error"]["code"]) == (403, "feature_disabled")
    assert (dropped.status_code, dropped.json()["error"]["code"]) == (403, "hash_missing")
    assert "hash" not in page and len(stripe_sandbox.writes()) == before


def test_claiming_a_customers_email_nobody_verified(stripe_sandbox: Sandbox, served: Any) -> None:
    stripe_sandbox.seed("demo")
    url = served(flask_login_app(stripe_sandbox))
    browser = requests.Session()
    browser.post(f"{url}/login", timeout=10,
                 data={"email": DEMO_EMAIL, "password": "secret", "verified": "no"})  # fmt: skip
    answer = browser.get(f"{url}/account", timeout=10)
    assert answer.status_code == 200
    assert "data-billflow-settings" not in answer.text  # no token, so nothing to act with
