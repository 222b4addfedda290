"""Each Wagtail site's portal: its options from the site's settings row, its secrets from
Django's settings, Django's cache and email wired in.

A portal is made on a site's first request and kept by the app; when an editor saves the
site's settings (or a deploy changes the secrets), the next request makes a new one, in this
process and in every other, because the portal is kept with the configuration it came from.
A request finds its site's portal once and keeps it (as Wagtail's `for_request` keeps a
site's settings), so a page with several portals reads the settings row once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from wagtail.models import Site

from billflow_core import SettingsError
from billflow_core.config import SECRET_NAMES
from billflow_core.portal import Portal
from billflow_core.web import PortalAPI

if TYPE_CHECKING:
    from .apps import BillflowWagtailConfig
from .hosting import DatabaseSignInStore, DjangoCache, DjangoCacheAnswers, DjangoMailer
from .models import BillflowSettings

__all__ = [
    "BillflowNotConfigured",
    "api_for_site",
    "api_prefix",
    "portal_for_request",
    "portal_for_site",
]


class BillflowNotConfigured(ImproperlyConfigured):
    """The portal cannot start; the message says which setting to fix and where."""


# Where a request keeps its site's portal and API, named as Wagtail names its own.
_REQUEST_ATTR = "_billflow_wagtail.portal"


def portal_for_request(request: HttpRequest) -> Portal:
    """The portal of the site `request` is for, found once per request and kept on it.
    Raises `BillflowNotConfigured`."""
    found: tuple[Portal, PortalAPI] | None = getattr(request, _REQUEST_ATTR, None)
    if found is None:
        site = Site.find_for_request(request)
        if site is None:
            raise BillflowNotConfigured(
                f"No Wagtail site serves {request.get_host()!r}: add one under Settings → Sites"
            )
        found = _made(site, BillflowSettings.for_request(request))
        setattr(request, _REQUEST_ATTR, found)
    return found[0]


def portal_for_site(site: Site) -> Portal:
    """The portal of `site`. Raises `BillflowNotConfigured`."""
    return _made(site)[0]


def api_for_site(site: Site) -> PortalAPI:
    """The HTTP API of `site`'s portal, mounted where `billflow_wagtail.urls` is included."""
    return _made(site)[1]


def _made(site: Site, row: BillflowSettings | None = None) -> tuple[Portal, PortalAPI]:
    """`site`'s portal and API, made again when its settings `row` (read here unless
    given), the secrets or the prefix differ from what they were made with."""
    config = cast("BillflowWagtailConfig", apps.get_app_config("billflow_wagtail"))
    if row is None:
        row = BillflowSettings.for_site(site)
    secrets = _secrets()
    options = row.options()
    prefix = api_prefix()
    fingerprint = hashlib.sha256(
        json.dumps([secrets, options, prefix], sort_keys=True, default=str).encode()
    ).hexdigest()
    with config.portals_lock:
        found = config.portals.get(site.pk)
    if found is not None and found[0] == fingerprint:
        return found[1], found[2]
    portal = _portal(secrets, options, site)
    api = PortalAPI(portal, prefix=prefix)
    with config.portals_lock:
        config.portals[site.pk] = (fingerprint, portal, api)
    return portal, api


def _secrets() -> dict[str, Any]:
    return {name: getattr(django_settings, name, None) for name in SECRET_NAMES}


def _portal(secrets: Mapping[str, Any], options: Mapping[str, Any], site: Site) -> Portal:
    config = {k: v for k, v in secrets.items() if v is not None}
    config.update({f"BILLFLOW_{name.upper()}": value for name, value in options.items()})
    cache_alias = getattr(django_settings, "BILLFLOW_CACHE", "default")
    try:
        return Portal.from_config(
            config,
            mailer=DjangoMailer(),
            sign_in_store=DatabaseSignInStore(),
            answers=DjangoCacheAnswers(cache_alias),
            cache=DjangoCache(cache_alias),
            scope=f"wagtail-site:{site.pk}",  # one site's page options never work on another
        )
    except SettingsError as error:
        where = (
            "in Django's settings"
            if error.param in SECRET_NAMES
            else f"under Settings → Billflow for {site}"
        )
        raise BillflowNotConfigured(f"Billflow: {error} ({where})") from None


def api_prefix() -> str:
    """Where `billflow_wagtail.urls` is included ("/billflow"), script prefix and all.
    Raises `BillflowNotConfigured` when it is not."""
    try:
        found = reverse("billflow_wagtail:api", kwargs={"route": "embed.js"})
    except NoReverseMatch:
        raise BillflowNotConfigured(
            'Billflow: include its URLs, path("billflow/", include("billflow_wagtail.urls")), '
            "in your urls.py"
        ) from None
    return found[: -len("/embed.js")]
