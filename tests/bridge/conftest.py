"""Fixtures for the bridge's tests: real HTTP receivers on loopback, a clock the tests move,
and a bridge app on a fresh SQLite database, portal on the sandbox. `receivers.py` beside
this file is importable from the tests; the session's PostgreSQL server (`postgres`) is
`tests/conftest.py`'s, shared with the other suites."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from bridge_support import (  # noqa: E402
    ADMIN_KEY,
    API_KEY,
    HOOKS_KEY,
    SECRET,
    SIGNING_SECRET,
    SITE_ORIGIN,
    Clock,
    database_for,
)
from receivers import Receiver  # noqa: E402

from billflow_bridge import BridgeConfig, connect, create_app, migrate  # noqa: E402
from billflow_bridge._state import BridgeState, get_state  # noqa: E402
from billflow_bridge.retries import RetrySchedule  # noqa: E402
from billflow_sandbox import Sandbox  # noqa: E402


class WebhookAt(Webhook):
    """`standardwebhooks`' own verifier, its five-minute timestamp window judged at the
    test clock's time instead of the machine's (the tests move time by days)."""

    def __init__(self, secret: str, clock: Clock) -> None:
        super().__init__(secret)
        self._clock = clock

    def _Webhook__verify_timestamp(self, header: str) -> datetime:
        stamp = datetime.fromtimestamp(float(header), tz=UTC)
        now = datetime.fromtimestamp(self._clock.now, tz=UTC)
        if abs(now - stamp) > timedelta(minutes=5):
            raise WebhookVerificationError("Message timestamp outside the window")
        return stamp


@pytest.fixture
def verify(clock: Clock) -> Callable[..., dict[str, Any]]:
    """The payload of a received delivery once `standardwebhooks` accepts its signature
    (with the bridge's signing secret unless another is given)."""

    def verified(received: Any, secret: str = SIGNING_SECRET) -> dict[str, Any]:
        found: dict[str, Any] = WebhookAt(secret, clock).verify(received.body, received.headers)
        return found

    return verified


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def demo(stripe_sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's demo account: Ada with a Team and a seats subscription."""
    return dict(stripe_sandbox.seed("demo"))


@pytest.fixture
def plan_change(demo: dict[str, Any]) -> dict[str, str]:
    """A `change_plan` payload Ada may send: her Team subscription to Business monthly."""
    return {"subscription": demo["subscriptions"][0], "price": demo["prices"]["business_monthly"]}


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The bridge's database: SQLite, unless a module asks for both engines."""
    return database_for("sqlite", tmp_path, request)


@pytest.fixture
def bridge_settings(
    database_url: str, stripe_sandbox: Sandbox, demo: dict[str, Any], receiver: Receiver
) -> dict[str, Any]:
    """The environment a bridge is configured with: one target, the receiver."""
    return {
        "BILLFLOW_SECRET_KEY": SECRET,
        "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
        "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url,
        "BILLFLOW_BRIDGE_API_KEY": API_KEY,
        "BILLFLOW_BRIDGE_HOOKS_KEY": HOOKS_KEY,
        "BILLFLOW_BRIDGE_ADMIN_KEY": ADMIN_KEY,
        "BILLFLOW_BRIDGE_SIGNING_SECRET": SIGNING_SECRET,
        "BILLFLOW_BRIDGE_TARGETS": receiver.url,
        "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "127.0.0.0/8",
        "BILLFLOW_BRIDGE_ORIGINS": SITE_ORIGIN,
        "BILLFLOW_BRIDGE_DATABASE_URL": database_url,
        "BILLFLOW_BRIDGE_TIMEOUT": "2",
    }


@pytest.fixture
def make_bridge(
    bridge_settings: dict[str, Any], clock: Clock
) -> Callable[..., tuple[Flask, BridgeState]]:
    """A migrated bridge app for `bridge_settings` with `changes`, on the test's clock and a
    jitter-free schedule."""

    def make(**changes: Any) -> tuple[Flask, BridgeState]:
        config = BridgeConfig.from_mapping({**bridge_settings, **changes})
        migrate(connect(config.database_url))
        schedule = RetrySchedule(config.retry_delays, jitter=0.0)
        app = create_app(config, clock=clock, schedule=schedule)
        return app, get_state(app)

    return make


@pytest.fixture
def bridge(make_bridge: Callable[..., tuple[Flask, BridgeState]]) -> tuple[Flask, BridgeState]:
    return make_bridge()


@pytest.fixture
def client(bridge: tuple[Flask, BridgeState]) -> FlaskClient:
    return bridge[0].test_client()


@pytest.fixture
def state(bridge: tuple[Flask, BridgeState]) -> BridgeState:
    return bridge[1]
