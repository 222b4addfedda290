"""The `Billflow` extension: `init_app` reads the app's config, makes the app's portal and
keeps it in `app.extensions["billflow"]`, so two apps in one process never share one."""

from __future__ import annotations

import dataclasses
import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, NamedTuple, cast

from flask import Flask, Response, current_app, g, request
from werkzeug.utils import import_string

from billflow_core import AnswerStore, PortalSettings, SettingsError, SharedCache
from billflow_core.identity.signin import SignInStore
from billflow_core.mail import SMTPMailer
from billflow_core.portal import Portal
from billflow_core.web import DEFAULT_PREFIX, PortalAPI
from billflow_core.web.framing import checked_frame_ancestors, with_frame_ancestors

from ._state import BillflowConfigError, BillflowState, get_state

__all__ = ["Billflow", "BillflowConfigError", "BillflowState"]

log = logging.getLogger(__name__)

IdentityLoader = Callable[[], "str | None"]
MailSender = Callable[[EmailMessage], None]


class Billflow:
    """The Flask extension. Callbacks (`identity_loader`, `mail_sender`) belong to the
    extension and may be registered before or after `init_app`; everything an app owns
    (its portal, caches, stores) lives in `app.extensions["billflow"]`."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        sign_in_store: SignInStore | None = None,
        answers: AnswerStore | None = None,
        cache: SharedCache | None = None,
    ) -> None:
        """`sign_in_store`, `answers` and `cache`: stores several app servers share, of
        your own, instead of those `BILLFLOW_REDIS_URL` makes (or each process's memory)."""
        self._identity_loader: IdentityLoader | None = None
        self._mail_sender: MailSender | None = None
        self._sign_in_store = sign_in_store
        self._answers = answers
        self._cache = cache
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read `app.config` (every option defaults by `setdefault`), make the app's portal,
        serve its API under `BILLFLOW_URL_PREFIX` and add `billflow_portal` to its Jinja
        globals. Raises `BillflowConfigError` naming the setting to fix."""
        from .views import blueprint

        if "billflow" in app.extensions:
            raise BillflowConfigError(
                "Billflow is already set up on this app: call init_app once per app"
            )
        defaults = PortalSettings()
        for field in dataclasses.fields(PortalSettings):
            app.config.setdefault(f"BILLFLOW_{field.name.upper()}", getattr(defaults, field.name))
        app.config.setdefault("BILLFLOW_URL_PREFIX", DEFAULT_PREFIX)
        app.config.setdefault("BILLFLOW_FRAME_ANCESTORS", ())
        prefix = str(app.config["BILLFLOW_URL_PREFIX"]).rstrip("/")
        sign_in_store, answers, cache = self._sign_in_store, self._answers, self._cache
        redis_url = app.config.get("BILLFLOW_REDIS_URL")
        if redis_url and None in (sign_in_store, answers, cache):
            shared = _on_redis(str(redis_url), str(app.config.get("BILLFLOW_SECRET_KEY") or ""))
            sign_in_store = sign_in_store or shared.sign_in_store
            answers = answers or shared.answers
            cache = cache or shared.cache
        try:
            portal = Portal.from_config(
                app.config,
                mailer=_Mailer(self, app, SMTPMailer.from_config(app.config)),
                sign_in_store=sign_in_store,
                answers=answers,
                cache=cache,
            )
            templates = os.path.join(app.root_path, app.template_folder or "templates")
            api = PortalAPI(portal, prefix=prefix, template_dirs=[templates])
            ancestors = checked_frame_ancestors(app.config["BILLFLOW_FRAME_ANCESTORS"])
        except SettingsError as error:
            raise BillflowConfigError(
                f"Billflow: {error}; set it in app.config", param=error.param
            ) from None
        app.extensions["billflow"] = BillflowState(portal, api, self)
        app.register_blueprint(blueprint, url_prefix=prefix)
        # Flask-WTF: the API proves who asks in headers, not cookies. CSRFProtect set up
        # before Billflow is told now; one set up after, at each request, before its check.
        _exempt_from_csrf(app)
        app.before_request(lambda: _exempt_from_csrf(current_app))
        if None in (sign_in_store, answers, cache):
            app.before_request(_warn_of_many_processes)
        app.after_request(lambda response: _private_portal_page(response, ancestors))
        from .rendering import billflow_portal

        app.jinja_env.globals["billflow_portal"] = billflow_portal
        from .cli import billflow_cli

        app.cli.add_command(billflow_cli)  # `flask billflow ...` finds it by entry point too

    # -- callbacks -------------------------------------------------------------------------
    def identity_loader(self, loader: IdentityLoader) -> IdentityLoader:
        """Register who is logged in: a function answering their Stripe customer id (for a
        site that identifies by it; the strongest, bound on the server) or an email the app
        has verified is theirs, or None. The portal trusts its answer as the app's own word:
        never answer an email the user typed and nobody checked. It wins over Flask-Login's
        `current_user.email`; without Flask-Login it is needed."""
        self._identity_loader = loader
        return loader

    def mail_sender(self, sender: MailSender) -> MailSender:
        """Register how sign-in emails leave: a function taking an `EmailMessage` (its To,
        From and Subject set). Without one, `BILLFLOW_SMTP_HOST` and friends are used."""
        self._mail_sender = sender
        return sender

    def identity(self) -> str | None:
        """Who is logged in on this request. Raises `BillflowConfigError` when the app has
        given no way to know."""
        if self._identity_loader is not None:
            return self._identity_loader() or None
        try:
            from flask_login import current_user
        except ImportError:
            current_user = None
        if current_user is None or not hasattr(current_app, "login_manager"):
            raise BillflowConfigError(
                "Billflow cannot tell who is logged in: register @billflow.identity_loader "
                "(or use Flask-Login, whose current_user.email it reads)"
            )
        if not current_user.is_authenticated:
            return None
        verified = _verified_email(current_app.config.get("BILLFLOW_VERIFIED_EMAIL"))
        return verified(current_user._get_current_object()) or None

    def check_ready(self, app: Flask) -> None:
        """At first use: Flask-Login's email trusted with nothing vouching for it, or email
        sign-in on with no SMTP host and still no sender registered. Raises
        `BillflowConfigError` saying what to set."""
        if self._identity_loader is None and hasattr(app, "login_manager"):
            _verified_email(app.config.get("BILLFLOW_VERIFIED_EMAIL"))  # Flask-Login's email
        portal = get_state(app).portal
        mailer = portal.sign_in.mailer
        if portal.settings.email_sign_in and isinstance(mailer, _Mailer) and not mailer.ready():
            raise BillflowConfigError(
                "Billflow: BILLFLOW_EMAIL_SIGN_IN is on but nothing sends its emails: set "
                "BILLFLOW_SMTP_HOST or register @billflow.mail_sender"
            )


@dataclass
class _Mailer:
    """Sends through the app's `mail_sender` when it registered one, else SMTP from config;
    decided at each send, since the sender may be registered after `init_app`. The core
    sends from a worker thread: the app's context is pushed for the sender (Flask-Mail and
    anything reading `current_app` need it)."""

    extension: Billflow
    app: Flask
    smtp: SMTPMailer | None

    def ready(self) -> bool:
        return self.extension._mail_sender is not None or self.smtp is not None

    def send(self, message: EmailMessage) -> None:
        sender: Any = self.extension._mail_sender
        if sender is not None:
            with self.app.app_context():
                sender(message)
        elif self.smtp is not None:
            self.smtp.send(message)
        else:
            raise BillflowConfigError(
                "Billflow cannot send sign-in emails: set BILLFLOW_SMTP_HOST or register "
                "@billflow.mail_sender"
            )


def _verified_email(found: Any) -> Callable[[Any], str | None]:
    """`BILLFLOW_VERIFIED_EMAIL` as a function of Flask-Login's user: a callable (or its
    dotted path) answering the user's verified email or None, or `True` for "our signup
    verifies every email", which reads `user.email`. Anything else raises: an email a user
    can set to someone else's is not an identity."""
    if found is True:
        return lambda user: getattr(user, "email", None) or None
    if isinstance(found, str):
        try:
            found = import_string(found)
        except ImportError as error:
            raise BillflowConfigError(
                f"Billflow: BILLFLOW_VERIFIED_EMAIL names {found!r}, which cannot be "
                f"imported: {error}"
            ) from None
    if callable(found):
        return cast("Callable[[Any], str | None]", found)
    raise BillflowConfigError(
        "Billflow will not trust current_user.email unless the app vouches that it is "
        "verified: set BILLFLOW_VERIFIED_EMAIL to a function taking the user and answering "
        "their verified email (or None), or to True when your signup verifies every email; "
        "or register @billflow.identity_loader answering a verified email or a Stripe "
        "customer id (the strongest)"
    )


