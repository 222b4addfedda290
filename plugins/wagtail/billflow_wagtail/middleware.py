"""`billflow_wagtail.middleware.PrivatePortalPages`: a page that carries a logged-in
visitor's hash is theirs alone; this marks it `Cache-Control: private`, so no shared cache
(a CDN, a proxy) hands it to someone else. Add it to `MIDDLEWARE`."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

__all__ = ["PrivatePortalPages"]


class PrivatePortalPages:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "billflow_private", False):
            patch_cache_control(response, private=True)
        return response
