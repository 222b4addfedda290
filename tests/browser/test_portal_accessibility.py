"""axe-core (WCAG 2.2 A and AA, and its best practices) finds nothing wrong in the portal page:
every state a customer meets and every dialog open, in English and Arabic, at 360 and 1280
pixels. The billing details, card and invoice payment states are checked where they are
driven (test_portal_billing_details.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from portal_site import PortalSite

from billflow_core import i18n

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]
Axe = Callable[[Page], list[str]]

VIEWS = [("en-US", 360), ("en-US", 1280), ("ar", 360), ("ar", 1280)]
# The dialogs a subscription's card opens, by the button that opens them.
DIALOGS = ["action.change_plan", "action.change_quantity", "action.cancel", "action.apply_coupon"]


def _texts(locale: str) -> i18n.Messages:
    return i18n.translator("ar" if locale == "ar" else "en")


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_the_portal_and_each_of_its_dialogs(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = _texts(locale)
    site = portal_site(coupons=True, billing_details=True, tax_ids=True)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page())
    history = page.get_by_role("region", name=say.t("invoices.title"))
    expect(history.get_by_role("listitem").first).to_be_visible()
    assert accessibility_problems(page) == [], "the portal"

    for opener in DIALOGS:
        button = page.get_by_role("button", name=say.t(opener)).first
        button.click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_be_visible()
        assert accessibility_problems(page) == [], opener
        box = dialog.bounding_box()
        assert box is not None and box["height"] <= page.viewport_size["height"], opener  # type: ignore[index]
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)

    page.get_by_role("button", name=say.t("action.update_payment_method")).click()
    expect(page.locator("dialog[open]").get_by_label("Card number")).to_be_visible()
    assert accessibility_problems(page) == [], "the card dialog"


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_the_plan_picker_of_someone_new(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = _texts(locale)
    site = portal_site()
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page(**{"as": "grace@example.com"}))
    picker = page.get_by_role("region", name=say.t("plans.title"))
    expect(picker).to_be_visible()
    assert accessibility_problems(page) == [], "the plan picker"
    picker.get_by_role("radio", name=re.compile(r"^Team")).first.check()
    assert accessibility_problems(page) == [], "a plan chosen"


@pytest.mark.parametrize(("locale", "width"), [("en-US", 360), ("ar", 1280)])
def test_a_cancelling_and_an_ended_subscription(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    site = portal_site()
    client = site.sandbox.client()
    client.v1.subscriptions.update(site.team, {"cancel_at_period_end": True})
    client.v1.subscriptions.cancel(site.seats)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page())
    expect(page.get_by_role("article").first).to_be_visible()
    assert accessibility_problems(page) == []
