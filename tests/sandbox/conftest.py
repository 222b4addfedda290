"""Shared set-up for the sandbox's tests.

This folder's helper modules (`shape_compare`) are importable from its tests: the tests folders
are plain directories, not packages. `resources` is Stripe's published fixture of every
resource (`../shared/stripe/fixtures3.json`, read at test time and never copied).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "stripe" / "fixtures3.json"


@pytest.fixture(scope="session")
def resources() -> dict[str, Any]:
    """Stripe's fixture of each resource by object name; skips (fails under CI) without it."""
    if not FIXTURES.is_file():
        reason = f"Stripe's fixtures are not at {FIXTURES} (a clone without ../shared)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the shape tests")
        pytest.skip(reason)
    data: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]
    return data


@pytest.fixture
def receiver() -> Iterator[Any]:
    """A running webhook receiver (see `webhook_receiver.Receiver`)."""
    from webhook_receiver import Receiver

    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()
