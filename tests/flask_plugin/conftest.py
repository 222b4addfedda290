from __future__ import annotations

from typing import Any

import pytest

from billflow_sandbox import Sandbox


@pytest.fixture
def sandbox(stripe_sandbox: Sandbox) -> dict[str, Any]:
    """The demo account (Ada, two subscriptions) in a fresh sandbox."""
    return dict(stripe_sandbox.seed("demo"))
