"""The portal's HTTP API and Stripe's webhooks, served by Django: each request adapted to
the core's and its answer back. Identity travels in the page's headers (the hash this app
made), never in Django's session cookie, so no CSRF token is needed."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from wagtail.models import Site

from billflow_core.web import Request
from billflow_core.web.http import MAX_BODY, Response, body_too_large

from .identity import client_address_of
from .portals import BillflowNotConfigured, api_for_site

log = logging.getLogger(__name__)

__all__ = ["portal_api"]


@csrf_exempt
def portal_api(request: HttpRequest, route: str) -> HttpResponse:
    site = Site.find_for_request(request)
    try:
        if site is None:
            raise BillflowNotConfigured(f"no Wagtail site serves {request.get_host()!r}")
        api = api_for_site(site)
    except BillflowNotConfigured as error:
        log.error("the billing portal cannot answer: %s", error)
        return JsonResponse(
            {"error": {"code": "not_configured",
                       "message": "The billing portal is not set up on this site."}},
            status=503,
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
        )  # fmt: skip
    body = _capped_body(request)
    if body is None:
        return _django_response(body_too_large())
    answer = api.handle(
        Request(
            method=request.method or "GET",
            path=request.path,
            headers=dict(request.headers),
            query=request.META.get("QUERY_STRING", ""),
            body=body,
            client_address=client_address_of(request),
        )
    )
    return _django_response(answer)


def _capped_body(request: HttpRequest) -> bytes | None:
    """The body, or None when it is over `MAX_BODY`. `request.body` would read all of it
    (up to Django's 2.5 MB) before anything could refuse it: a Content-Length over the
    limit is refused unread, and a body without one is read one byte past it at most."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


def _django_response(answer: Response) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers:
        response[name] = value
    return response
