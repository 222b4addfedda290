"""examples/react, examples/vue and examples/nextjs, built and driven in Chromium as a user
would: sign in against the sample's backend, which asks the bridge for the hash; see the
portal a component mounted, change plan, route away and back (one portal, nothing left
over), and sign out. No key is in anything the build wrote or the browser received."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, Response, expect
from samples import KEY_AT_BUILD, SAMPLES, Built, build, serve

from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

Browse = Callable[..., Page]


@pytest.fixture(params=SAMPLES)
def built(request: pytest.FixtureRequest) -> Built:
    return build(str(request.param))


def _portals(page: Page) -> int:
    return int(page.locator(".bf").count())


def test_a_sample_signs_in_mounts_the_portal_routes_away_and_back_and_signs_out(
    built: Built, stripe_sandbox: Sandbox, browse: Browse
) -> None:
    stripe_sandbox.seed("demo")
    with serve(built, stripe_sandbox) as running:
        page = browse(width=1280)
        received: list[bytes] = []

        def keep(response: Response) -> None:
            if response.request.method != "OPTIONS" and response.status != 204:
                with contextlib.suppress(Exception):  # a redirect has no body to read
                    received.append(response.body())

        page.on("response", keep)
        page.goto(running.url + "/")
        page.get_by_label("Email").fill(DEMO_EMAIL)
        page.get_by_role("button", name="Sign in").click()

        expect(page).to_have_url(running.url + "/billing")
        team = page.get_by_role("article", name="Team")
        expect(team).to_contain_text("$29.00 per month")
        expect(page.locator("article.bf-sub")).to_have_count(2)

        # Act through the portal: the bridge holds the identity the hash proved.
        team.get_by_role("button", name="Change plan").click()
        dialog = page.get_by_role("dialog", name="Change plan")
        dialog.get_by_role("radio", name=re.compile("^Business")).check()
        dialog.get_by_role("button", name="Change plan").click()
        expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
        expect(page.get_by_role("article", name="Business")).to_be_visible()

        # Away: the router unmounts the component, and the portal goes with it.
        page.get_by_role("link", name="Home").click()
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        assert _portals(page) == 0
        expect(page.locator("dialog")).to_have_count(0)

        # Back, by a link and by the browser's history: one portal each time.
        page.get_by_role("link", name="Billing").click()
        expect(page.get_by_role("article", name="Business")).to_be_visible()
        assert _portals(page) == 1
        page.go_back()
        expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
        page.go_forward()
        expect(page.locator("article.bf-sub")).to_have_count(2)
        assert _portals(page) == 1
        expect(page.locator("link[data-billflow-css]")).to_have_count(1)
        loads = page.evaluate("window.billflowSampleEvents.filter((e) => e === 'post_load')")
        assert len(loads) == 3  # one per mount: none of an unmounted portal's answers
        assert page.evaluate("window.billflowSampleEvents.filter((e) => e === 'change_plan')") == [
            "change_plan"
        ]

        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert _portals(page) == 0
        assert requests.get(running.url + "/api/me", timeout=10).status_code == 401

        # The bridge's key stayed on the server: not one byte of it reached the browser.
        assert received and not [body for body in received if running.api_key.encode() in body]


def test_no_key_is_built_into_a_sample(built: Built) -> None:
    """The build ran with the bridge's key in its environment: nothing it wrote holds it."""
    written = [p for p in built.output.rglob("*") if p.is_file() and "cache" not in p.parts]
    assert written, f"{built.output} is empty"
    holding = [p for p in written if KEY_AT_BUILD.encode() in p.read_bytes()]
    assert holding == []
