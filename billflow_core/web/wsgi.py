"""The portal's HTTP API as a WSGI app, for a host with no plugin (and for the demo)::

    app = make_wsgi_app(PortalAPI(Portal.from_config(os.environ)))

Requests outside the API's prefix go to `fallback` (another WSGI app, the site's own), or get
a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import BadInput
from .api import PortalAPI
from .http import MAX_BODY, Request, Response, error_response

__all__ = ["WSGIApp", "make_wsgi_app", "request_from_environ"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 402: "Payment Required",
            403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
            413: "Payload Too Large", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


def request_from_environ(environ: dict[str, Any]) -> Request:
    """A `Request` from a WSGI environ. A body over `MAX_BODY` is refused unread."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise BadInput("The request body is too large.", code="body_too_large")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    path = (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "/")
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path,
        headers=headers,
        query=environ.get("QUERY_STRING", ""),
        body=body,
        client_address=environ.get("REMOTE_ADDR") or None,
    )


def make_wsgi_app(api: PortalAPI, fallback: WSGIApp | None = None) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = (environ.get("SCRIPT_NAME") or "") + (environ.get("PATH_INFO") or "/")
        if fallback is not None and not path.startswith(api.prefix + "/"):
            return fallback(environ, start_response)
        try:
            response = api.handle(request_from_environ(environ))
        except BadInput as error:
            response = error_response(error)
            response = Response(413, response.body, response.headers)
        start_response(
            f"{response.status} {_REASONS.get(response.status, 'Unknown')}",
            [*response.headers, ("Content-Length", str(len(response.body)))],
        )
        return [response.body]

    return app
