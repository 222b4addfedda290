"""The portal page in Chromium, as the demo customer uses it: what they see, and each action
done with the mouse and keyboard, checked against what the sandbox then holds."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect
from portal_reading import TEXT, badge, colour, open_portal, period_end, subscription
from portal_site import PortalSite

from billflow_core.i18n import catalog, format_date

OUT_OF_BOUNDS = "Choose a quantity between 1 and 50."

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]


def _midnight(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def events(page: Page) -> list[str]:
    return [e["event"] for e in page.evaluate("() => window.billflowEvents")]


def test_the_customer_sees_their_subscriptions_card_and_invoices(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)

    team = subscription(page, "Team")
    expect(team).to_contain_text("$29.00 per month")
    expect(team).to_contain_text(re.compile(r"Renews on \w+ \d+, \d{4}"))
    seats = subscription(page, "Seats")
    expect(seats).to_contain_text("3 seat")
    expect(page.get_by_text("Visa ending in 4242")).to_be_visible()
    expect(page.get_by_text("Expires 12/2034")).to_be_visible()

    # One history for the customer, the newest first, each row naming what it bills; a
    # filter shows one subscription's. A year of monthly invoices for each: the first few
    # show, "more" shows the rest of what the first request brought (24, both
    # subscriptions'), then asks for the next page.
    history = page.get_by_role("region", name="Invoices")
    invoices = history.get_by_role("listitem")
    expect(invoices.first).to_contain_text(re.compile(r"Team|Seats"))
    expect(invoices.first).to_contain_text("Paid")
    first_link = history.get_by_role("link", name=re.compile("^View invoice"))
    expect(first_link.first).to_have_attribute("href", re.compile(r"/invoices/in_"))
    expect(invoices.filter(visible=True)).to_have_count(6)
    history.get_by_label("Show").select_option(label="Team")
    expect(invoices.filter(has_text="Seats")).to_have_count(0)
    expect(invoices.first).to_contain_text("$29.00")
    expect(invoices.first).to_contain_text(re.compile(r"\w+ \d+(, \d{4})?\s–\s\w+ \d+, \d{4}"))
    expect(invoices.filter(visible=True)).to_have_count(6)
    history.get_by_role("button", name="Show more invoices").click()
    expect(invoices.filter(visible=True)).to_have_count(13)  # Team's whole year, one page
    expect(history.get_by_role("button", name="Show more invoices")).to_be_hidden()
    history.get_by_label("Show").select_option(label="All subscriptions")
    expect(invoices.filter(has_text="Seats").first).to_be_visible()
    assert events(page)[:2] == ["pre_load", "post_load"]


def test_the_page_asks_for_its_portal_and_its_invoices_at_once(
    portal_site: Site, browse: Browse
) -> None:
    """One round trip of Stripe's latency, not two: the invoices are asked for before the
    portal's answer arrives (the sandbox takes 300 ms over each Stripe answer)."""
    site = portal_site()
    site.sandbox.latency = 0.3
    page = browse()
    seen: list[str] = []
    page.on("request", lambda r: seen.append(f"ask {r.url.split('/api/')[-1]}")
            if "/api/" in r.url else None)  # fmt: skip
    page.on("response", lambda r: seen.append(f"answer {r.url.split('/api/')[-1]}")
            if "/api/" in r.url else None)  # fmt: skip
    page.goto(site.page())
    history = page.get_by_role("region", name="Invoices")
    expect(history.get_by_role("listitem").first).to_be_visible()
    asked = [entry for entry in seen if entry.startswith("ask ")]
    assert {"ask portal", "ask invoices"} <= set(asked), seen
    assert seen.index("ask invoices") < seen.index("answer portal"), seen


