from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from throwaway_redis import find_redis_server, running_redis

from billflow_sandbox import Sandbox


@pytest.fixture
def sandbox(stripe_sandbox: Sandbox) -> dict[str, Any]:
    """The demo account (Ada, two subscriptions) in a fresh sandbox."""
    return dict(stripe_sandbox.seed("demo"))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """One throwaway Redis server for the session. Missing, it skips these tests on a
    developer's machine and fails them in CI (scripts/test installs Debian's redis-server)."""
    executable = find_redis_server()
    if executable is None:
        why = "redis-server is missing: scripts/test installs Debian's redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    with running_redis(executable) as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The throwaway server, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server
