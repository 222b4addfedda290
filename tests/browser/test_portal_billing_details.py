"""Billing details, tax IDs, several saved cards and "Pay now" in the portal page, in Chromium
against the sandbox: each as a customer uses it, at 360 and 1280 pixels, in English and Arabic,
with axe-core finding nothing wrong in any state or dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from past_due import bill_on_a_failing_card
from playwright.sync_api import Page, expect
from portal_site import PortalSite
from test_portal_cards import DECLINED, MASTERCARD, VISA, default_card, enter_card

from billflow_core import i18n
from billflow_sandbox.seed import DEMO_EMAIL

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]
Axe = Callable[[Page], list[str]]
EN = i18n.translator("en")
AR = i18n.translator("ar")
VIEWS = [("en-US", 360), ("en-US", 1280), ("ar", 360), ("ar", 1280)]


def _no_overflow(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not wide, "the page scrolls sideways"


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_billing_details_are_edited_in_a_dialog_and_shown_as_saved(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = AR if locale == "ar" else EN
    site = portal_site(billing_details=True)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page())
    section = page.get_by_role("region", name=say.t("details.title"))
    expect(section).to_be_visible()
    assert accessibility_problems(page) == []

    section.get_by_role("button", name=say.t("details.edit")).click()
    dialog = page.get_by_role("dialog", name=say.t("details.title"))
    expect(dialog).to_be_visible()
    assert accessibility_problems(page) == []
    box = dialog.bounding_box()
    assert box is not None and box["height"] <= page.viewport_size["height"]  # type: ignore[index]

    dialog.get_by_label(say.t("details.name")).fill("Ada Lovelace")
    dialog.get_by_label(say.t("details.country")).select_option("US")
    dialog.get_by_label(say.t("details.line1"), exact=True).fill("1 Market St")
    dialog.get_by_label(say.t("details.city")).fill("San Francisco")
    dialog.get_by_label(say.t("details.postal_code")).fill("941")
    dialog.get_by_label(say.t("details.state")).fill("CA")
    dialog.get_by_role("button", name=say.t("details.save")).click()
    expect(dialog.get_by_role("alert")).to_have_text(say.t("error.postal_code_invalid"))

    dialog.get_by_label(say.t("details.postal_code")).fill("94105")
    dialog.get_by_role("button", name=say.t("details.save")).click()
    expect(dialog).to_be_hidden()
    expect(section).to_contain_text("1 Market St")
    expect(section).to_contain_text("94105 San Francisco, CA")
    expect(page.get_by_role("status")).to_have_text(say.t("details.saved"))
    customer = site.sandbox.client().v1.customers.retrieve(site.ids["customer"])
    assert customer.name == "Ada Lovelace" and customer.address.postal_code == "94105"
    assert customer.email == DEMO_EMAIL  # the identity's email stays as it was
    _no_overflow(page)
    assert accessibility_problems(page) == []


def test_the_email_a_customer_signs_in_with_is_not_a_field_of_the_form(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(billing_details=True)
    page = browse()
    page.goto(site.page())
    page.get_by_role("button", name=EN.t("details.edit")).click()
    dialog = page.get_by_role("dialog", name=EN.t("details.title"))
    email = dialog.get_by_label(EN.t("details.email"))
    expect(email).to_have_attribute("readonly", "")
    expect(dialog).to_contain_text(EN.t("details.email_by_site"))


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_tax_ids_load_when_their_list_opens_and_are_added_and_removed(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = AR if locale == "ar" else EN
    site = portal_site(tax_ids=True)
    page = browse(locale=locale, width=width, axe=True)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/tax-ids" in r.url else None)
    page.goto(site.page())
    tax_ids = page.locator("details[data-load='tax-ids']")
    expect(tax_ids).to_be_visible()
    assert asked == []  # not read until it is opened

    tax_ids.locator("summary").click()
    expect(tax_ids).to_contain_text(say.t("tax_id.none"))
    tax_ids.get_by_label(say.t("tax_id.type_label")).select_option("eu_vat")
    tax_ids.get_by_label(say.t("tax_id.value_label")).fill("DE12")
    tax_ids.get_by_role("button", name=say.t("tax_id.add")).click()
    expect(tax_ids.get_by_role("alert")).not_to_be_empty()

    tax_ids.get_by_label(say.t("tax_id.value_label")).fill("DE123456789")
    tax_ids.get_by_role("button", name=say.t("tax_id.add")).click()
    expect(tax_ids.locator("[data-tax-id]")).to_contain_text("DE123456789")
    expect(tax_ids.locator("[data-tax-id]")).to_contain_text(say.t("tax_id.status.pending"))
    _no_overflow(page)
    assert accessibility_problems(page) == []

    tax_ids.get_by_role("button", name=say.t("tax_id.remove_label", value="DE123456789")).click()
    expect(tax_ids.locator("[data-tax-id]")).to_have_count(0)
    expect(tax_ids).to_contain_text(say.t("tax_id.none"))
    assert site.sandbox.client().v1.customers.tax_ids.list(site.ids["customer"]).data == []


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_a_second_card_is_added_made_the_default_and_the_old_one_removed(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = AR if locale == "ar" else EN
    site = portal_site()
    first, _ = default_card(site)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page())
    cards = page.locator("details[data-load='payment-methods']")
    cards.locator("summary").click()
    rows = cards.locator("[data-card]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(say.t("cards.default"))
    expect(rows.first.get_by_role("button")).to_have_count(0)  # the one card renewals need
    assert accessibility_problems(page) == []

    cards.get_by_role("button", name=say.t("cards.add")).click()
    dialog = page.get_by_role("dialog", name=say.t("cards.add"))
    enter_card(dialog, DECLINED)
    dialog.get_by_role("button", name=say.t("card.save")).click()
    expect(dialog.get_by_role("alert")).to_have_text(say.t("error.card_declined"))
    enter_card(dialog, MASTERCARD)
    dialog.get_by_role("button", name=say.t("card.save")).click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(2)  # the list stays open, read again
    assert default_card(site)[0] == first  # a second card is not the default by itself

    rows.nth(1).get_by_role("button", name=say.t("cards.make_default_label", last4="4444")).click()
    expect(rows.first).to_contain_text("4444")
    expect(rows.first).to_contain_text(say.t("cards.default"))
    assert default_card(site)[1] == "4444"

    # The default, while subscriptions renew on it, offers no Remove the server would refuse.
    refused = rows.first.get_by_role("button", name=say.t("cards.remove_label", last4="4444"))
    expect(refused).to_have_count(0)
    rows.nth(1).get_by_role("button", name=say.t("cards.remove_label", last4="4242")).click()
    expect(rows).to_have_count(1)
    _no_overflow(page)
    assert accessibility_problems(page) == []


def _past_due(site: PortalSite) -> str:
    """The seats subscription, its renewal failed: the open invoice's id."""
    return bill_on_a_failing_card(site.sandbox.client(), site.ids["customer"], site.seats)


@pytest.mark.parametrize(("locale", "width"), VIEWS)
def test_pay_now_pays_an_open_invoice_with_a_new_card_in_the_page(
    portal_site: Site, browse: Browse, accessibility_problems: Axe, locale: str, width: int
) -> None:
    say = AR if locale == "ar" else EN
    site = portal_site()
    invoice: Any = _past_due(site)
    page = browse(locale=locale, width=width, axe=True)
    page.goto(site.page())
    row = page.locator(f"[data-invoice='{invoice}']").first
    pay_now = row.get_by_role("button", name=say.t("invoices.pay"))
    expect(pay_now).to_be_visible()
    assert accessibility_problems(page) == []

    pay_now.click()
    dialog = page.get_by_role("dialog", name=say.t("subscription.complete_payment"))
    expect(dialog.get_by_label("Card number")).to_be_visible()
    assert accessibility_problems(page) == []
    enter_card(dialog, VISA)
    dialog.locator("button[type=submit]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"[data-invoice='{invoice}']").first.get_by_role("button")).to_have_count(0)
    client = site.sandbox.client()
    assert client.v1.invoices.retrieve(invoice).status == "paid"
    assert client.v1.subscriptions.retrieve(site.seats).status == "active"
    _no_overflow(page)
