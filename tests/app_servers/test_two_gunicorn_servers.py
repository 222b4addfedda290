"""Two app servers as real processes: each plugin's site served by two gunicorn processes
(`-k gthread`, one worker, four threads), spoken to over HTTP, the Stripe sandbox behind them.
What one server learns, the other knows: a sign-in link used on one is refused on the other,
a retry sent to the other gets the first answer and Stripe sees one write, the sign-in rate
limit counts the requests of both, and a Stripe webhook reaching one changes the plans the
other offers on its next load.

The in-process proofs (`tests/flask_plugin/test_shared_state.py`, the Wagtail suite) make
two apps in one Python process; these show the same with nothing shared but what a deploy
shares. Flask: `BILLFLOW_REDIS_URL` on one throwaway Redis. Wagtail: one throwaway
PostgreSQL database (used links, rate-limit counts) and Django's `RedisCache` on one
throwaway Redis (answers to retries, the portal's shared cache).

Each pair starts once per module and plugin (a Wagtail pair costs a migrated database and
two Django start-ups); the tests keep out of each other's way by what they touch: their own
Idempotency-Key, email, price and event."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
import redis
import requests
from app_servers import running_gunicorn
from throwaway_postgres import PostgresServer
from throwaway_redis import find_redis_server, running_redis

from billflow_core import user_hash
from billflow_sandbox import Sandbox, sign
from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL

ROOT = Path(__file__).resolve().parents[2]
SECRET = "two-servers-secret-0123456789abcdef"
WEBHOOK_SECRET = "whsec_" + "t" * 32
PER_EMAIL = 3  # sign-in links one address may ask for in an hour, on all servers together
IDENTITY = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL)}
READY = "/billflow/api/openapi.json"
# The portal's options, the same on both plugins: email sign-in on (links to Ada's email),
# a small per-email limit for (c), and an address limit no test reaches (every request
# comes from 127.0.0.1).
OPTIONS: dict[str, Any] = {
    "email_sign_in": True,
    "company_name": "Acme",
    "sign_in_from_address": "billing@acme.example",
    "sign_in_redirect_url": "http://localhost/account",
    "sign_in_per_email_per_hour": PER_EMAIL,
    "sign_in_per_address_per_hour": 1000,
}


def _missing(why: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where `scripts/test` installs it all."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@dataclass
class Pair:
    """Two app servers of one site, and what they stand on."""

    first: str
    second: str
    sandbox: Sandbox
    ids: dict[str, Any]
    mailbox: Mailbox


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """One throwaway Redis for the module (each pair empties it before it starts)."""
    executable = find_redis_server()
    if executable is None:
        _missing("redis-server is missing: scripts/test installs Debian's redis-server")
    with running_redis(executable) as url:
        yield url


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without anything that configures Billflow, Django or
    the test site (a developer's own `BILLFLOW_*` would change what the servers do), and
    with `extra`."""
    kept = {k: v for k, v in os.environ.items()
            if not k.startswith(("BILLFLOW_", "DJANGO_", "TESTSITE_", "STRIPE_"))}  # fmt: skip
    return {**kept, "PYTHONUNBUFFERED": "1", **extra}


def _flask(sandbox: Sandbox, mailbox: Mailbox, redis_url: str) -> tuple[str, dict[str, str]]:
    """`served_app`'s factory and its environment: README's Flask set-up, from variables."""
    env = _environment(
        PYTHONPATH=str(ROOT / "tests" / "flask_plugin"),
        FLASK_SECRET_KEY="two-servers-flask-session-key",
        BILLFLOW_SECRET_KEY=SECRET,
        BILLFLOW_STRIPE_API_KEY=sandbox.secret_key,
        BILLFLOW_STRIPE_API_BASE=sandbox.url,
        BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        BILLFLOW_REDIS_URL=redis_url,
        BILLFLOW_SMTP_HOST=mailbox.host,
        BILLFLOW_SMTP_PORT=str(mailbox.port),
        **{f"BILLFLOW_{name.upper()}": str(value) for name, value in OPTIONS.items()},
    )
    return "served_app:create_app()", env


