"""The demo's own pages: they carry Ada's hash, so they are private to caches and framed
only by the demo itself; its API answers are JSON browsers must not sniff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from billflow_demo.site import Demo, start_demo


@pytest.fixture
def demo() -> Iterator[Demo]:
    running = start_demo("127.0.0.1", 0, environ={})
    yield running
    running.stop()


def test_the_demo_pages_are_private_and_framed_only_by_the_demo(demo: Demo) -> None:
    for path in ("/", "/billing"):
        page = requests.get(demo.url + path, timeout=10)
        assert page.status_code == 200, path
        assert "private" in page.headers["Cache-Control"], path
        assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'", path
    missing = requests.get(demo.url + "/billflow/api/nothing", timeout=10)
    assert missing.status_code == 404
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
