"""Each app's Billflow as the extension left it in `app.extensions["billflow"]`, read with
`get_state(app)` (as flask-sqlalchemy's `get_state` reads its own). The CLI, the Jinja
global and the blueprint read it here, so none of them imports the extension module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app

from billflow_core import SettingsError
from billflow_core.portal import Portal
from billflow_core.web import PortalAPI

__all__ = ["BillflowConfigError", "BillflowState", "get_state", "state"]


class BillflowConfigError(SettingsError):
    """The app's configuration cannot make a portal; the message says what to set."""


class _Extension(Protocol):
    """What a request asks of the `Billflow` extension that set the app up."""

    def identity(self) -> str | None: ...

    def check_ready(self, app: Flask) -> None: ...


@dataclass
class BillflowState:
    """One app's Billflow: its portal, the API serving it, and the extension that made it."""

    portal: Portal
    api: PortalAPI
    extension: _Extension


def get_state(app: Flask) -> BillflowState:
    """`app`'s Billflow. Raises `BillflowConfigError` if it was never set up."""
    found: Any = app.extensions.get("billflow")
    if found is None:
        raise BillflowConfigError("Billflow is not set up on this app: call Billflow(app)")
    return found  # type: ignore[no-any-return]


def state() -> BillflowState:
    """The current app's Billflow (`get_state` of `current_app`)."""
    return get_state(current_app)
