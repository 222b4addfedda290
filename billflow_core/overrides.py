"""A page's own options: one page offers one service's plans, another turns the picker off.

An editor sets them on a Wagtail block, a developer on a Flask view. They travel in the
snippet, signed with the site's secret key, and come back with every request as
`X-Billflow-Options`, so the server applies exactly what the site chose for that page: a
visitor can neither make up options nor edit them. Only the options below may differ by
page; secrets, identity rules, sign-in and languages are the site's alone.

The signature binds the portal's `scope` (which site, where several share a secret key) and
an expiry (the hash's lifetime), so options made for one site do not work on another, and
options an editor has since changed stop working when the page's hash does:

    body   = canonical JSON of {"o": options, "s": scope, "e": expires_at}
    signed = b64url(body) "." hex(HMAC-SHA256(secret, "billflow-options-v1" \\0 body))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from .errors import Forbidden
from .settings import PortalSettings, SettingsError

__all__ = ["PAGE_OVERRIDABLE", "open_overrides", "overridden_settings", "sign_overrides"]

_LABEL = b"billflow-options-v1"
MAX_SIGNED = 4096

# What an editor may set for one page, where it makes sense to differ from the site.
PAGE_OVERRIDABLE = frozenset(
    {
        "service",
        "change_plan",
        "change_quantity",
        "plan_picker",
        "cancel",
        "pause_instead_of_cancel",
        "resubscribe",
        "coupons",
        "update_payment_method",
        "show_all_invoices",
        "actions_dropdown",
    }
)


def overridden_settings(settings: PortalSettings, overrides: Mapping[str, Any]) -> PortalSettings:
    """`settings` with a page's `overrides`. Raises `SettingsError` for an option a page may
    not set, a bad value, or a combination the site's other options forbid (the message
    names which)."""
    unknown = sorted(set(overrides) - PAGE_OVERRIDABLE, key=str)
    if unknown:
        raise SettingsError(
            f"{unknown[0]} cannot be set by a page (it may set: "
            f"{', '.join(sorted(PAGE_OVERRIDABLE))})"
        )
    current = {name: getattr(settings, name) for name in _FIELDS}
    merged = {**current, **overrides}
    if "service" in overrides:
        merged["price_ids"] = ()  # a page choosing a service replaces the site's price list
    # A page that turns an option off turns off what the site built on it.
    checked = PortalSettings.from_mapping(overrides, prefix=None)
    for option, needs in _DEPENDS.items():
        if option not in overrides and any(
            need in overrides and not getattr(checked, need) for need in needs
        ):
            merged[option] = False
    return PortalSettings.from_mapping(merged, prefix=None)


def sign_overrides(
    secret: str, overrides: Mapping[str, Any], *, scope: str = "", expires_at: int
) -> str:
    """`overrides` signed for the snippet of the portal `scope` names, good until
    `expires_at`. Raises `SettingsError` for an option a page may not set (checked here,
    where the developer sees it, not when a visitor's request comes)."""
    unknown = sorted(set(overrides) - PAGE_OVERRIDABLE, key=str)
    if unknown:
        raise SettingsError(f"{unknown[0]} cannot be set by a page")
    signed = {"o": dict(overrides), "s": scope, "e": int(expires_at)}
    text = json.dumps(signed, sort_keys=True, separators=(",", ":"))
    body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{body}.{_mac(secret, text)}"


def open_overrides(
    secret: str, signed: Any, *, scope: str = "", now: int, previous: str | None = None
) -> dict[str, Any]:
    """The overrides a snippet of this portal carried, signed with `secret` or, until they
    expire, with the `previous` one (before a rotation). Raises `Forbidden`:
    `options_invalid` for anything this portal did not sign (another site's included),
    `options_expired` once the page is older than its hash."""
    refused = Forbidden("The page's options are not this site's.", code="options_invalid")
    if not isinstance(signed, str) or len(signed) > MAX_SIGNED or signed.count(".") != 1:
        raise refused
    body, mac = signed.split(".")
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except ValueError:
        raise refused from None
    keys = (secret, previous) if previous else (secret,)
    if not any([hmac.compare_digest(_mac(key, text), mac) for key in keys]):
        raise refused
    found = json.loads(text)
    if (
        not isinstance(found, dict)
        or found.get("s") != scope
        or not isinstance(found.get("o"), dict)
        or not set(found["o"]) <= PAGE_OVERRIDABLE
        or not isinstance(found.get("e"), int)
    ):
        raise refused
    if now >= found["e"]:
        raise Forbidden("This page has expired; reload it.", code="options_expired")
    options: dict[str, Any] = found["o"]
    return options


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), _LABEL + b"\x00" + text.encode(), hashlib.sha256).hexdigest()


_FIELDS = tuple(PortalSettings.__dataclass_fields__)

# Site options that need others on: off with them when a page turns those off.
_DEPENDS = {
    "change_plan_on_resubscribe": ("change_plan", "resubscribe"),
    "coupons_on_resubscribe": ("coupons", "resubscribe"),
}
