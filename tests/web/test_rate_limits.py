"""Rate limits per identity on actions and previews, through the live API: each is a
Stripe request, so one valid hash must not spend the account's Stripe rate limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from billflow_core.errors import SettingsError
from billflow_core.settings import PortalSettings

START = 1_800_000_000 + 15  # 15 seconds into a minute: the window has 45 left


def _preview(live: Any, quantity: int, identity: str | None = None) -> requests.Response:
    headers = live.headers(identity) if identity else live.headers()
    return requests.post(f"{live.url}/billflow/api/preview", headers=headers, timeout=10,
                         json={"subscription": live.ids["subscriptions"][1],
                               "quantity": quantity})  # fmt: skip


def _change_quantity(live: Any, quantity: int, key: str) -> requests.Response:
    return requests.post(f"{live.url}/billflow/api/actions/change_quantity", timeout=10,
                         headers=live.headers(**{"Idempotency-Key": key}),
                         json={"subscription": live.ids["subscriptions"][1],
                               "quantity": quantity})  # fmt: skip


def _assert_limited(live: Any, call: Callable[[], requests.Response], retry_after: str) -> None:
    """429 `rate_limited` with `Retry-After`, and the sandbox heard nothing of it."""
    before = len(live.sandbox.requests)
    fingerprint = live.sandbox.fingerprint()
    answer = call()
    assert answer.status_code == 429, answer.text
    assert answer.json()["error"]["code"] == "rate_limited"
    assert answer.headers["Retry-After"] == retry_after
    assert len(live.sandbox.requests) == before
    assert live.sandbox.fingerprint() == fingerprint


def test_previews_past_the_limit_get_429_with_retry_after_and_reach_no_stripe(
    serve: Callable[..., Any],
) -> None:
    live = serve(preview_rate_limit=2, clock=lambda: START)
    for quantity in (5, 6):
        answer = _preview(live, quantity)
        assert answer.status_code == 200, answer.text
    _assert_limited(live, lambda: _preview(live, 7), "45")


def test_actions_past_the_limit_get_429_with_retry_after_and_write_nothing(
    serve: Callable[..., Any],
) -> None:
    live = serve(action_rate_limit=2, clock=lambda: START)
    for quantity, key in ((5, "limit-key-0001"), (6, "limit-key-0002")):
        answer = _change_quantity(live, quantity, key)
        assert answer.status_code == 200, answer.text
    _assert_limited(live, lambda: _change_quantity(live, 7, "limit-key-0003"), "45")


def test_another_identity_keeps_its_own_allowance(serve: Callable[..., Any]) -> None:
    live = serve(preview_rate_limit=1, clock=lambda: START)
    assert _preview(live, 5).status_code == 200
    assert _preview(live, 6).status_code == 429
    # Someone else is not held back: their request reaches Stripe (and finds no customer).
    stranger = _preview(live, 6, "grace@example.com")
    assert stranger.status_code == 404
    assert stranger.json()["error"]["code"] == "customer_not_found"


def test_a_new_minute_gives_a_new_allowance(serve: Callable[..., Any]) -> None:
    now = [float(START)]
    live = serve(preview_rate_limit=1, action_rate_limit=1, clock=lambda: now[0])
    assert _preview(live, 5).status_code == 200
    assert _change_quantity(live, 5, "limit-key-0011").status_code == 200
    _assert_limited(live, lambda: _preview(live, 6), "45")
    _assert_limited(live, lambda: _change_quantity(live, 6, "limit-key-0012"), "45")
    now[0] += 45
    assert _preview(live, 6).status_code == 200
    assert _change_quantity(live, 6, "limit-key-0012").status_code == 200


def test_a_retried_idempotency_key_is_not_counted_twice(serve: Callable[..., Any]) -> None:
    live = serve(action_rate_limit=2, clock=lambda: START)
    for _ in range(3):  # one intent, its answer lost twice: the first answer each time
        assert _change_quantity(live, 5, "limit-key-0021").status_code == 200
    assert _change_quantity(live, 6, "limit-key-0022").status_code == 200
    _assert_limited(live, lambda: _change_quantity(live, 7, "limit-key-0023"), "45")


def test_the_limits_are_read_from_config_and_checked_naming_the_option() -> None:
    settings = PortalSettings.from_mapping(
        {"BILLFLOW_ACTION_RATE_LIMIT": "5", "BILLFLOW_PREVIEW_RATE_LIMIT": "7"}
    )
    assert (settings.action_rate_limit, settings.preview_rate_limit) == (5, 7)
    assert (PortalSettings().action_rate_limit, PortalSettings().preview_rate_limit) == (30, 60)
    for name in ("action_rate_limit", "preview_rate_limit"):
        with pytest.raises(SettingsError, match=name):
            PortalSettings(**{name: 0})
        with pytest.raises(SettingsError, match=f"BILLFLOW_{name.upper()}"):
            PortalSettings.from_mapping({f"BILLFLOW_{name.upper()}": "many"})
