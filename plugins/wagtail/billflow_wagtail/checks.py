"""Django system checks: what `manage.py check` (and every `runserver`) says is missing,
before a visitor meets a portal that cannot start."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.utils.module_loading import import_string

from billflow_core.config import MIN_SECRET

from .identity import email_is_vouched

__all__ = ["check_settings"]


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    found: list[Any] = []
    secret = getattr(settings, "BILLFLOW_SECRET_KEY", None)
    if not isinstance(secret, str) or len(secret) < MIN_SECRET:
        found.append(
            Error(
                f"BILLFLOW_SECRET_KEY is not set, or shorter than {MIN_SECRET} characters.",
                hint="Set it in Django's settings (from the environment), to a random string: "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'. It signs "
                "identity hashes and sign-in links; never put it in the database.",
                id="billflow_wagtail.E001",
            )
        )
    stripe_key = getattr(settings, "BILLFLOW_STRIPE_API_KEY", None) or getattr(
        settings, "STRIPE_API_KEY", None
    )
    if not stripe_key:
        found.append(
            Error(
                "BILLFLOW_STRIPE_API_KEY is not set.",
                hint="Set it in Django's settings to the Stripe secret key (sk_test_… or "
                "sk_live_…), read from the environment.",
                id="billflow_wagtail.E002",
            )
        )
    finder = getattr(settings, "BILLFLOW_CUSTOMER_ID", None)
    if isinstance(finder, str):
        try:
            import_string(finder)
        except ImportError as error:
            found.append(
                Error(
                    f"BILLFLOW_CUSTOMER_ID names {finder!r}, which cannot be imported: {error}",
                    hint="Name a function that takes the request and answers the logged-in "
                    "user's Stripe customer id (cus_…), or None.",
                    id="billflow_wagtail.E003",
                )
            )
    found += _identity_by_email()
    if "wagtail.contrib.settings" not in settings.INSTALLED_APPS:
        found.append(
            Error(
                "billflow_wagtail keeps each site's options in Wagtail's site settings.",
                hint='Add "wagtail.contrib.settings" to INSTALLED_APPS.',
                id="billflow_wagtail.E004",
            )
        )
    if not getattr(settings, "BILLFLOW_STRIPE_WEBHOOK_SECRET", None):
        found.append(
            Warning(
                "BILLFLOW_STRIPE_WEBHOOK_SECRET is not set: plan changes made in Stripe "
                "reach the portal only when its catalog cache expires (5 minutes).",
                hint="Add a webhook endpoint at /billflow/stripe/webhook in Stripe and set "
                "its signing secret (whsec_…).",
                id="billflow_wagtail.W001",
            )
        )
    if "billflow_wagtail.middleware.PrivatePortalPages" not in settings.MIDDLEWARE:
        found.append(
            Warning(
                "Pages with the billing portal carry the visitor's hash, but nothing marks "
                "them private for caches.",
                hint='Add "billflow_wagtail.middleware.PrivatePortalPages" to MIDDLEWARE.',
                id="billflow_wagtail.W002",
            )
        )
    cache = settings.CACHES.get(getattr(settings, "BILLFLOW_CACHE", "default"), {})
    if cache.get("BACKEND") == "django.core.cache.backends.dummy.DummyCache":
        found.append(
            Warning(
                "Billflow's cache is a DummyCache: a retried action reaching the server "
                "again is answered anew (Stripe's idempotency keys still stop a second charge).",
                hint="Point BILLFLOW_CACHE at a real cache (Redis, Memcached, the database).",
                id="billflow_wagtail.W003",
            )
        )
    return found


def _identity_by_email() -> list[Any]:
    """Without a customer id bound on the server, the portal names users by email, which
    it trusts only when the site vouches for it."""
    vouched: Any = getattr(settings, "BILLFLOW_VERIFIED_EMAIL", None)
    if isinstance(vouched, str):
        try:
            vouched = import_string(vouched)
        except ImportError as error:
            return [
                Error(
                    f"BILLFLOW_VERIFIED_EMAIL names {vouched!r}, which cannot be imported: {error}",
                    hint="Name a function that takes the request and answers the logged-in "
                    "user's verified email, or None.",
                    id="billflow_wagtail.E005",
                )
            ]
    if vouched not in (None, True, False) and not callable(vouched):
        return [
            Error(
                "BILLFLOW_VERIFIED_EMAIL must be a callable, its dotted path, or True.",
                hint="Set it to a function that takes the request and answers the logged-in "
                "user's verified email (or None), or to True when the site's signup "
                "verifies every email.",
                id="billflow_wagtail.E005",
            )
        ]
    if getattr(settings, "BILLFLOW_CUSTOMER_ID", None) or email_is_vouched():
        return []
    return [
        Warning(
            "Nothing vouches that a user's email is theirs: any Wagtail user can set theirs "
            "to a customer's at /admin/account/, so the portal refuses to show for an email.",
            hint="Set BILLFLOW_CUSTOMER_ID (a customer id bound on the server, the strongest), "
            "or BILLFLOW_VERIFIED_EMAIL (a function taking the request and answering the "
            "verified email, or True when the site's signup verifies every email), or "
            "WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False.",
            id="billflow_wagtail.W004",
        )
    ]
