"""The Flask extension in Chromium: a user signs in to a small Flask app (Flask-Login),
opens the account page, cancels with a reason, undoes it, and Stripe (the sandbox) holds
both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from billflow_core.web.serve import start_server
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from flask_site import flask_login_app


@pytest.fixture
def flask_site(stripe_sandbox: Sandbox) -> Iterator[tuple[str, dict[str, Any]]]:
    ids = stripe_sandbox.seed("demo")
    server = start_server(flask_login_app(stripe_sandbox))
    yield f"http://127.0.0.1:{server.server_address[1]}", ids
    server.shutdown()
    server.server_close()


def test_a_user_signs_in_cancels_with_a_reason_and_undoes_it(
    flask_site: tuple[str, dict[str, Any]], page: Page, stripe_sandbox: Sandbox
) -> None:
    url, ids = flask_site
    page.goto(f"{url}/account")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Billing")).to_be_visible()

    team = page.get_by_role("article", name="Team")
    team.get_by_role("button", name="Cancel subscription").click()
    dialog = page.get_by_role("dialog", name="Cancel your subscription")
    dialog.get_by_role("radio", name="It's too expensive").check()
    dialog.get_by_role("textbox", name=re.compile("Anything else")).fill("Budget cuts.")
    dialog.get_by_role("button", name="Continue").click()
    dialog.get_by_role("button", name="Cancel subscription").click()
    expect(page.get_by_role("status")).to_contain_text("Your subscription will end on")
    stored = stripe_sandbox.client().v1.subscriptions.retrieve(ids["subscriptions"][0])
    assert stored.cancel_at_period_end is True
    assert stored.cancellation_details.feedback == "too_expensive"
    assert stored.cancellation_details.comment == "Budget cuts."

    page.get_by_role("article", name="Team").get_by_role("button", name="Keep subscription").click()
    expect(page.get_by_role("status")).to_have_text("Your subscription will continue.")
    stored = stripe_sandbox.client().v1.subscriptions.retrieve(ids["subscriptions"][0])
    assert stored.cancel_at_period_end is False
