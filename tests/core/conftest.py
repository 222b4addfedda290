"""Fixtures the core's action tests share: the sandbox's demo account, a gateway to it, and
action contexts opened as its customer. `refusal.py` beside this file is importable from tests."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from billflow_core.actions.context import ActionContext
from billflow_core.billing.catalog import build_catalog
from billflow_core.settings import PortalSettings
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def demo(stripe_sandbox: Sandbox) -> dict[str, Any]:
    return stripe_sandbox.seed("demo")


@pytest.fixture
def demo_gateway(stripe_sandbox: Sandbox, demo: dict[str, Any]) -> StripeGateway:
    return StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)


@pytest.fixture
def context_for(demo_gateway: StripeGateway, demo: dict[str, Any]) -> Callable[..., ActionContext]:
    """Open an action context as the demo customer, with an intent key and portal options."""

    def open_context(key: str = "intent-1", **options: Any) -> ActionContext:
        settings = PortalSettings(**options)
        catalog = build_catalog(demo_gateway.active_prices(), settings)
        return ActionContext.open(demo_gateway, settings, catalog, demo["customer"], key)

    return open_context