def _wagtail(
    sandbox: Sandbox, mailbox: Mailbox, redis_url: str, postgres: PostgresServer
) -> tuple[str, dict[str, str]]:
    """Django's WSGI application for `testsite.served_settings` and its environment, on a
    new database made ready (migrated, the site's Billflow settings set) before it serves."""
    env = _environment(
        PYTHONPATH=str(ROOT / "tests" / "wagtail_plugin"),
        DJANGO_SETTINGS_MODULE="testsite.served_settings",
        TESTSITE_DATABASE_URL=postgres.database(),
        TESTSITE_REDIS_URL=redis_url,
        TESTSITE_SMTP_HOST=mailbox.host,
        TESTSITE_SMTP_PORT=str(mailbox.port),
        BILLFLOW_SECRET_KEY=SECRET,
        BILLFLOW_STRIPE_API_KEY=sandbox.secret_key,
        BILLFLOW_STRIPE_API_BASE=sandbox.url,
        BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    prepared = subprocess.run(
        [sys.executable, "-m", "django", "prepare_served_site", json.dumps(OPTIONS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    return "django.core.wsgi:get_wsgi_application()", env


@pytest.fixture(scope="module", params=["flask", "wagtail"])
def pair(
    request: pytest.FixtureRequest, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two gunicorn processes serving one plugin's site, a fresh sandbox (the demo account)
    and mailbox behind them, Redis emptied for them. The sandbox is the module's own, made
    as the `stripe_sandbox` fixture makes it: that one lives for one test, and the servers
    are told its address when they start."""
    with Sandbox(webhook_retry_delays=(0.05, 0.1, 0.2)) as sandbox, Mailbox() as mailbox:
        ids = dict(sandbox.seed("demo"))
        client = redis.Redis.from_url(redis_url)
        client.flushall()
        client.close()
        if request.param == "flask":
            app, env = _flask(sandbox, mailbox, redis_url)
        else:
            postgres: PostgresServer = request.getfixturevalue("postgres")
            app, env = _wagtail(sandbox, mailbox, redis_url, postgres)
        logs = tmp_path_factory.mktemp(f"gunicorn-{request.param}")
        with running_gunicorn(app, env, logs, ready=READY) as (first, second):
            yield Pair(first.url, second.url, sandbox, ids, mailbox)


def _post(url: str, body: Mapping[str, Any], **headers: str) -> requests.Response:
    """POST `body` as JSON, as the portal's page does."""
    return requests.post(url, json=body, headers=headers, timeout=30)


def _offered(server: str) -> set[str]:
    """The prices the server's portal offers Ada on a fresh load of the page."""
    answer = requests.get(f"{server}/billflow/api/portal", headers=IDENTITY, timeout=30)
    assert answer.status_code == 200, answer.text
    return {plan["price_id"] for plan in answer.json()["productData"]}


def test_a_sign_in_link_used_on_one_server_is_refused_on_the_other(pair: Pair) -> None:
    asked = _post(f"{pair.first}/billflow/api/login-link", {"email": DEMO_EMAIL})
    assert asked.status_code == 202, asked.text
    [mail] = pair.mailbox.wait_for(DEMO_EMAIL)
    found = re.search(r"billflow_token=([^\s&\"<]+)", mail.text())
    assert found, mail.text()

    used = _post(f"{pair.first}/billflow/api/session", {"token": found[1]})
    assert used.status_code == 200 and used.json()["email"] == DEMO_EMAIL, used.text
    again = _post(f"{pair.second}/billflow/api/session", {"token": found[1]})
    assert again.status_code == 403, again.text
    assert again.json()["error"]["code"] == "link_used"


def test_a_retry_sent_to_the_other_server_gets_the_first_answer_and_stripe_one_write(
    pair: Pair,
) -> None:
    change = {"subscription": pair.ids["subscriptions"][0],
              "price": pair.ids["prices"]["business_monthly"]}  # fmt: skip
    key = f"two-servers-{uuid.uuid4().hex}"
    pair.sandbox.reset()

    answered = _post(f"{pair.first}/billflow/api/actions/change_plan", change,
                     **IDENTITY, **{"Idempotency-Key": key})  # fmt: skip
    assert answered.status_code == 200, answered.text
    writes = len(pair.sandbox.writes())
    assert writes >= 1  # the change reached Stripe
    again = _post(f"{pair.second}/billflow/api/actions/change_plan", change,
                  **IDENTITY, **{"Idempotency-Key": key})  # fmt: skip

    assert again.status_code == 200, again.text
    assert again.json() == answered.json()
    # Answered from the shared store: apart, the second server would run the action again
    # (and answer 409 `same_plan`, the plan being changed already).
    assert len(pair.sandbox.writes()) == writes


def test_the_sign_in_rate_limit_counts_the_requests_of_both_servers(pair: Pair) -> None:
    # The limit is per clock hour: a run in the hour's last seconds waits for the next.
    if time.time() % 3600 > 3590:
        time.sleep(3600 - time.time() % 3600 + 0.5)
    nobody = f"limit-{uuid.uuid4().hex[:12]}@example.org"  # counted alike; no mail sent
    servers = [pair.first, pair.second]
    statuses = [_post(f"{servers[n % 2]}/billflow/api/login-link", {"email": nobody}).status_code
                for n in range(PER_EMAIL + 1)]  # fmt: skip
    # Two asked on the first, one on the second, then the second refuses: the count is
    # shared (apart, the second would have counted one and said 202).
    assert statuses == [202] * PER_EMAIL + [429]


def test_a_price_webhook_to_one_server_changes_the_plans_the_other_offers(pair: Pair) -> None:
    price = pair.ids["prices"]["starter_monthly"]  # no other test here uses it
    assert price in _offered(pair.second)
    pair.sandbox.client().v1.prices.update(price, {"active": False})
    assert price in _offered(pair.second)  # its catalog is kept: Stripe is not asked again

    # Signed by hand, delivered when the test says: the sandbox's own delivery would race
    # the check above.
    event = {"id": f"evt_{uuid.uuid4().hex[:16]}", "object": "event", "type": "price.updated",
             "data": {"object": {"id": price, "object": "price", "active": False}}}  # fmt: skip
    body = json.dumps(event).encode()
    delivered = requests.post(
        f"{pair.first}/billflow/stripe/webhook", data=body, timeout=30,
        headers={"Content-Type": "application/json",
                 "Stripe-Signature": sign(body, WEBHOOK_SECRET, int(time.time()))},
    )  # fmt: skip
    assert delivered.status_code == 200, delivered.text

    offered = _offered(pair.second)
    assert price not in offered
    assert pair.ids["prices"]["team_monthly"] in offered  # the rest of the catalog is there
