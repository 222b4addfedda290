"""One bridge app's parts, kept in `app.extensions["billflow_bridge"]` and read with
`get_state(app)` / `bridge_state()`, so the routes and the commands never import the app
factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine

from billflow_core import Portal

from .config import BridgeConfig, BridgeConfigError
from .delivery import Deliverer
from .hooks import HookStore
from .login_tokens import TokenChecker
from .outbox import Outbox
from .worker import DeliveryWorker

__all__ = ["BridgeState", "bridge_state", "get_state"]


@dataclass
class BridgeState:
    """The bridge of one app: its configuration, database, outbox and deliverer, the portal
    it serves (the Flask extension's) and the in-process delivery worker, if one runs."""

    config: BridgeConfig
    engine: Engine
    portal: Portal
    outbox: Outbox
    deliverer: Deliverer
    clock: Callable[[], float]
    prefix: str
    hooks: HookStore
    worker: DeliveryWorker | None = None
    tokens: TokenChecker | None = None  # the site's login tokens, when it takes them

    def wake(self) -> None:
        """Have the in-process worker look for due deliveries now."""
        if self.worker is not None:
            self.worker.wake()


def get_state(app: Flask) -> BridgeState:
    found: Any = app.extensions.get("billflow_bridge")
    if found is None:
        raise BridgeConfigError("this app is not a bridge: make it with create_app()")
    return found  # type: ignore[no-any-return]


def bridge_state() -> BridgeState:
    return get_state(current_app)
