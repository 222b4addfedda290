"""What the page says is so: a cancellation now is not dated as one to come; an offer says
what it is worth and is not made to whom already has it; a preview always matches what is
chosen, or is gone. (A cancellation, downgrade or pause still to come is named with its date
in each action's own test, in test_portal_page.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from portal_reading import badge, open_portal, subscription
from portal_site import PortalSite

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]

OFFER = {"retention_offer": {"coupon": "WELCOME20", "reasons": ["too_expensive"]}}


def test_a_cancellation_now_still_says_it_is_canceled(portal_site: Site, browse: Browse) -> None:
    site = portal_site(cancel_immediately=True)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="Another reason").check()
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()

    expect(page.get_by_role("status")).to_have_text("Your subscription has been canceled.")
    expect(badge(subscription(page, "Team"))).to_have_text("Canceled")
    assert site.subscription(site.team).status == "canceled"


def test_the_offer_says_what_it_is_worth_and_is_made_once(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(**OFFER)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="It's too expensive").check()
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_text("Stay and get 20% off for 3 months")).to_be_visible()
    # And in money: 20% off Team's $29.00.
    expect(dialog.get_by_text("That's $23.20 per month instead of $29.00.")).to_be_visible()
    dialog.get_by_role("button", name="Accept the offer").click()
    expect(page.get_by_role("status")).to_have_text(
        "The offer has been applied. Thank you for staying!"
    )

    # Taken once: cancelling again goes straight through, with no offer to take again.
    subscription(page, "Team").get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="It's too expensive").check()
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_role("button", name="Accept the offer")).to_have_count(0)
    expect(dialog.get_by_role("button", name="Cancel subscription")).to_be_visible()


def test_no_offer_of_a_discount_the_subscription_already_has(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(**OFFER)
    client = site.sandbox.client()
    client.v1.subscriptions.update(site.team, {"discounts": [{"coupon": "WELCOME20"}]})
    page = open_portal(browse, site)
    team = subscription(page, "Team")
    expect(team).to_contain_text("20% off for 3 months")
    team.get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="It's too expensive").check()
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_role("button", name="Accept the offer")).to_have_count(0)
    expect(dialog).not_to_contain_text("Stay and get")
    # The seats subscription does not hold it: its dialog makes the offer.
    page.keyboard.press("Escape")
    subscription(page, "Seats").get_by_role("button", name="Cancel subscription").click()
    seats = page.get_by_role("dialog", name="Cancel your subscription").filter(visible=True)
    seats.get_by_role("radio", name="It's too expensive").check()
    seats.get_by_role("button", name="Continue").click()
    expect(seats.get_by_role("button", name="Accept the offer")).to_be_visible()


def test_switching_the_period_drops_the_preview_of_the_hidden_plan(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    expect(dialog.get_by_role("row", name=re.compile("^Due today"))).to_contain_text("$50.00")

    dialog.get_by_role("radio", name="Yearly").check()
    expect(dialog.locator("input[name=price]:checked")).to_have_count(0)
    expect(dialog.locator("[data-preview-out]")).to_have_text("")
    site.sandbox.reset()
    dialog.get_by_role("button", name="Change plan").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a plan.")
    assert site.sandbox.writes() == []

    dialog.get_by_role("radio", name=re.compile(r"^Business.*per year")).check()
    expect(dialog).to_contain_text("Then $790.00 per year")


def test_a_quantity_beyond_the_bounds_drops_the_preview_and_names_the_bounds(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Seats").get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    expect(dialog.get_by_text("Between 1 and 50")).to_be_visible()
    field = dialog.get_by_role("spinbutton", name="Quantity")
    dialog.get_by_role("button", name="Increase quantity").click()
    dialog.get_by_role("button", name="Increase quantity").click()
    expect(dialog).to_contain_text("Then $40.00 per month")

    field.press_sequentially("9")  # 59: still in the field, not yet committed
    expect(field).to_have_value("59")
    expect(dialog.locator("[data-preview-out]")).to_have_text("")
    expect(dialog.get_by_role("alert")).to_have_text("Choose a quantity between 1 and 50.")
    site.sandbox.reset()
    dialog.get_by_role("button", name="Change quantity").click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a quantity between 1 and 50.")
    assert site.sandbox.writes() == []

    field.fill("6")
    expect(dialog.get_by_role("alert")).to_have_text("")
    expect(dialog).to_contain_text("Then $48.00 per month")