class _Shared(NamedTuple):
    sign_in_store: SignInStore
    answers: AnswerStore
    cache: SharedCache


def _on_redis(url: str, secret: str) -> _Shared:
    """The sign-in store, the answers and the cache on the Redis server at `url`."""
    from .redis_stores import RedisAnswers, RedisCache, RedisSignInStore, redis_client

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise BillflowConfigError(
            "Billflow: BILLFLOW_REDIS_URL must be a redis://, rediss:// or unix:// URL",
            param="BILLFLOW_REDIS_URL",
        )
    client = redis_client(url)
    return _Shared(RedisSignInStore(client), RedisAnswers(client, secret), RedisCache(client))


_warned: weakref.WeakSet[Flask] = weakref.WeakSet()


def _warn_of_many_processes() -> None:
    """Once per app: served by several processes with each keeping its own sign-in marks
    and answers, a used link works again on another process and a retried action is done
    again there."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app in _warned or not request.environ.get("wsgi.multiprocess"):
        return
    _warned.add(app)
    log.warning(
        "Billflow: this app runs in several processes, each with its own sign-in links, "
        "rate limits, action answers and plan catalog; set BILLFLOW_REDIS_URL so they share "
        "them"
    )


def _exempt_from_csrf(app: Flask) -> None:
    from .views import blueprint

    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(blueprint)


def _private_portal_page(response: Response, ancestors: tuple[str, ...]) -> Response:
    """A page whose rendering put a visitor's hash in it (`billflow_portal`) is theirs
    alone: no shared cache keeps it, and only the site (and `BILLFLOW_FRAME_ANCESTORS`)
    may frame it. Every other response is left as the app made it."""
    if g.get("billflow_private"):
        response.cache_control.private = True
        response.cache_control.public = False
        response.headers["Content-Security-Policy"] = with_frame_ancestors(
            response.headers.get("Content-Security-Policy"), ancestors
        )
    return response
