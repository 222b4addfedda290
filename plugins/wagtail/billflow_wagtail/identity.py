"""Who is logged in, as the portal names them: the Django user's email by default, or the
Stripe customer id `BILLFLOW_CUSTOMER_ID` finds (for teams and tenants, where many users
share one customer). Nothing here ever trusts what the page sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

__all__ = ["client_address_of", "customer_id_finder", "identity_of"]


def customer_id_finder() -> Callable[[HttpRequest], str | None] | None:
    """`BILLFLOW_CUSTOMER_ID`: a callable (or its dotted path) taking the request and
    answering the logged-in user's Stripe customer id, or None when they have none."""
    found: Any = getattr(settings, "BILLFLOW_CUSTOMER_ID", None)
    if isinstance(found, str):
        found = import_string(found)
    return cast("Callable[[HttpRequest], str | None] | None", found)


def identity_of(request: HttpRequest) -> str | None:
    """The identity of `request`'s logged-in user, or None for an anonymous visitor (and a
    user with neither an email nor a customer id)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    finder = customer_id_finder()
    if finder is not None:
        return finder(request) or None
    return getattr(user, "email", "") or None


def client_address_of(request: HttpRequest) -> str | None:
    """The visitor's IP address, for the sign-in rate limits: `BILLFLOW_CLIENT_ADDRESS` (a
    callable, or its dotted path, taking the request) where a reverse proxy stands in front,
    else `REMOTE_ADDR`."""
    found: Any = getattr(settings, "BILLFLOW_CLIENT_ADDRESS", None)
    if isinstance(found, str):
        found = import_string(found)
    if found is not None:
        return cast("str | None", found(request)) or None
    return request.META.get("REMOTE_ADDR") or None
