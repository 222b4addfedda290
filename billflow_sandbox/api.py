"""The Stripe API as a plain function: a request in, a response out.

Order matters and follows Stripe: the route, then the key, then injected faults, then the
parameters, then the idempotency key, and only then the handler, under the state lock. A
request that fails before the handler runs leaves nothing behind, not even an idempotent
answer, as Stripe documents.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .api_objects import expand, render
from .context import Context
from .controls import Controls, LoggedRequest
from .errors import StripeError, authentication_failed, not_implemented, refuse_unimplemented
from .formdata import decode
from .params import check
from .read_params import RequestParams
from .routing import Route, match
from .state import API_VERSION, State, random_token

log = logging.getLogger(__name__)

JSON = dict[str, Any]
__all__ = ["API_VERSION", "Api", "Response", "api_key_of"]

IDEMPOTENCY_KEY_LIFETIME = 24 * 3600


@dataclass
class Response:
    """An answer for the HTTP layer; `drop` closes the connection unanswered."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0
    read: frozenset[str] = frozenset()  # the top-level parameters the handler read
    held: Any = None  # the held fault whose release the answer waits for


def _json_response(status: int, body: JSON, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, indent=2).encode()
    return Response(status, payload, {"Content-Type": "application/json", **(headers or {})})


def _error_body(error: StripeError, request_id: str) -> JSON:
    """Stripe's error body, which links every failure to its request log."""
    body = error.body()
    body["error"]["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
    return body


_VERSION_SHAPE = re.compile(r"(\d{4}-\d{2}-\d{2})(\.[a-z]+)?")


def check_api_version(version: str | None) -> None:
    """A request's `Stripe-Version`. Stripe refuses a version that does not exist; the
    sandbox answers in one version only, the one stripe-python 16 pins (`API_VERSION`), and
    refuses an older one by name rather than answer in shapes that version never had."""
    if version is None or version == API_VERSION:
        return
    found = _VERSION_SHAPE.fullmatch(version)
    try:
        day = dt.date.fromisoformat(found[1]) if found else None
    except ValueError:
        day = None
    if day is None or day > dt.date.fromisoformat(API_VERSION[:10]):
        raise StripeError(f"Invalid Stripe API version: {version}")
    raise StripeError(
        f"The Billflow sandbox does not implement API version {version}: it answers as "
        f"{API_VERSION}, the version stripe-python pins. Leave Stripe-Version out or send that."
    )


def api_key_of(headers: dict[str, str]) -> str | None:
    """The key a request authenticates with: Stripe takes it as a bearer token or as the
    basic-auth user name (as `curl -u sk_test_…:` sends it)."""
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except ValueError:
            return None
    return None


class Api:
    """Dispatches requests to the handlers of `routes` over one `State`."""

    def __init__(
        self,
        state: State,
        controls: Controls,
        routes: list[Route],
        *,
        secret_key: str,
        publishable_key: str,
        on_events: Callable[[list[JSON]], None] | None = None,
    ) -> None:
        self.state = state
        self.controls = controls
        self.routes = routes
        self.secret_key = secret_key
        self.publishable_key = publishable_key
        self.on_events = on_events

    def handle(
        self,
        method: str,
        path: str,
        query: str,
        body: bytes,
        headers: dict[str, str],
        base_url: str,
    ) -> Response:
        """Answer one request; never raises (a failure of the sandbox itself is a 500)."""
        headers = {k.lower(): v for k, v in headers.items()}
        request_id = "req_" + random_token(14)
        found = match(self.routes, method, path)
        if found is None:
            error = StripeError(
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://docs.stripe.com or we can help at https://support.stripe.com/.",
                status=404,
            )
            return self._finish(method, path, f"{method} (unmatched)", error, {}, None, request_id)
        route, args = found
        raw_query = query if method in ("GET", "DELETE") else body.decode("utf-8", "replace")
        idempotency_key = headers.get("idempotency-key") if method == "POST" else None
        logged: JSON = {}
        try:
            key = api_key_of(headers)
            if key != self.secret_key and not (route.publishable and key == self.publishable_key):
                if key is None:
                    raise StripeError(
                        "You did not provide an API key. You need to provide your API key in "
                        "the Authorization header, using Bearer auth "
                        "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
                        status=401,
                    )
                raise authentication_failed(key)
            check_api_version(headers.get("stripe-version"))
            fault = self.controls.take_fault(route.name, method, path)
            delay = self.controls.latency
            # "slow" and "drop_answer" let the request through, then spoil its answer.
            if fault is not None and fault.kind not in ("slow", "drop_answer"):
                response = self._fault_response(fault.kind, request_id, fault.seconds)
                response.delay += delay
                self.controls.record(
                    LoggedRequest(
                        method, path, route.name, response.status, {}, idempotency_key,
                        fault=fault.kind,
                    )
                )  # fmt: skip
                return response
            if fault is not None:
                delay += fault.seconds
            params = decode(raw_query)
            logged = params
            checked = check(route.params, params) if route.params is not None else params
            if route.implemented is not None:
                refuse_unimplemented(checked, route.implemented)
            response = self._run(
                route,
                args,
                checked,
                idempotency_key,
                key == self.publishable_key,
                base_url,
                request_id,
                method,
                path,
            )
            response.delay += delay
            response.held = fault if fault is not None and fault.release is not None else None
            response.headers["Request-Id"] = request_id
            # The request was carried out; only its answer is lost on the way back.
            response.drop = fault is not None and fault.kind == "drop_answer"
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            self.controls.record(
                LoggedRequest(
                    method,
                    path,
                    route.name,
                    response.status,
                    logged,
                    idempotency_key,
                    replayed,
                    fault=fault.kind if fault is not None else None,
                    reads_only=route.reads_only,
                    read=response.read,
                    delay=response.delay,
                )
            )
            return response
        except StripeError as error:
            return self._finish(
                method, path, route.name, error, logged, idempotency_key, request_id
            )
        except Exception:
            # A bug in the sandbox, not a Stripe behaviour: say so loudly, answer as Stripe
            # answers its own failures.
            log.exception("sandbox failure on %s %s", method, path)
            failure = StripeError(
                "An unknown error occurred in the sandbox.", status=500, type="api_error"
            )
            return self._finish(
                method, path, route.name, failure, logged, idempotency_key, request_id
            )

    # -------------------------------------------------------------------------------------
    def _run(
        self,
        route: Route,
        args: dict[str, str],
        params: JSON,
        idempotency_key: str | None,
        publishable: bool,
        base_url: str,
        request_id: str,
        method: str,
        path: str,
    ) -> Response:
        fingerprint = hashlib.sha256(
            json.dumps([method, path, params], sort_keys=True, default=str).encode()
        ).hexdigest()
        with self.state.lock:
            if idempotency_key is not None:
                stored = self.state.idempotency.get(idempotency_key)
                if stored is not None:
                    if stored["fingerprint"] != fingerprint:
                        raise StripeError(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{idempotency_key}' if you meant to execute a different request.",
                            type="idempotency_error",
                        )
                    return Response(
                        stored["status"],
                        stored["body"].encode(),
                        {
                            "Content-Type": "application/json",
                            "Idempotent-Replayed": "true",
                            "Original-Request": stored["request_id"],
                        },
                    )
            ctx = Context(self.state, args, base_url, request_id, idempotency_key, publishable)
            params = RequestParams(params)
            paths = params.get("expand", [])
            # A refused write changes nothing: the state records what the request touches
            # so it can be put back. Card errors (402) are the exception, as on Stripe: the
            # failed attempt stays recorded on the intent and the invoice, and is announced.
            if method != "GET":
                self.state.begin()
            try:
                result = route.handler(ctx, params)
                ignored = params.unread()
                if ignored:
                    # Accepted and never looked at: refused and undone, not silently dropped.
                    raise not_implemented(min(ignored), when="for this request")
            except StripeError as error:
                if error.status != 402:
                    ctx.events.clear()
                    self.state.rollback()
                if error.status >= 500:
                    raise
                response = _json_response(error.status, _error_body(error, request_id))
                response.read = frozenset(params.read)
            except Exception:
                self.state.rollback()
                raise
            else:
                try:
                    shown = expand(self.state, render(self.state, result), paths)
                except StripeError:
                    # Stripe refuses an impossible `expand[]` before acting on the request.
                    self.state.rollback()
                    raise  # a bad parameter: no event, no idempotent answer
                response = _json_response(200, shown)
                response.read = frozenset(params.read)
            finally:
                self.state.commit()
            if idempotency_key is not None:
                self._forget_expired_keys()
                self.state.idempotency[idempotency_key] = {
                    "fingerprint": fingerprint,
                    "status": response.status,
                    "body": response.body.decode(),
                    "request_id": request_id,
                    "created": int(time.time()),
                }
            events = self.publish(ctx)
            if method != "GET":
                self.state.save()
        if events and self.on_events is not None:
            self.on_events(events)
        return response

    def _forget_expired_keys(self) -> None:
        """Stripe keeps idempotency keys for 24 hours; stripe-python sends one with every
        POST, so without expiry a long benchmark would hold every answer forever."""
        cutoff = int(time.time()) - IDEMPOTENCY_KEY_LIFETIME
        stored = self.state.idempotency
        if stored and next(iter(stored.values()))["created"] < cutoff:
            for key in [k for k, v in stored.items() if v["created"] < cutoff]:
                del stored[key]

    def publish(self, ctx: Context) -> list[JSON]:
        """Record the events a successful request queued; returns them for delivery."""
        from .engine.event_records import record_event

        return [
            record_event(self.state, pending, ctx.request_id, ctx.idempotency_key)
            for pending in ctx.events
        ]

    def _fault_response(self, kind: str, request_id: str, seconds: float = 0.0) -> Response:
        if kind == "500":
            error = StripeError("An unknown error occurred", status=500, type="api_error")
            return _json_response(500, _error_body(error, request_id), {"Request-Id": request_id})
        if kind == "429":
            error = StripeError(
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://docs.stripe.com/rate-limits.",
                status=429,
                code="rate_limit",
            )
            return _json_response(
                429,
                _error_body(error, request_id),
                {
                    "Request-Id": request_id,
                    "Stripe-Rate-Limited-Reason": "global-rate",
                    # The fault's seconds: when the client may try again.
                    "Retry-After": f"{seconds:g}",
                },
            )
        return Response(0, b"", drop=True)  # "drop": the request never arrives

    def _finish(
        self,
        method: str,
        path: str,
        route_name: str,
        error: StripeError,
        params: JSON,
        idempotency_key: str | None,
        request_id: str,
    ) -> Response:
        delay = self.controls.latency  # refusals take Stripe's time too
        self.controls.record(
            LoggedRequest(
                method, path, route_name, error.status, params, idempotency_key, delay=delay
            )
        )
        response = _json_response(
            error.status, _error_body(error, request_id), {"Request-Id": request_id}
        )
        response.delay = delay
        return response