def test_change_plan_shows_the_proration_then_moves_to_the_plan(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Change plan").click()

    dialog = page.get_by_role("dialog", name="Change plan")
    expect(dialog.get_by_role("radio", name=re.compile("Team.*Current plan"))).to_be_disabled()
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    # The change's invoice, line by line, as Stripe prorates it (the demo's period has just
    # begun): Team's unused time back, Business's remaining time, what is due today, and
    # each month after.
    lines = dialog.locator(".bf-lines")
    expect(lines.get_by_role("row", name=re.compile("^Unused time on Team"))).to_contain_text(
        "-$29.00"
    )
    expect(
        lines.get_by_role("row", name=re.compile("^Remaining time on Business"))
    ).to_contain_text("$79.00")
    expect(lines.get_by_role("row", name=re.compile("^Due today"))).to_contain_text("$50.00")
    expect(dialog).to_contain_text("Then $79.00 per month")
    dialog.get_by_role("button", name="Change plan").click()

    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
    expect(page.get_by_role("article", name="Business")).to_contain_text("$79.00 per month")
    stored = site.subscription(site.team)
    assert stored["items"].data[0].price.id == site.price("business_monthly")
    assert "select_plan" in events(page) and "change_plan" in events(page)


def test_the_yearly_switch_offers_the_yearly_plans(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    expect(dialog.get_by_role("radio", name=re.compile(r"\$290\.00 per year"))).to_be_hidden()

    dialog.get_by_role("radio", name="Yearly").check()
    dialog.get_by_role("radio", name=re.compile(r"^Team.*\$290\.00 per year")).check()
    expect(dialog).to_contain_text("Then $290.00 per year")
    dialog.get_by_role("button", name="Change plan").click()

    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
    assert site.subscription(site.team)["items"].data[0].price.id == site.price("team_yearly")


def test_quantity_stepper_previews_and_changes_within_bounds(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Seats").get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    field = dialog.get_by_role("spinbutton", name="Quantity")
    expect(field).to_have_value("3")
    expect(field).to_be_focused()

    dialog.get_by_role("button", name="Increase quantity").click()
    dialog.get_by_role("button", name="Increase quantity").click()
    expect(field).to_have_value("5")
    expect(
        dialog.get_by_role("row", name=re.compile("^Unused time on Seats \\(3 seats\\)"))
    ).to_be_visible()
    expect(
        dialog.get_by_role("row", name=re.compile("^Remaining time on Seats \\(5 seats\\)"))
    ).to_be_visible()
    expect(dialog.get_by_role("row", name=re.compile("^Due today"))).to_contain_text("$16.00")
    expect(dialog).to_contain_text("Then $40.00 per month")
    dialog.get_by_role("button", name="Change quantity").click()

    expect(page.get_by_role("status")).to_have_text("The quantity has been updated.")
    expect(subscription(page, "Seats")).to_contain_text("5 seat")
    assert site.subscription(site.seats)["items"].data[0].quantity == 5


def test_quantity_out_of_bounds_is_refused_next_to_the_field(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Seats").get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    dialog.get_by_role("spinbutton").fill("51")
    dialog.get_by_role("spinbutton").press("Tab")

    expect(dialog.get_by_role("alert")).to_have_text(OUT_OF_BOUNDS)
    site.sandbox.reset()
    dialog.get_by_role("button", name="Change quantity").click()
    expect(dialog.get_by_role("alert")).to_have_text(OUT_OF_BOUNDS)
    assert site.sandbox.writes() == []


def test_cancel_with_a_reason_then_undo(portal_site: Site, browse: Browse) -> None:
    site = portal_site(cancel_confirmation_message="We will miss you, Ada.")
    page = open_portal(browse, site)
    opener = subscription(page, "Team").get_by_role("button", name="Cancel subscription")
    opener.click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="I don't use it enough").check()
    dialog.get_by_role("textbox", name=re.compile("Anything else")).fill("Busy year.")
    dialog.get_by_role("button", name="Continue").click()
    # The last step says what cancelling means, with the site's own words, then confirms.
    expect(dialog.get_by_text("We will miss you, Ada.")).to_be_visible()
    expect(dialog.get_by_text(re.compile("Your subscription stays active until"))).to_be_visible()
    dialog.get_by_role("button", name="Cancel subscription").click()

    ends = period_end(site, site.team)
    expect(page.get_by_role("status")).to_have_text(
        f"Your subscription will end on {ends}. Until then, it stays active."
    )
    team = subscription(page, "Team")
    expect(badge(team)).to_have_text(f"Cancels on {ends}")
    line = team.get_by_text(f"Cancels on {ends}: no more payments will be taken.")
    expect(line).to_be_visible()
    assert colour(line) == TEXT  # news, not the muted grey of "Renews on"
    assert colour(badge(team)) != colour(badge(subscription(page, "Seats")))
    stored = site.subscription(site.team)
    assert stored.cancel_at_period_end is True
    assert stored.cancellation_details.feedback == "unused"
    assert stored.cancellation_details.comment == "Busy year."

    team.get_by_role("button", name="Keep subscription").click()
    expect(page.get_by_role("status")).to_have_text("Your subscription will continue.")
    expect(subscription(page, "Team")).to_contain_text("Renews on")
    assert site.subscription(site.team).cancel_at_period_end is False


def test_closing_a_dialog_returns_focus_to_the_button_that_opened_it(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    opener = subscription(page, "Team").get_by_role("button", name="Cancel subscription")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("radio").first).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_the_retention_offer_is_taken_instead_of_cancelling(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(retention_offer={"coupon": "WELCOME20", "reasons": ["too_expensive"]})
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    offer = dialog.get_by_role("button", name="Accept the offer")
    dialog.get_by_role("radio", name="I don't use it enough").check()
    dialog.get_by_role("button", name="Continue").click()
    expect(offer).to_be_hidden()  # not for this reason: straight to the confirmation
    dialog.get_by_role("button", name="Back").click()
    dialog.get_by_role("radio", name="It's too expensive").check()
    dialog.get_by_role("button", name="Continue").click()
    expect(dialog.get_by_role("button", name="Cancel subscription")).to_be_hidden()
    offer.click()

    expect(page.get_by_role("status")).to_have_text(
        "The offer has been applied. Thank you for staying!"
    )
    expect(subscription(page, "Team")).to_contain_text("20% off for 3 months")
    stored = site.subscription(site.team)
    assert stored.cancel_at_period_end is False
    assert [d.source.coupon.id for d in stored.discounts] == ["WELCOME20"]


def test_resubscribe_starts_an_ended_subscription_again(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    site.sandbox.client().v1.subscriptions.cancel(site.team)
    page = open_portal(browse, site)
    ended = subscription(page, "Team")
    expect(ended).to_contain_text("Canceled")
    ended.get_by_role("button", name="Resubscribe").click()
    dialog = page.get_by_role("dialog", name="Resubscribe")
    expect(dialog).to_contain_text("Start Team again for $29.00 per month.")
    dialog.get_by_role("button", name="Resubscribe").click()

    expect(page.get_by_role("status")).to_have_text(
        "Welcome back! Your subscription is active again."
    )
    teams = page.get_by_role("article", name="Team")
    expect(teams).to_have_count(2)
    expect(teams.first).to_contain_text("Active")
    live = site.sandbox.client().v1.subscriptions.list({"customer": site.ids["customer"]})
    assert [s.status for s in live.data if s.id != site.seats] == ["active"]


def test_apply_a_coupon_code(portal_site: Site, browse: Browse) -> None:
    site = portal_site(coupons=True)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Apply a coupon").click()
    dialog = page.get_by_role("dialog", name="Apply a coupon")
    dialog.get_by_role("textbox", name="Coupon code").fill("NOPE")
    dialog.get_by_role("button", name="Apply").click()
    expect(dialog.get_by_role("alert")).to_have_text(catalog("en")["error.coupon_invalid"])

    dialog.get_by_role("textbox", name="Coupon code").fill("welcome20")
    dialog.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_have_text("The coupon has been applied.")
    expect(subscription(page, "Team")).to_contain_text("20% off for 3 months")


def test_pause_until_a_date_then_resume(portal_site: Site, browse: Browse) -> None:
    site = portal_site(pause_instead_of_cancel=True, pause_max_days=30)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Pause payments").click()
    dialog = page.get_by_role("dialog", name="Pause payments")
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=10)
    dialog.get_by_label("Resume payments on").fill(day.isoformat())
    dialog.get_by_role("button", name="Pause payments").click()

    until = format_date(_midnight(day), "en")
    expect(page.get_by_role("status")).to_have_text(f"Payments are paused until {until}.")
    team = subscription(page, "Team")
    expect(badge(team)).to_have_text(f"Paused until {until}")
    expect(team.get_by_text(f"Payments paused until {until}")).to_be_visible()
    pause = site.subscription(site.team).pause_collection
    assert pause is not None
    assert pause.resumes_at == int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())

    team.get_by_role("button", name="Resume payments").click()
    expect(page.get_by_role("status")).to_have_text("Payments have resumed.")
    assert site.subscription(site.team).pause_collection is None


def test_dropdown_mode_offers_the_same_actions_in_a_select(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(actions_dropdown=True)
    page = open_portal(browse, site)
    team = subscription(page, "Team")
    expect(team.get_by_role("button", name="Change plan")).to_have_count(0)
    menu = team.get_by_role("combobox", name="Actions")
    menu.select_option(label="Cancel subscription")
    team.get_by_role("button", name="Continue").click()

    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="Another reason").check()
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_role("status")).to_contain_text("Your subscription will end on")
    assert site.subscription(site.team).cancel_at_period_end is True


def test_the_status_line_leaves_by_itself_and_never_takes_a_click(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse(width=360)
    page.clock.install()  # the page's timers on a clock the test moves
    page.goto(site.page())
    team = subscription(page, "Team")
    team.get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="Another reason").check()
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()
    page.clock.run_for(100)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Your subscription will end on")

    # While it shows, a click at its middle reaches what is under it, not the message.
    box = status.bounding_box()
    assert box is not None
    under = page.evaluate("([x, y]) => document.elementFromPoint(x, y).className",
                          [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])  # fmt: skip
    assert "bf-status" not in under
    page.clock.run_for(7_000)
    expect(status).to_contain_text("Your subscription will end on")  # still there to read
    page.clock.run_for(3_000)
    expect(status).to_have_text("")
    expect(team).to_contain_text("Cancels on")  # what it said stays in the page


def test_a_pre_cancel_handler_that_throws_stops_the_cancellation(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    page.add_init_script("window.stopAt = 'pre_cancel'")
    page.goto(site.page())
    subscription(page, "Team").get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="Another reason").check()
    site.sandbox.reset()
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()

    expect(dialog.get_by_role("alert")).to_have_text("The site stopped this action.")
    assert site.sandbox.writes() == []
    assert [e for e in events(page) if "cancel" in e or e == "error"] == ["pre_cancel", "error"]


def test_a_double_click_changes_once(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    subscription(page, "Seats").get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    dialog.get_by_role("spinbutton").fill("4")
    dialog.get_by_role("button", name="Change quantity").dblclick()

    expect(page.get_by_role("status")).to_have_text("The quantity has been updated.")
    assert len(site.subscription_writes(site.seats)) == 1
    assert site.subscription(site.seats)["items"].data[0].quantity == 4


def test_a_retry_after_a_lost_answer_sends_the_same_key_and_changes_once(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    keys: list[str] = []

    def lose_first_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()  # the server acts...
            route.abort()  # ...and its answer never arrives
        else:
            route.continue_()

    page.route("**/billflow/api/actions/change_quantity", lose_first_answer)
    subscription(page, "Seats").get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    dialog.get_by_role("spinbutton").fill("6")
    dialog.get_by_role("button", name="Change quantity").click()
    expect(dialog.get_by_role("alert")).to_contain_text("couldn't reach the server")
    dialog.get_by_role("button", name="Change quantity").click()

    expect(page.get_by_role("status")).to_have_text("The quantity has been updated.")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert len(site.subscription_writes(site.seats)) == 1


def test_nothing_overflows_at_360_pixels_wide(portal_site: Site, browse: Browse) -> None:
    site = portal_site(coupons=True)
    page = browse(width=360, height=720)
    page.goto(site.page())
    expect(page.get_by_role("listitem").first).to_be_visible()
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(overflow) <= 0
    subscription(page, "Team").get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate(overflow) <= 0


def test_a_held_downgrade_says_when_it_takes_effect_and_can_be_undone(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(downgrade_at_period_end=True)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Starter")).check()
    expect(dialog).to_contain_text(
        re.compile(r"The change takes effect on \w+ \d+, \d{4}, then \$9\.00 per month\.")
    )
    dialog.get_by_role("button", name="Change plan").click()

    on = period_end(site, site.team)
    expect(page.get_by_role("status")).to_have_text(f"Your plan changes to Starter on {on}.")
    team = subscription(page, "Team")
    expect(badge(team)).to_have_text(f"Downgrades on {on}")
    line = team.get_by_text(f"Downgrades to Starter on {on}")
    expect(line).to_be_visible()
    assert colour(line) == TEXT
    assert site.subscription(site.team)["items"].data[0].price.id == site.price("team_monthly")
    team.get_by_role("button", name="Keep current plan").click()
    expect(page.get_by_role("status")).to_have_text("You're keeping your current plan.")
    expect(subscription(page, "Team")).not_to_contain_text("Downgrades to Starter")


def test_more_invoices_are_fetched_a_page_at_a_time(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = open_portal(browse, site)
    invoices = page.get_by_role("region", name="Invoices")
    rows = invoices.get_by_role("listitem")
    expect(rows.filter(visible=True)).to_have_count(6)
    more = invoices.get_by_role("button", name="Show more invoices")
    more.click()
    expect(rows.filter(visible=True)).to_have_count(24)
    more.click()  # the demo's year has 26 invoices: the second page holds two
    expect(rows).to_have_count(26)
    expect(more).to_be_hidden()
    numbers = rows.locator(".bf-invoice-number").all_inner_texts()
    assert len(set(numbers)) == 26


def test_resubscribe_to_another_plan_with_a_coupon(portal_site: Site, browse: Browse) -> None:
    site = portal_site(change_plan_on_resubscribe=True, coupons=True, coupons_on_resubscribe=True)
    site.sandbox.client().v1.subscriptions.cancel(site.team)
    page = open_portal(browse, site)
    subscription(page, "Team").get_by_role("button", name="Resubscribe").click()
    dialog = page.get_by_role("dialog", name="Resubscribe")
    expect(dialog.get_by_role("radio", name=re.compile("^Team.*Current plan"))).to_be_checked()
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    dialog.get_by_role("textbox", name="Coupon code").fill("WELCOME20")
    dialog.get_by_role("button", name="Resubscribe").click()

    expect(page.get_by_role("status")).to_have_text(
        "Welcome back! Your subscription is active again."
    )
    business = subscription(page, "Business")
    expect(business).to_contain_text("20% off for 3 months")
    live = site.sandbox.client().v1.subscriptions.list({"customer": site.ids["customer"]})
    (new,) = [s for s in live.data if s.id not in (site.team, site.seats)]
    assert new.status == "active"
    assert new["items"].data[0].price.id == site.price("business_monthly")
