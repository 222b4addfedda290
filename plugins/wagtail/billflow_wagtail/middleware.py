"""`billflow_wagtail.middleware.PrivatePortalPages`: a page that carries a logged-in
visitor's page token is theirs alone; this marks it `Cache-Control: private`, so no shared cache
(a CDN, a proxy) hands it to someone else, and lets only the site itself (and the origins
of `BILLFLOW_FRAME_ANCESTORS`) frame it. Add it to `MIDDLEWARE`. Other pages are left as
they are."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from billflow_core.web.framing import checked_frame_ancestors, with_frame_ancestors

__all__ = ["PrivatePortalPages"]


class PrivatePortalPages:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        try:
            self.frame_ancestors = checked_frame_ancestors(
                getattr(settings, "BILLFLOW_FRAME_ANCESTORS", ())
            )
        except ValueError as error:
            raise ImproperlyConfigured(str(error)) from None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "billflow_private", False):
            patch_cache_control(response, private=True)
            response["Content-Security-Policy"] = with_frame_ancestors(
                response.get("Content-Security-Policy"), self.frame_ancestors
            )
        return response
