"""The portal page in the customer's language, chosen by their browser: Japanese, Arabic
(right to left), the site's default when it does not translate, and the site's own texts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from portal_site import PortalSite

from billflow_core import i18n

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]

JA = i18n.translator("ja")
AR = i18n.translator("ar")


def test_a_japanese_browser_gets_the_page_in_japanese(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse(locale="ja-JP")
    page.goto(site.page())

    expect(page.get_by_role("heading", name=JA.t("portal.subscriptions"))).to_be_visible()
    root = page.locator(".bf")
    expect(root).to_have_attribute("lang", "ja")
    expect(root).to_have_attribute("dir", "ltr")
    team = page.get_by_role("article", name="Team")
    expect(team).to_contain_text(i18n.format_price(2900, "usd", "month", 1, "ja"))
    expect(team).to_contain_text(re.compile(r"\d{4}/\d{2}/\d{2}に更新"))
    history = page.get_by_role("region", name=JA.t("invoices.title"))
    expect(history.get_by_role("listitem").first).to_contain_text(JA.t("invoices.status.paid"))

    # An error the server sends by code is shown in Japanese, next to the field: Stripe kept
    # answering 429 past every retry.
    team.get_by_role("button", name=JA.t("action.cancel")).click()
    dialog = page.get_by_role("dialog", name=JA.t("cancel.title"))
    site.sandbox.fault("POST /v1/subscriptions/{id}", "429", times=5)
    dialog.get_by_role("radio", name=JA.t("cancel.reason.unused")).check()
    dialog.get_by_role("button", name=JA.t("portal.continue")).click()
    dialog.get_by_role("button", name=JA.t("cancel.confirm")).click()
    expect(dialog.get_by_role("alert")).to_have_text(JA.t("error.stripe_unavailable"))


def test_an_arabic_browser_gets_the_page_right_to_left(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse(locale="ar-EG")
    page.goto(site.page())

    expect(page.get_by_role("heading", name=AR.t("portal.subscriptions"))).to_be_visible()
    root = page.locator(".bf")
    expect(root).to_have_attribute("lang", "ar")
    expect(root).to_have_attribute("dir", "rtl")
    team = page.get_by_role("article", name="Team")
    name = team.get_by_role("heading", name="Team")
    status = team.get_by_text(AR.t("subscription.status.active"), exact=True)
    name_box, status_box = name.bounding_box(), status.bounding_box()
    assert name_box is not None and status_box is not None
    assert name_box["x"] > status_box["x"]  # the name starts on the right, the badge ends left

    team.get_by_role("button", name=AR.t("action.change_plan")).click()
    dialog = page.get_by_role("dialog", name=AR.t("action.change_plan"))
    expect(dialog).to_have_css("direction", "rtl")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    due = dialog.get_by_role("row", name=re.compile("^" + AR.t("preview.due_today")))
    expect(due).to_contain_text(i18n.format_money(5000, "usd", "ar"))
    dialog.get_by_role("button", name=AR.t("action.change_plan")).click()
    expect(page.get_by_role("status")).to_have_text(AR.t("plans.done"))


def test_without_auto_translate_the_site_default_is_spoken(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(auto_translate=False, default_language="fr")
    page = browse(locale="ja-JP")
    page.goto(site.page())
    french = i18n.translator("fr")
    expect(page.get_by_role("heading", name=french.t("portal.subscriptions"))).to_be_visible()
    expect(page.locator(".bf")).to_have_attribute("lang", "fr")


def test_the_sites_own_texts_win_over_the_catalog(portal_site: Site, browse: Browse) -> None:
    site = portal_site(
        translations={
            "en": {"action.cancel": "Stop my plan", "plans.done": "Plan switched!"},
            "ja": {"portal.subscriptions": "ご契約"},
        }
    )
    page = browse()
    page.goto(site.page())
    team = page.get_by_role("article", name="Team")
    expect(team.get_by_role("button", name="Stop my plan")).to_be_visible()
    team.get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    dialog.get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("status")).to_have_text("Plan switched!")

    japanese = browse(locale="ja")
    japanese.goto(site.page())
    expect(japanese.get_by_role("heading", name="ご契約")).to_be_visible()
    expect(japanese.get_by_role("button", name=JA.t("action.cancel")).first).to_be_visible()


@pytest.mark.parametrize(("locale", "text"), [("ja-JP", "請求"), ("zh-CN", "账单")])
def test_japanese_and_chinese_are_drawn_with_real_glyphs(
    portal_site: Site, browse: Browse, locale: str, text: str
) -> None:
    """A missing font draws every character as the same empty box: two different
    characters drawn alike would mean the page is unreadable."""
    site = portal_site()
    page = browse(locale=locale)
    page.goto(site.page())
    expect(page.locator(".bf-body[aria-busy='false']")).to_be_visible()
    drawn = []
    for character in text:
        page.evaluate(
            """(c) => { const s = document.createElement('span'); s.id = 'glyph';
            s.style.cssText = 'font-size:48px;position:fixed;top:0;left:0;background:#fff';
            s.textContent = c; document.querySelector('.bf').append(s); }""",
            character,
        )
        drawn.append(page.locator("#glyph").screenshot())
        page.evaluate("() => document.getElementById('glyph').remove()")
    assert drawn[0] != drawn[1]
