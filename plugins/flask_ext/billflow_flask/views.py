"""The blueprint serving the portal's HTTP API, script and stylesheet, and Stripe's webhook:
each Flask request adapted to the core's, its answer back. Identity travels in the page's
headers (the hash the app made), not in a cookie, so Flask-WTF's CSRF check is waived for
it."""

from __future__ import annotations

from flask import Blueprint, Response, request

from billflow_core.web import Request

from .extension import state

__all__ = ["blueprint"]

blueprint = Blueprint("billflow", __name__, template_folder="templates")

_METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"]


@blueprint.route("/<path:route>", methods=_METHODS)
def portal_api(route: str) -> Response:
    answer = state().api.handle(
        Request(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            query=request.query_string.decode("latin-1"),
            body=request.get_data(cache=False),
            client_address=request.remote_addr,
        )
    )
    return Response(answer.body, status=answer.status, headers=list(answer.headers))
