"""The portal in a page, for the block and the template tag alike: the snippet with the
logged-in user's page token, the email sign-in form, or a sign-in prompt, never a token for an
anonymous visitor. A configuration problem shows what to fix to staff (and with DEBUG on)
and is logged; the public sees a plain sentence, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from billflow_core import SettingsError
from billflow_core.web import SignInNeeded, portal_or_sign_in

from .identity import identity_of
from .portals import BillflowNotConfigured, api_prefix, portal_for_request

log = logging.getLogger(__name__)

__all__ = ["NO_REQUEST", "render_portal"]

NO_REQUEST = (
    "The billing portal needs the request in its template context: render the page's "
    "StreamField block by block with {% for block in page.body %}{% include_block block %}"
    "{% endfor %} in a template Django renders with a request, such as the page's own "
    "template ({{ page.body }} alone passes no context)."
)


def render_portal(
    request: HttpRequest | None,
    *,
    heading: str = "",
    intro: Any = "",
    overrides: Mapping[str, Any] | None = None,
    subscription: str | None = None,
) -> SafeString:
    """The portal's HTML for the page `request` shows."""
    context: dict[str, Any] = {"heading": heading, "intro": intro}
    if request is None:
        log.error(NO_REQUEST)
        return _render({**context, "problem": NO_REQUEST if settings.DEBUG else None})
    try:
        identity = _identity(request)
        portal = portal_for_request(request)
        prefix = api_prefix()
        if identity is not None:
            request.billflow_private = True  # type: ignore[attr-defined]  # see middleware
        found = portal_or_sign_in(
            portal, identity, prefix=prefix, subscription=subscription, overrides=overrides
        )
        if isinstance(found, SignInNeeded):
            context["login_url"] = redirect_to_login(request.get_full_path()).url
        else:
            context["snippet"] = found
    except (BillflowNotConfigured, SettingsError) as error:
        log.error("the billing portal cannot show: %s", error)
        staff = getattr(getattr(request, "user", None), "is_staff", False)
        context["problem"] = str(error) if staff or settings.DEBUG else None
    return _render(context)


def _identity(request: HttpRequest) -> str | None:
    try:
        return identity_of(request)
    except BillflowNotConfigured:
        raise  # no identity the site vouches for: the message says what to set
    except Exception as error:  # the site's own lookup failed: logged whole, shown to staff
        log.exception("finding the logged-in customer failed")
        setting = (
            "BILLFLOW_CUSTOMER_ID"
            if getattr(settings, "BILLFLOW_CUSTOMER_ID", None)
            else "BILLFLOW_VERIFIED_EMAIL"
        )
        raise BillflowNotConfigured(f"{setting} failed: {type(error).__name__}: {error}") from None


def _render(context: dict[str, Any]) -> SafeString:
    return mark_safe(render_to_string("billflow_wagtail/portal.html", context))
