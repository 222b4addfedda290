"""Who may use the admin page: whoever signs in with the admin key, for at most 12 hours,
from this page only.

The sign-in lives in Flask's signed session cookie (`HttpOnly`, `SameSite=Lax`, `Secure`
on HTTPS, path `/admin`), signed with a key derived from the admin key: every bridge
process that shares the admin key reads it, and changing the admin key signs everyone out.
Each sign-in has an id; signing out marks it ended in the database, so a copy of the
cookie is no good afterwards. Every form carries Flask-WTF's CSRF token, bound to that
session; a form posted from another site is refused before anything is done, by the token
and by the browser's own `Sec-Fetch-Site`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import Flask, Request, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from billflow_core.encoding import digest

from .._state import BridgeState

__all__ = ["SESSION_SECONDS", "FormRefused", "check_form", "csrf_token", "install",
           "sign_in", "sign_out", "signed_in"]  # fmt: skip

SESSION_SECONDS = 12 * 3600
_WRONG_KEYS = 10  # wrong keys a minute from one address before sign-in waits
_SINCE = "billflow_admin_since"
_ID = "billflow_admin_id"


class FormRefused(Exception):
    """A form without this session's CSRF token, or posted from another site."""


class _AdminSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, `Secure` whenever the page is served over HTTPS
    (as the proxy in front says, through gunicorn's forwarded headers)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure)


def install(app: Flask, admin_key: str) -> None:
    """Sessions and CSRF tokens for the admin page of `app`."""
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
    since, session_id = session.get(_SINCE), session.get(_ID)
    now = state.clock()
    if not isinstance(since, (int, float)) or not since <= now < since + SESSION_SECONDS:
        return False
    return isinstance(session_id, str) and not state.portal.sign_in.store.has(_ended(session_id))


def sign_in(state: BridgeState, given: str) -> str | None:
    """Sign the session in if `given` is the admin key; else why not (`sign_in.refused`,
    `sign_in.rate_limited`). Ten wrong keys a minute from one address, and then none at
    all until the minute is over, so a key cannot be guessed through the page; a right one
    costs nothing."""
    store = state.portal.sign_in.store
    minute = int(state.clock()) // 60
    wrong = f"billflow:rate:admin-sign-in:{digest(request.remote_addr or '')}:{minute}"
    if store.count(wrong) >= _WRONG_KEYS:
        return "sign_in.rate_limited"
    expected = state.config.admin_key or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        store.incr(wrong, 60)
        return "sign_in.refused"
    language = session.get("language")
    session.clear()  # a fresh session, with a fresh CSRF token
    session[_SINCE] = state.clock()
    session[_ID] = secrets.token_urlsafe(16)
    if language:
        session["language"] = language
    return None


def sign_out(state: BridgeState) -> None:
    """End this sign-in, on every process: its id is marked ended until it would have."""
    session_id = session.get(_ID)
    if isinstance(session_id, str):
        state.portal.sign_in.store.add(_ended(session_id), SESSION_SECONDS)
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


def _ended(session_id: str) -> str:
    return f"billflow:admin-session-ended:{digest(session_id)}"
