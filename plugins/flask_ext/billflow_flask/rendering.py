"""`billflow_portal(**overrides)`, the Jinja global: the portal for the logged-in user with
their page token made here, the email sign-in form or a sign-in prompt for anyone else, never a
token naming them. `templates/billflow/embed.html` in the app replaces the wrapper."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request, url_for
from markupsafe import Markup

from billflow_core.web import SignInNeeded, portal_or_sign_in

from ._state import state

__all__ = ["billflow_portal"]


def billflow_portal(
    *, heading: str = "", subscription: str | None = None, **overrides: Any
) -> Markup:
    """The portal for the page being rendered; `overrides` are the page's own options
    (`service`, `cancel`, `plan_picker`, ...), signed into the snippet."""
    app_state = state()
    app_state.extension.check_ready(current_app._get_current_object())  # type: ignore[attr-defined]
    portal = app_state.portal
    identity = app_state.extension.identity()
    prefix = request.script_root + app_state.api.prefix  # where the page reaches the API
    if identity is not None:
        g.billflow_private = True  # the page carries this visitor's token: see extension
    found = portal_or_sign_in(
        portal, identity, prefix=prefix, subscription=subscription, overrides=overrides
    )
    if isinstance(found, SignInNeeded):
        snippet, login_url = None, _login_url()
    else:
        snippet, login_url = found, None
    html = render_template(
        "billflow/embed.html", heading=heading, snippet=snippet, login_url=login_url
    )
    return Markup(html)


def _login_url() -> str | None:
    """Flask-Login's login view, when the app has one."""
    manager = getattr(current_app, "login_manager", None)
    view = getattr(manager, "login_view", None)
    return url_for(view) if view else None
