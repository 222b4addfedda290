"""What the bridge's tests share besides fixtures: its keys and secrets, a clock the tests
move by hand, and a fresh database of either engine. (A module of its own: `conftest` is a
name several test folders use.)"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from throwaway_postgres import PostgresServer

SECRET = "bridge-test-secret-0123456789abcdef"
API_KEY = "api-key-" + "a" * 32
HOOKS_KEY = "hooks-key-" + "h" * 32
ADMIN_KEY = "admin-key-" + "b" * 32
SIGNING_SECRET = "whsec_" + base64.b64encode(b"bridge-signing-secret-32-bytes!!").decode()
SITE_ORIGIN = "https://www.example-site.com"


class Clock:
    """Time the tests move by hand, from now."""

    def __init__(self, now: float | None = None) -> None:
        self.now = float(int(time.time())) if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def database_for(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database of `kind` ("sqlite" or "postgresql") for one test."""
    if kind == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.database()
    return f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
