"""`billflow bridge demo` in Chromium, as a new user tries it: log in on the sample no-code
site, see the portal, change plan, and watch the signed event arrive on the receiver page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from billflow_demo.bridge import BridgeDemo, start_bridge_demo


@pytest.fixture
def bridge_demo() -> Iterator[BridgeDemo]:
    demo = start_bridge_demo("127.0.0.1", 0)
    yield demo
    demo.stop()


def test_the_demo_site_logs_in_changes_plan_and_shows_the_signed_delivery(
    bridge_demo: BridgeDemo, browse: Callable[..., Page]
) -> None:
    page = browse()
    page.goto(bridge_demo.site_url + "/")
    expect(page.get_by_role("alert")).to_have_text("Sign in to manage your billing.")

    page.get_by_role("button", name="Log in as ada@example.com").click()
    team = page.get_by_role("article", name="Team")
    expect(team).to_contain_text("$29.00 per month")
    team.get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    dialog.get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")

    deliveries = browse()
    deliveries.goto(bridge_demo.site_url + "/deliveries")
    row = deliveries.get_by_role("listitem").filter(has_text="change_plan")
    expect(row).to_contain_text("signature verified", timeout=10_000)
    expect(row).to_contain_text('"customer_email": "ada@example.com"')
    [received] = [r for r in bridge_demo.received if r.event_type == "change_plan"]
    assert received.verified


def test_each_person_sees_their_own_portal(
    bridge_demo: BridgeDemo, browse: Callable[..., Any]
) -> None:
    page = browse()
    page.goto(bridge_demo.site_url + "/")
    page.get_by_role("button", name="Log in as grace@example.com").click()

    expect(page.get_by_text("Logged in as grace@example.com")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(0)  # Grace has no subscription
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("alert")).to_have_text("Sign in to manage your billing.")
