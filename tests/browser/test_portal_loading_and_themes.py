"""What the page shows while it waits and when it cannot reach its server, how a button at work
looks, and the page in the visitor's dark mode and with reduced motion."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect
from portal_site import PortalSite

from billflow_core import i18n

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]
Axe = Callable[[Page], list[str]]


def test_a_skeleton_keeps_the_portals_place_while_it_loads(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    held: list[Route] = []  # the portal's answer waits until the test lets it through
    page.route("**/api/portal", lambda route: held.append(route))
    page.goto(site.page(), wait_until="domcontentloaded")
    body = page.locator(".bf-body")
    expect(body).to_have_attribute("aria-busy", "true")
    box = body.bounding_box()
    assert box is not None and box["height"] > 200  # room held, not a blank line
    held[0].continue_()
    expect(page.get_by_role("article", name="Team")).to_be_visible()


@pytest.mark.parametrize("locale", ["fr-FR", "ja-JP", "ar"])
def test_an_unreachable_server_is_said_in_the_customers_language_with_a_retry(
    portal_site: Site, browse: Browse, locale: str
) -> None:
    language = {"fr-FR": "fr", "ja-JP": "ja", "ar": "ar"}[locale]
    say = i18n.translator(language)
    site = portal_site()
    page = browse(locale=locale)
    down = {"on": True}

    def network(route: Route) -> None:
        if down["on"]:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/api/**", network)
    page.goto(site.page())
    alert = page.locator(".bf-body [role=alert]")
    expect(alert).to_have_text(say.t("error.network"))
    down["on"] = False
    page.get_by_role("button", name=say.t("portal.retry")).click()
    expect(page.get_by_role("article", name="Team")).to_be_visible()
    expect(page.get_by_text(say.t("error.network"))).to_have_count(0)


def test_a_pressed_button_shows_it_is_at_work_and_keeps_its_label(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page())
    team = page.get_by_role("article", name="Team")
    team.get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    expect(dialog.get_by_role("row", name=re.compile("^Due today"))).to_be_visible()
    held: list[Route] = []
    page.route("**/api/actions/change_plan", lambda route: held.append(route))
    confirm = dialog.locator("button[type=submit]")
    confirm.click()
    expect(confirm).to_have_attribute("data-pending", "")
    expect(confirm).to_have_text("Change plan")
    expect(confirm).to_be_disabled()
    held[0].continue_()
    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")


@pytest.mark.parametrize(("locale", "width"), [("en-US", 1280), ("ar", 360)])
def test_the_portal_in_dark_mode_reads_well(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    site = portal_site(billing_details=True)
    page = browse(locale=locale, width=width, axe=True, dark=True)
    page.goto(site.page())
    expect(page.locator(".bf-invoice").first).to_be_visible()
    background = page.locator(".bf").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(23, 26, 35)"
    assert accessibility_problems(page) == []  # colour contrast included
    say = i18n.translator("ar" if locale == "ar" else "en")
    page.get_by_role("button", name=say.t("action.cancel")).first.click()
    expect(page.locator("dialog[open]")).to_be_visible()
    assert accessibility_problems(page) == []


def test_a_site_that_stays_light_keeps_the_portal_light(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse(dark=True)
    page.add_init_script("window.billflowSettings = {theme: 'light'}")
    page.goto(site.page())
    expect(page.get_by_role("article", name="Team")).to_be_visible()
    assert page.locator(".bf").get_attribute("data-theme") == "light"
    text = page.locator(".bf").evaluate("e => getComputedStyle(e).color")
    assert text == "rgb(29, 33, 48)"


def test_reduced_motion_stops_the_spinner_and_the_skeletons_pulse(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(reduced_motion=True)
    held: list[Route] = []
    page.route("**/api/portal", lambda route: held.append(route))
    page.goto(site.page(), wait_until="domcontentloaded")
    body = page.locator(".bf-body")
    expect(body).to_have_attribute("aria-busy", "true")
    assert body.evaluate("e => getComputedStyle(e, '::before').animationName") == "none"
    held[0].continue_()
    expect(page.get_by_role("article", name="Team")).to_be_visible()
