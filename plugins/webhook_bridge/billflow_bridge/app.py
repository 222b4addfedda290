"""`create_app`: the bridge as a Flask app, built on `billflow_flask` so every portal rule
stays in the core. The portal's API is served under `BILLFLOW_URL_PREFIX` (`/billflow`) to
the site origins in `BILLFLOW_BRIDGE_ORIGINS` (CORS); each applied action's event is kept in
the outbox before the page is answered; the bridge's routes (`routes.py`) sit beside it, and
its admin page (`admin/`) under `/admin`."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from billflow_core import Forbidden
from billflow_core.web.http import error_response
from billflow_flask import Billflow
from billflow_flask import get_state as portal_state

from ._state import BridgeState
from .admin import access as admin_access
from .admin import blueprint as admin_page
from .config import BridgeConfig, load_config
from .database import connect
from .delivery import Deliverer
from .hooks import HookStore
from .outbox import Outbox
from .retries import RetrySchedule
from .routes import answer_errors, blueprint, token_session
from .stores import DatabaseAnswers, DatabaseCache, DatabaseSignInStore
from .worker import DeliveryWorker

__all__ = ["create_app"]

# What the portal script sends besides a plain request: its identity, page and session
# headers and the action's Idempotency-Key.
_CORS_HEADERS = (
    "accept-language, content-type, idempotency-key, x-billflow-identity, x-billflow-hash, "
    "x-billflow-page, x-billflow-session, x-billflow-subscription"
)


def create_app(
    config: BridgeConfig | None = None,
    *,
    config_file: str | None = None,
    clock: Callable[[], float] = time.time,
    schedule: RetrySchedule | None = None,
    deliver: bool = False,
) -> Flask:
    """The bridge app for `config` (else read from `config_file` and the environment).
    `deliver`: run a delivery worker in a thread of this process (`billflow bridge serve`
    does; tests call the deliverer themselves). `clock` and `schedule` are the deliverer's,
    injectable so tests move time. Raises `BridgeConfigError`."""
    config = config or load_config(config_file)
    app = Flask("billflow_bridge")
    app.config.update(config.portal)
    app.config.setdefault("BILLFLOW_URL_PREFIX", "/billflow")
    engine = connect(config.database_url)
    # Every bridge process shares the portal's state through the database.
    billflow = Billflow(sign_in_store=DatabaseSignInStore(engine), answers=DatabaseAnswers(engine),
                        cache=DatabaseCache(engine))  # fmt: skip
    billflow.identity_loader(lambda: None)  # pages prove who they are: a token or a hash
    billflow.init_app(app)
    deliverer = Deliverer(engine, config, clock=clock, schedule=schedule)
    worker = DeliveryWorker(deliverer) if deliver else None
    outbox = Outbox(
        engine,
        config.targets,
        clock=clock,
        on_recorded=worker.wake if worker else None,
        stripe_events=config.stripe_events,
    )
    portal = portal_state(app).portal
    portal.on_event(outbox.record)
    prefix = str(app.config["BILLFLOW_URL_PREFIX"]).rstrip("/")
    tokens = config.login_tokens.checker() if config.login_tokens is not None else None
    app.extensions["billflow_bridge"] = BridgeState(
        config, engine, portal, outbox, deliverer, clock, prefix,
        HookStore(engine, clock=clock), worker, tokens,
    )  # fmt: skip
    app.register_blueprint(blueprint)
    if config.admin_key is not None:  # without the key, there is no admin page at all
        admin_access.install(app, config.admin_key)
        app.register_blueprint(admin_page)
    app.add_url_rule(f"{prefix}/api/token-session", "billflow_bridge_token_session",
                     answer_errors(token_session), methods=["POST"])  # fmt: skip
    if config.proxy_hops:
        # The visitor's address (rate limits count it) and scheme (the admin cookie's
        # Secure) as the proxies in front saw them.
        hops = config.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    origins = frozenset(config.origins)
    app.before_request(lambda: _preflight(prefix, origins))
    app.after_request(lambda response: _cors(response, prefix, origins))
    if worker is not None:
        worker.start()
    return app


def _under(prefix: str) -> bool:
    return request.path.startswith(prefix + "/")


def _preflight(prefix: str, origins: frozenset[str]) -> Response | None:
    """Answer a CORS preflight for the portal's API: allowed for the site's origins only."""
    if request.method != "OPTIONS" or not _under(prefix):
        return None
    origin = (request.headers.get("Origin") or "").lower()
    if origin not in origins:
        refused = error_response(
            Forbidden(
                "This origin may not use the portal: add it to BILLFLOW_BRIDGE_ORIGINS.",
                code="origin_not_allowed",
            )
        )
        return Response(refused.body, status=refused.status, headers=list(refused.headers))
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST"
    response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    return response


def _cors(response: Response, prefix: str, origins: frozenset[str]) -> Response:
    """Let an allowed site origin read the portal API's answers (no cookies are involved:
    identity travels in headers)."""
    if not _under(prefix):
        return response
    response.vary.add("Origin")
    origin = (request.headers.get("Origin") or "").lower()
    if origin in origins:
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    return response
