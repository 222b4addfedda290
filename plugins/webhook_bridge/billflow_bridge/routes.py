"""The bridge's own routes beside the portal's API: minting a hash for a site's backend or
no-code workflow, the admin's view of deliveries, and health checks for the host.

    POST /v1/hash                        API key    {"email"} or {"customer_id"}
    GET  /v1/deliveries?status=&limit=   admin key
    POST /v1/deliveries/{id}/retry       admin key
    POST /v1/targets/enable              admin key  {"url"}: a switched-off target back on
    GET  /v1/me                          hooks key  Zapier's authentication test
    POST /v1/hooks, GET /v1/hooks, DELETE /v1/hooks/{id}   hooks key  REST hooks
    GET  /v1/samples, GET /v1/samples/{event}              hooks key  one sample delivery
    POST {prefix}/api/token-session      (the page) {"token"}: a login token for a session
    GET  /healthz                        the process answers
    GET  /readyz                         the database answers and its tables are current

`/v1/hash` is for servers only (a site's backend, a Bubble or Softr workflow, Zapier): its
key mints a hash for anyone, so it must never reach a browser. Every error is the portal's
JSON error shape.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from billflow_core import BadInput, BillflowError, Forbidden, NotFound, RateLimited
from billflow_core.encoding import digest
from billflow_core.rate_limits import take
from billflow_core.web.embed import embed_snippet
from billflow_core.web.http import error_response

from ._state import BridgeState, bridge_state
from .config import checked_url
from .database import is_ready, pending_migrations
from .delivery_log import STATUSES, delivery_page
from .errors import BridgeConfigError
from .keys import KeyRefused, Scope, check_key
from .samples import event_types, sample

__all__ = ["answer_errors", "blueprint", "token_session"]

blueprint = Blueprint("billflow_bridge", __name__)

_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
_CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]+")
_MAX_BODY = 4096
_EXCHANGES = 30  # login tokens exchanged per minute from one address
_WRONG_KEYS = 30  # wrong keys a minute from one address, whatever their scope


def answer_errors(view: Callable[[], Response]) -> Callable[[], Response]:
    """`view`, answering the portal's JSON error for a `BillflowError` it raises: for a
    route outside this blueprint (the token exchange lives under the portal's prefix)."""

    @functools.wraps(view)
    def answered() -> Response:
        try:
            return view()
        except BillflowError as error:
            return _error(error)

    return answered


@blueprint.errorhandler(BillflowError)
def _error(error: BillflowError) -> Response:
    answer = error_response(error)
    response = Response(answer.body, status=answer.status, headers=list(answer.headers))
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="billflow-bridge"'
    return response


def _keyed(scope: Scope) -> BridgeState:
    """The bridge, once the request carries the key of `scope` (401 otherwise). After
    thirty wrong keys in a minute from one address, every key from it waits for the next
    minute (429), so none can be guessed."""
    state = bridge_state()
    store = state.portal.sign_in.store
    now = int(state.clock())
    wrong = f"billflow:rate:wrong-key:{digest(request.remote_addr or '')}:{now // 60}"
    if store.count(wrong) >= _WRONG_KEYS:
        raise RateLimited("Too many wrong keys from here; try again in a minute.",
                          code="rate_limited", retry_after=60 - now % 60)  # fmt: skip
    try:
        check_key(state.config, scope, request.headers.get("Authorization"))
    except KeyRefused:
        store.incr(wrong, 60)
        raise
    return state


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _body() -> dict[str, Any]:
    # Never more than the limit is read, however much is sent.
    raw = request.stream.read(_MAX_BODY + 1)
    if len(raw) > _MAX_BODY:
        raise BadInput("The request body is too large.", code="body_too_large")
    try:
        found = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadInput("The request body must be JSON.", code="body_invalid") from None
    if not isinstance(found, dict):
        raise BadInput("The request body must be a JSON object.", code="body_invalid")
    return found


# -- hashes -------------------------------------------------------------------------------
@blueprint.post("/v1/hash")
def mint_hash() -> Response:
    """The expiring hash and the embed snippet for one identity, for a server to put in
    the page it serves its logged-in user (Bubble's API Connector reads this answer)."""
    state = _keyed("api")
    portal = state.portal
    identity = _identity(_body(), portal.settings.identify_by)
    minted = portal.identity_hash(identity)  # "<expires_at>.<hex>", the expiring form
    prefix = request.url_root.rstrip("/") + state.prefix
    return _json(
        200,
        {
            "identity": identity,
            "hash": minted,
            "expires_at": int(minted.partition(".")[0]),
            "embed_html": str(embed_snippet(portal, identity, prefix=prefix)),
        },
    )


def _identity(body: dict[str, Any], identify_by: str) -> str:
    unknown = set(body) - {"email", "customer_id"}
    if unknown:
        raise BadInput(f"Unknown field {sorted(unknown)[0]!r}.", code="unknown_field",
                       field=sorted(unknown)[0])  # fmt: skip
    if len(body) != 1:
        raise BadInput("Send one of email or customer_id.", code="identity_required",
                       field="email")  # fmt: skip
    [(field, value)] = body.items()
    if field != identify_by:
        raise BadInput(
            f"This site identifies customers by {identify_by}, so send {identify_by}.",
            code="identity_kind",
            field=field,
        )
    pattern = _EMAIL if field == "email" else _CUSTOMER_ID
    if not isinstance(value, str) or len(value) > 254 or not pattern.fullmatch(value):
        what = "an email address" if field == "email" else "a Stripe customer id (cus_…)"
        raise BadInput(f"{field} must be {what}.", code=f"{field}_invalid", field=field)
    return value


# -- login tokens -------------------------------------------------------------------------
def token_session() -> Response:
    """`POST {prefix}/api/token-session` `{"token"}`, from the page: the site's login token
    exchanged for a vouched session (`X-Billflow-Session`), good while the token is and at
    most 15 minutes."""
    state = bridge_state()
    if state.tokens is None:
        raise Forbidden(
            "This bridge takes no login tokens: set BILLFLOW_BRIDGE_JWT_PROVIDER.",
            code="feature_disabled",
        )
    if (request.mimetype or "") != "application/json":
        raise BadInput("Send the request body as application/json.", code="content_type_invalid")
    body = _body()
    unknown = sorted(set(body) - {"token"})
    if unknown:
        raise BadInput(f"Unknown field {unknown[0]!r}.", code="unknown_field", field=unknown[0])
    portal = state.portal
    # Each exchange may fetch keys or ask the provider's API: a few a minute per address.
    minute = int(state.clock()) // 60
    asker = digest(request.remote_addr or "")
    limit = [(f"billflow:rate:token:{asker}:{minute}", _EXCHANGES)]
    if not take(portal.sign_in.store, limit, 60):
        raise RateLimited(
            "Too many sign-ins at once; try again in a minute.",
            code="rate_limited",
            retry_after=60 - int(state.clock()) % 60,
        )
    vouched = state.tokens.check(body.get("token"), identify_by=portal.settings.identify_by)
    session, ends = portal.vouched_session(vouched.identity, expires_at=vouched.expires_at)
    return _json(200, {"session": session, "expires_at": ends})


# -- REST hooks (Zapier) --------------------------------------------------------------------
@blueprint.get("/v1/me")
def me() -> Response:
    """What Zapier's authentication test asks: 200 for a good hooks key."""
    _keyed("hooks")
    return _json(200, {"object": "key", "scope": "hooks"})


@blueprint.post("/v1/hooks")
def subscribe_hook() -> Response:
    state = _keyed("hooks")
    body = _body()
    unknown = sorted(set(body) - {"target_url", "event"})
    if unknown:
        raise BadInput(f"Unknown field {unknown[0]!r}.", code="unknown_field", field=unknown[0])
    event = body.get("event")
    if event not in event_types(state.config.stripe_events):
        raise BadInput("event must be one of the types GET /v1/samples lists.",
                       code="event_invalid", field="event")  # fmt: skip
    url = body.get("target_url")
    try:
        checked = checked_url(url, "target_url")
    except BridgeConfigError:
        raise BadInput("target_url must be an http(s) URL without credentials.",
                       code="target_url_invalid", field="target_url") from None  # fmt: skip
    return _json(201, state.hooks.subscribe(checked, str(event)))


@blueprint.get("/v1/hooks")
def list_hooks() -> Response:
    state = _keyed("hooks")
    return _json(200, {"object": "list", "data": state.hooks.all()})


@blueprint.delete("/v1/hooks/<hook_id>")
def delete_hook(hook_id: str) -> Response:
    state = _keyed("hooks")
    if not state.hooks.delete(hook_id):
        raise NotFound("No hook has this id.", code="hook_not_found")
    return Response(status=204)


@blueprint.get("/v1/samples")
def list_event_types() -> Response:
    state = _keyed("hooks")
    return _json(200, {"object": "list", "data": event_types(state.config.stripe_events)})


@blueprint.get("/v1/samples/<event>")
def event_sample(event: str) -> Response:
    """One realistic delivery of `event`, in a list (Zapier's `performList`)."""
    state = _keyed("hooks")
    if event not in event_types(state.config.stripe_events):
        raise NotFound("There is no such event type here.", code="event_not_found")
    return _json(200, [sample(event)])


# -- deliveries ---------------------------------------------------------------------------
@blueprint.get("/v1/deliveries")
def list_deliveries() -> Response:
    state = _keyed("admin")
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise BadInput(f"status must be one of {', '.join(STATUSES)}.", code="status_invalid",
                       field="status")  # fmt: skip
    limit = _number(request.args.get("limit"), "limit", default=20, most=100)
    after = request.args.get("starting_after")
    starting_after = _number(after, "starting_after", default=0, most=2**62) if after else None
    return _json(200, delivery_page(state.engine, status=status, limit=limit,
                                    starting_after=starting_after))  # fmt: skip


@blueprint.post("/v1/deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> Response:
    state = _keyed("admin")
    if not state.deliverer.retry_now(delivery_id):
        raise NotFound("No waiting or failed delivery has this id.", code="delivery_not_found")
    state.wake()
    return _json(200, {"id": delivery_id, "status": "pending"})


@blueprint.post("/v1/targets/enable")
def switch_target_on() -> Response:
    state = _keyed("admin")
    url = _body().get("url")
    if not isinstance(url, str) or url not in state.deliverer.targets:
        raise NotFound("No configured target has this URL.", code="target_not_found", field="url")
    state.deliverer.switch_on(url)
    state.wake()
    return _json(200, {"url": url, "disabled": False})


def _number(raw: str | None, field: str, *, default: int, most: int) -> int:
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
        raise BadInput(f"{field} must be a whole number from 1 to {most}.",
                       code=f"{field}_invalid", field=field)  # fmt: skip
    return int(raw)


# -- health -------------------------------------------------------------------------------
@blueprint.get("/healthz")
def healthz() -> Response:
    return _json(200, {"status": "ok"})


@blueprint.get("/readyz")
def readyz() -> Response:
    engine = bridge_state().engine
    if not is_ready(engine):
        return _json(503, {"status": "database_unreachable"})
    pending = pending_migrations(engine)
    if pending:
        return _json(503, {"status": "migrations_pending", "pending": pending})
    return _json(200, {"status": "ready"})
