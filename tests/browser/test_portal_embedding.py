"""The ways a site embeds the portal: the snippet `embed_snippet` writes, hosted Billflow's
snippet unchanged, one subscription only, someone who is not a customer yet, debug mode."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from portal_site import PortalSite

Site = Callable[..., PortalSite]
Browse = Callable[..., Page]


def events(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.billflowEvents")
    return found


@pytest.mark.parametrize("variable", ["billflowSettings", "servicebotSettings"])
def test_hosted_billflows_snippet_works_unchanged(
    portal_site: Site, browse: Browse, variable: str
) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page("/hosted", var=variable))

    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("article", name="Team")).to_contain_text("$29.00 per month")
    names = [e["event"] for e in events(page)]
    assert names[:2] == ["pre_load", "post_load"]
    pre_load = events(page)[0]["response"]
    assert pre_load["email"] == "ada@example.com" and "hash" not in pre_load
    post_load = events(page)[1]["response"]
    assert set(post_load) == {"billingData", "productData", "currentConfig"}
    assert post_load["billingData"]["no_user"] is False


def test_subscription_id_limits_the_portal_to_that_subscription(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page("/hosted", only=site.seats))

    expect(page.get_by_role("article", name="Seats")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)
    page.get_by_role("button", name="Change quantity").click()
    page.get_by_role("dialog").get_by_role("spinbutton").fill("2")
    page.get_by_role("dialog").get_by_role("button", name="Change quantity").click()
    expect(page.get_by_role("status")).to_have_text("The quantity has been updated.")
    assert site.subscription(site.seats)["items"].data[0].quantity == 2


def test_the_snippet_limits_to_one_subscription_too(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page(only=site.team))
    expect(page.get_by_role("article", name="Team")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(1)


def test_someone_new_picks_a_plan_and_subscribes(portal_site: Site, browse: Browse) -> None:
    site = portal_site()
    page = browse()
    page.goto(site.page(**{"as": "grace@example.com"}))

    picker = page.get_by_role("region", name="Choose a plan")
    expect(picker).to_contain_text("You don't have a subscription yet.")
    assert events(page)[1]["response"]["billingData"]["no_user"] is True
    picker.get_by_role("radio", name=re.compile(r"^Starter.*\$9\.00 per month")).check()
    picker.get_by_role("button", name="Subscribe").click()

    pay = page.get_by_role("dialog", name="Complete payment")
    pay.get_by_label("Card number").fill("4242 4242 4242 4242")
    pay.get_by_label("Expiration date (MM / YY)").fill("12 / 34")
    pay.get_by_label("CVC").fill("123")
    pay.get_by_role("button", name="Pay $9.00").click()

    expect(page.get_by_role("status")).to_have_text("Thank you! Your subscription is active.")
    starter = page.get_by_role("article", name="Starter")
    expect(starter).to_contain_text("Active")
    customers = site.sandbox.client().v1.customers.list({"email": "grace@example.com"}).data
    assert len(customers) == 1
    subscriptions = site.sandbox.client().v1.subscriptions.list({"customer": customers[0].id})
    assert [s.status for s in subscriptions.data] == ["active"]
    names = [e["event"] for e in events(page)]
    assert names.index("select_plan") < names.index("pre_subscribe")
    assert names.index("pre_subscribe") < names.index("create_subscription")


def test_debug_mode_logs_requests_and_events_but_never_the_page_token(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(debug=True)
    page = browse()
    messages: list[ConsoleMessage] = []
    hashes: set[str] = set()
    page.on("console", lambda message: messages.append(message))
    page.on("request", lambda r: hashes.add(r.headers.get("x-billflow-page", "")))
    page.goto(site.page())
    page.get_by_role("article", name="Team").get_by_role("button", name="Change plan").click()
    page.get_by_role("dialog").get_by_role("radio", name=re.compile("^Business")).check()
    page.get_by_role("dialog").get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")

    lines = [" ".join(json.dumps(a.json_value()) for a in m.args) for m in messages]
    assert any("request" in line and "POST" in line and "change_plan" in line for line in lines)
    assert any('"event" "change_plan"' in line for line in lines)
    (token,) = hashes - {""}
    assert not any(token in line or token.split(".")[2] in line for line in lines)


def test_with_events_off_the_sites_handler_is_never_called(
    portal_site: Site, browse: Browse
) -> None:
    site = portal_site(events=False)
    page = browse()
    page.goto(site.page())
    page.get_by_role("article", name="Team").get_by_role(
        "button", name="Cancel subscription"
    ).click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="Another reason").check()
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_role("status")).to_contain_text("Your subscription will end on")
    assert events(page) == []


def test_markup_a_visitor_injects_never_receives_the_identity(
    portal_site: Site, browse: Browse
) -> None:
    """A `<div data-billflow data-api=…>` left in the page (HTML sanitizers keep `data-*`)
    gets neither window.billflowSettings nor any request: the site's own portal works."""
    site = portal_site()
    page = browse()
    reached: list[dict[str, str]] = []

    def record(route: Any) -> None:
        reached.append(route.request.headers)
        route.fulfill(status=200, content_type="application/json", body="{}")

    page.route("http://evil.example/**", record)
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text))
    page.goto(site.page("/hosted", inject="http://evil.example/billflow"))

    expect(page.get_by_role("article", name="Team")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(2)  # only the site's own portal
    page.wait_for_load_state("networkidle")
    assert reached == []
    assert any("evil.example" in text and "not mounted" in text for text in warnings)


def test_the_documented_content_security_policy_lets_the_portal_and_its_card_form_work(
    portal_site: Site, browse: Browse
) -> None:
    """docs/embedding.md's policy: no inline script or style allowed, and still the portal
    loads, acts and opens Stripe.js's card form, with no violation reported."""
    site = portal_site()
    page = browse()
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    answer = page.goto(site.page("/strict"))
    assert answer is not None and "script-src 'self'" in answer.headers["content-security-policy"]
    expect(page.locator("article.bf-sub")).to_have_count(2)
    page.get_by_role("button", name="Update payment method").click()
    card = page.get_by_role("dialog", name="Update card").get_by_label("Card number")
    expect(card).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Change plan").first.click()
    expect(page.get_by_role("dialog", name="Change plan")).to_be_visible()
    assert page.evaluate("window.violations") == []
    # Not vacuous: the policy does stop what it does not name.
    page.evaluate("() => { const s = document.createElement('script');"
                  " s.textContent = 'window.ran = true'; document.head.append(s); }")  # fmt: skip
    page.wait_for_function("window.violations.length > 0")
    assert page.evaluate("window.ran") is None
