"""The blueprint serving the portal's HTTP API, script and stylesheet, and Stripe's webhook:
each Flask request adapted to the core's, its answer back. Identity travels in the page's
headers (the hash the app made), not in a cookie, so Flask-WTF's CSRF check is waived for
it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from billflow_core.web import Request
from billflow_core.web.http import MAX_BODY, body_too_large

from ._state import state

__all__ = ["blueprint"]

blueprint = Blueprint("billflow", __name__, template_folder="templates")

# HEAD and OPTIONS are Flask's to answer (HEAD as GET without the body).
_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH"]


@blueprint.before_request
def _ready() -> None:
    state().extension.check_ready(current_app._get_current_object())  # type: ignore[attr-defined]


@blueprint.route("/<path:route>", methods=_METHODS)
def portal_api(route: str) -> Response:
    try:
        body = request.stream.read(MAX_BODY + 1)  # never more, whatever the app allows
    except RequestEntityTooLarge:  # over the app's own MAX_CONTENT_LENGTH, where smaller
        return _too_large()
    if len(body) > MAX_BODY or (request.content_length or 0) > MAX_BODY:
        return _too_large()
    answer = state().api.handle(
        Request(
            method="GET" if request.method == "HEAD" else request.method,
            path=request.path,
            headers=dict(request.headers),
            query=request.query_string.decode("latin-1"),
            body=body,
            client_address=request.remote_addr,
        )
    )
    return Response(answer.body, status=answer.status, headers=list(answer.headers))


def _too_large() -> Response:
    """413 `body_too_large` as the portal's API says it (JSON the page reads), not Flask's
    HTML page."""
    refused = body_too_large()
    return Response(refused.body, status=refused.status, headers=list(refused.headers))
