"""The demo's sample site in Chromium: the portal shows the signed-in customer's
subscriptions and an action goes through, as a new user trying `billflow demo` sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from billflow_demo.site import Demo, start_demo


@pytest.fixture
def demo() -> Iterator[Demo]:
    running = start_demo("127.0.0.1", 0, environ={})
    yield running
    running.stop()


def test_the_demo_shows_ada_her_portal_and_a_quantity_change_goes_through(
    demo: Demo, page: Page
) -> None:
    page.goto(demo.url + "/")
    subscriptions = page.locator(".bf-sub")
    expect(subscriptions).to_have_count(2)
    for name in ("Team", "Seats"):
        expect(page.locator(".bf-sub-name", has_text=name)).to_have_count(1)
    seats = page.locator(".bf-sub", has=page.locator(".bf-sub-name", has_text="Seats"))
    expect(seats).to_contain_text("3 seat")

    seats.get_by_role("button", name="Change quantity").click()
    dialog = page.get_by_role("dialog", name="Change quantity")
    dialog.get_by_role("button", name="Increase quantity").click()
    expect(dialog.get_by_role("row", name=re.compile("^Due today"))).to_be_visible()
    dialog.get_by_role("button", name="Change quantity").click()

    expect(page.get_by_role("status")).to_have_text("The quantity has been updated.")
    expect(seats).to_contain_text("4 seat")
    assert demo.sandbox is not None
    changed = [w for w in demo.sandbox.writes() if w.path.startswith("/v1/subscriptions/")]
    assert len(changed) == 1
