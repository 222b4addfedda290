"""Billflow's webhook bridge: the customer portal for sites built without server code
(Bubble, Webflow, Softr, Framer, WordPress…), and portal events, signed, for their
automations.

    billflow bridge migrate        # make or update its tables
    billflow bridge serve          # the portal's API, /v1/hash, deliveries (gunicorn)
    billflow bridge worker         # deliveries only, on another machine or process

Or in Python, `create_app(load_config("bridge.toml"))` is a Flask app. Settings come from
the environment or a TOML file (`config.py`); every portal rule is the core's, reached
through `billflow_flask`.
"""

from __future__ import annotations

try:
    import flask  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on what is installed
    raise ImportError(
        f"billflow_bridge needs {missing.name}: pip install 'billflow[bridge]'"
    ) from None

from .app import create_app
from .config import BridgeConfig, BridgeConfigError, Target, load_config
from .database import connect, migrate

__all__ = [
    "BridgeConfig",
    "BridgeConfigError",
    "Target",
    "connect",
    "create_app",
    "load_config",
    "migrate",
]
