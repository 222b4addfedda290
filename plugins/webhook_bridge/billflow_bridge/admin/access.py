"""Who may use the admin page: whoever signs in with the admin key, for at most 12 hours,
from this page only.

The sign-in lives in Flask's signed session cookie (`HttpOnly`, `SameSite=Lax`, `Secure`
on HTTPS, path `/admin`), signed with a key derived from the admin key: every bridge
process that shares the admin key reads it, and changing the admin key signs everyone out.
Every form carries Flask-WTF's CSRF token, bound to that session; a form posted from
another site is refused before anything is done, by the token and by the browser's own
`Sec-Fetch-Site`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from billflow_core.encoding import digest
from billflow_core.rate_limits import take

from .._state import BridgeState

__all__ = ["SESSION_SECONDS", "FormRefused", "check_form", "csrf_token", "install",
           "sign_in", "sign_out", "signed_in"]  # fmt: skip

SESSION_SECONDS = 12 * 3600
_SIGN_INS = 10  # sign-in attempts a minute from one address
_SESSION_KEY = "billflow_admin_since"


class FormRefused(Exception):
    """A form without this session's CSRF token, or posted from another site."""


class _AdminSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, `Secure` whenever the page is served over HTTPS
    (as the proxy in front says, through gunicorn's forwarded headers)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure)


def install(app: Flask, admin_key: str | None) -> None:
    """Sessions and CSRF tokens for the admin page of `app`."""
    if admin_key is not None:
        app.secret_key = hmac.new(admin_key.encode(), b"billflow-bridge admin sessions",
                                  hashlib.sha256).hexdigest()  # fmt: skip
    app.session_interface = _AdminSessions()
    app.config.update(
        SESSION_COOKIE_NAME="billflow_bridge_admin",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Strict would drop it on a link from mail,
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=SESSION_SECONDS),
        WTF_CSRF_TIME_LIMIT=SESSION_SECONDS,
    )


def csrf_token() -> str:
    """This session's CSRF token, for a form's hidden `csrf_token` field."""
    return str(generate_csrf())


def check_form(form_request: Request) -> None:
    """Refuse (`FormRefused`) a form posted from another site or without this session's
    CSRF token."""
    if form_request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise FormRefused("posted from another site")
    try:
        validate_csrf(form_request.form.get("csrf_token"))
    except (ValidationError, CSRFError) as error:
        raise FormRefused(str(error)) from None


def signed_in(state: BridgeState) -> bool:
    since = session.get(_SESSION_KEY)
    now = state.clock()
    return isinstance(since, (int, float)) and since <= now < since + SESSION_SECONDS


def sign_in(state: BridgeState, given: str) -> str | None:
    """Sign the session in if `given` is the admin key; else why not (`sign_in.refused`,
    `sign_in.rate_limited`). A few attempts a minute from one address, so a key cannot be
    guessed through the page."""
    expected = state.config.admin_key or ""
    minute = int(state.clock()) // 60
    asker = digest(request.remote_addr or "")
    limit = [(f"billflow:rate:admin-sign-in:{asker}:{minute}", _SIGN_INS)]
    if not take(state.portal.sign_in.store, limit, 60):
        return "sign_in.rate_limited"
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return "sign_in.refused"
    language = session.get("language")
    session.clear()  # a fresh session, with a fresh CSRF token
    session[_SESSION_KEY] = state.clock()
    if language:
        session["language"] = language
    return None


def sign_out() -> None:
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
