"""The bridge's scoped keys, each sent as `Authorization: Bearer <key>`: the API key mints
hashes, the hooks key is the automation platforms', the admin key reads and retries
deliveries. Compared in constant time; a scope whose key is not set refuses everyone."""

from __future__ import annotations

import hmac
from typing import Literal

from billflow_core import Forbidden

from .config import BridgeConfig

__all__ = ["KeyRefused", "Scope", "check_key"]

Scope = Literal["api", "hooks", "admin"]

_SETTING = {"api": "BILLFLOW_BRIDGE_API_KEY", "hooks": "BILLFLOW_BRIDGE_HOOKS_KEY",
            "admin": "BILLFLOW_BRIDGE_ADMIN_KEY"}  # fmt: skip


class KeyRefused(Forbidden):
    """401: no key, or not this scope's key."""

    status = 401


def check_key(config: BridgeConfig, scope: Scope, authorization: str | None) -> None:
    """Refuse (`KeyRefused`, 401) unless `authorization` carries the key of `scope`."""
    expected = {"api": config.api_key, "hooks": config.hooks_key, "admin": config.admin_key}[scope]
    if expected is None:
        raise KeyRefused(
            f"This bridge takes no {scope} key: set {_SETTING[scope]} to use this route.",
            code="key_not_configured",
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise KeyRefused(
            f"Send the {scope} key as 'Authorization: Bearer <key>'.", code="key_invalid"
        )
