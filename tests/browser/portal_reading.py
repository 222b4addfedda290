"""Reading the portal page as a customer does, for the browser tests: a subscription's card
by its plan's name, its status badge, and the colour a line is written in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from portal_site import PortalSite

from billflow_core.i18n import format_date

Browse = Callable[..., Page]

# The stylesheet's text colour (`--bf-text`); "Renews on" lines are muted.
TEXT = "rgb(29, 33, 48)"


def subscription(page: Page, name: str) -> Any:
    return page.get_by_role("article", name=name)


def open_portal(browse: Browse, site: PortalSite, **query: str) -> Page:
    page = browse()
    page.goto(site.page(**query))
    expect(page.get_by_role("heading", name="Your subscriptions")).to_be_visible()
    return page


def badge(article: Any) -> Any:
    """The subscription's status badge (not the invoices' or the plans')."""
    return article.locator(".bf-sub-head .bf-badge")


def colour(locator: Any) -> str:
    return str(locator.evaluate("(node) => getComputedStyle(node).color"))


def period_end(site: PortalSite, subscription_id: str) -> str:
    """The end of the subscription's current period, as the page writes dates in English."""
    item = site.subscription(subscription_id)["items"].data[0]
    return format_date(item.current_period_end, "en")
