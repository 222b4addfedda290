"""A page's own options: one page offers one service's plans, another turns the picker off.

An editor sets them on a Wagtail block, a developer on a Flask view. They travel in the page's
token (see `identity/page_tokens.py`), signed with the site's secret key, so the server applies
exactly what the site chose for that page: a visitor can neither make up options, edit them nor
drop them. Only the options below may differ by page; secrets, identity rules, sign-in
and languages are the site's alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import SettingsError
from ..settings import PortalSettings

__all__ = ["PAGE_OVERRIDABLE", "overridden_settings"]


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
        "payment_methods",
        "pay_invoices",
        "billing_details",
        "tax_ids",
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
            f"{', '.join(sorted(PAGE_OVERRIDABLE))})",
            param=str(unknown[0]),
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


_FIELDS = tuple(PortalSettings.__dataclass_fields__)

# Site options that need others on: off with them when a page turns those off.
_DEPENDS = {
    "change_plan_on_resubscribe": ("change_plan", "resubscribe"),
    "coupons_on_resubscribe": ("coupons", "resubscribe"),
    "change_billing_email": ("billing_details",),
}
