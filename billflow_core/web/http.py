"""The plain request and response the portal's HTTP API speaks, so that every host (a Django
view, a Flask route, the bridge, the WSGI app here) adapts its own to the same two objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ..errors import BadInput, BillflowError, PayloadTooLarge

__all__ = [
    "MAX_BODY",
    "STATIC_FILES",
    "Request",
    "Response",
    "body_too_large",
    "error_response",
    "json_response",
]

MAX_BODY = 64 * 1024  # an action's body is a few fields; Stripe's webhooks stay far below too
MAX_DEPTH = 8  # an action's body is one flat object; anything much deeper is not a request

_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)


@dataclass(frozen=True)
class Request:
    """One request: `path` without the query string, header names in any case."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    query: str = ""
    body: bytes = b""
    client_address: str | None = None  # the client's IP address, for rate limits

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The body as JSON; an empty body is an empty object."""
        if len(self.body) > MAX_BODY:
            raise PayloadTooLarge("The request body is too large.")
        if not self.body.strip():
            return {}
        try:
            parsed = json.loads(self.body)
        # RecursionError: arrays or objects nested deeper than Python's stack, which fits
        # well within MAX_BODY (on the versions whose parser recurses).
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadInput("The request body is not valid JSON.", code="body_invalid") from None
        if _depth(parsed) > MAX_DEPTH:
            raise BadInput("The request body is nested too deeply.", code="body_invalid")
        return parsed


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, (dict, list)):
                if level + 1 > MAX_DEPTH:
                    return level + 1
                stack.append((child, level + 1))
        deepest = max(deepest, level)
    return deepest if isinstance(value, (dict, list)) else 0


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def json_response(
    payload: Any, status: int = 200, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(
        status,
        body,
        (
            ("Content-Type", "application/json; charset=utf-8"),
            ("Cache-Control", "no-store"),
            *_SECURITY_HEADERS,
            *headers,
        ),
    )


def error_response(error: BillflowError) -> Response:
    """The error shape every route answers: `{"error": {"code", "message"[, "field"]}}`."""
    headers: tuple[tuple[str, str], ...] = ()
    wait = getattr(error, "retry_after", None)
    if error.status == 429 or wait is not None:
        headers = (("Retry-After", str(wait if wait is not None else 2)),)
    return json_response(error.to_dict(), error.status, headers)


# The files the page loads, by the name the API serves them under, with their types.
STATIC_FILES = {
    "embed.js": "application/javascript; charset=utf-8",
    "portal.css": "text/css; charset=utf-8",
    "embed.d.ts": "application/typescript; charset=utf-8",  # the script's API, typed
}


def body_too_large() -> Response:
    """The 413 a host answers, in the error shape, for a body over `MAX_BODY`: judged from
    Content-Length before reading, or from reading at most one byte past the limit."""
    return error_response(PayloadTooLarge("The request body is too large."))
