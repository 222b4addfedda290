"""The page does not jump about: once the portal is shown, the invoices arriving after it move
nothing, at phone and at desktop width; and they arrive in one request, however many
subscriptions show them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route
from portal_site import PortalSite

# Where each part of the portal is: its sections, cards and headings, top and height.
PLACES = """() => [...document.querySelectorAll('.bf section, .bf article, .bf h2, .bf h3')]
  .map((part) => { const box = part.getBoundingClientRect();
    return [part.tagName, part.id || part.getAttribute('aria-labelledby') || '',
            Math.round(box.top), Math.round(box.height)]; })"""


@pytest.mark.parametrize("width", [360, 1024])
def test_invoices_arriving_move_nothing(
    portal_site: Callable[..., PortalSite], browse: Callable[..., Page], width: int
) -> None:
    """The invoices are held back until the portal is measured without them, then let
    through: every section, card and heading is where it was (bench/page.py prints the
    browser's layout-shift score for the same arrival)."""
    site = portal_site()
    page = browse(width=width)
    held: list[Route] = []
    page.route(re.compile(r"/api/invoices"), lambda route: held.append(route))
    page.goto(site.page())
    page.wait_for_selector(".bf-sub")
    while not held:  # the portal asks for its invoices as it loads
        page.wait_for_timeout(10)
    before = page.evaluate(PLACES)
    assert page.locator(".bf-invoice").count() == 0  # not there yet: their room is kept

    (invoices,) = held
    invoices.continue_()
    page.wait_for_selector(".bf-invoice")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-rows]')]"
        ".every((rows) => rows.getAttribute('aria-busy') === 'false')"
    )
    assert page.evaluate(PLACES) == before  # the history's room was its rows' and button's
    # Both subscriptions' invoices came in one request (one Stripe request), not one each.
    assert len(held) == 1
