"""Who is logged in, as the portal names them: the Stripe customer id `BILLFLOW_CUSTOMER_ID`
finds (for teams and tenants, where many users share one customer), or the user's email
when the site vouches that it is theirs. Nothing here ever trusts what the page sends.

An email is an identity only when no other user can claim it: Wagtail lets every admin user
set their own email at /admin/account/ without any check, so a user who types a customer's
address there must not get that customer's portal. The site vouches with
`BILLFLOW_VERIFIED_EMAIL` (a callable answering the request's verified email, or `True`
for "our signup verifies every email"), or by switching Wagtail's email changes off
(`WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False`). Other ways a user's email can change (the
Django admin, the site's own forms) stay the site's business."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .portals import BillflowNotConfigured

__all__ = [
    "UNVERIFIED_EMAIL",
    "client_address_of",
    "customer_id_finder",
    "email_is_vouched",
    "identity_of",
    "verified_email_finder",
]

UNVERIFIED_EMAIL = (
    "The billing portal identifies customers by email, but nothing vouches that a user's "
    "email is theirs: any Wagtail user can set theirs to a customer's at /admin/account/. "
    "Set BILLFLOW_CUSTOMER_ID (the strongest: a customer id bound on the server), or "
    "BILLFLOW_VERIFIED_EMAIL (a function taking the request and answering the user's "
    "verified email, or True when the site's signup verifies every email), or "
    "WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False in Django's settings."
)


def customer_id_finder() -> Callable[[HttpRequest], str | None] | None:
    """`BILLFLOW_CUSTOMER_ID`: a callable (or its dotted path) taking the request and
    answering the logged-in user's Stripe customer id, or None when they have none."""
    found: Any = getattr(settings, "BILLFLOW_CUSTOMER_ID", None)
    if isinstance(found, str):
        found = import_string(found)
    return cast("Callable[[HttpRequest], str | None] | None", found)


def verified_email_finder() -> Callable[[HttpRequest], str | None] | None:
    """`BILLFLOW_VERIFIED_EMAIL` as a callable taking the request and answering the user's
    verified email (or None); `True` reads `request.user.email`. None when it is unset and
    Wagtail's email changes are on: then no email is an identity."""
    found: Any = getattr(settings, "BILLFLOW_VERIFIED_EMAIL", None)
    if found is True or (found is None and not _wagtail_changes_emails()):
        return _user_email
    if found is None or found is False:
        return None
    if isinstance(found, str):
        found = import_string(found)
    if not callable(found):
        raise BillflowNotConfigured(
            "BILLFLOW_VERIFIED_EMAIL must be a callable, its dotted path, or True."
        )
    return cast("Callable[[HttpRequest], str | None]", found)


def email_is_vouched() -> bool:
    """Whether the settings say how to trust an email (for the system check)."""
    found: Any = getattr(settings, "BILLFLOW_VERIFIED_EMAIL", None)
    return (found is not None and found is not False) or not _wagtail_changes_emails()


def identity_of(request: HttpRequest) -> str | None:
    """The identity of `request`'s logged-in user, or None for an anonymous visitor (and a
    user with neither a verified email nor a customer id). Raises `BillflowNotConfigured`
    when the site identifies by email and vouches for no email."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    finder = customer_id_finder()
    if finder is not None:
        return finder(request) or None
    verified = verified_email_finder()
    if verified is None:
        raise BillflowNotConfigured(UNVERIFIED_EMAIL)
    return verified(request) or None


def _wagtail_changes_emails() -> bool:
    # Wagtail's own default: the account page lets each user change their email.
    return bool(getattr(settings, "WAGTAIL_EMAIL_MANAGEMENT_ENABLED", True))


def _user_email(request: HttpRequest) -> str | None:
    return getattr(request.user, "email", "") or None


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
