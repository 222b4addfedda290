"""The bridge's one error of its own: a configuration it cannot start with."""

from __future__ import annotations

from billflow_core import SettingsError

__all__ = ["BridgeConfigError"]


class BridgeConfigError(SettingsError):
    """The bridge cannot start with this configuration; `param` names the setting."""
