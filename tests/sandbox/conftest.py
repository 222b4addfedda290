"""Shared set-up for the sandbox's tests.

This folder's helper modules (`shape_compare`) are importable from its tests: the tests folders
are plain directories, not packages. `resources` is Stripe's published fixture of every
resource, kept in `stripe_fixtures/` beside this file (its README names its source).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

FIXTURES = Path(__file__).resolve().parent / "stripe_fixtures" / "fixtures3.json"


@pytest.fixture(scope="session")
def resources() -> dict[str, Any]:
    """Stripe's fixture of each resource by object name."""
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
