"""The Wagtail plugin in Chromium: a Django user signs in, opens the page an editor put the
Billing portal block on, changes plan, and Stripe (the sandbox) holds the change."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

# Playwright's sync API keeps an event loop running in this thread; the test's own database
# calls (not the live server's) are synchronous all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def billing_page(transactional_db: None, settings: Any, stripe_sandbox: Sandbox) -> Any:
    from wagtail.models import Site

    from billflow_wagtail.models import BillflowSettings
    from testsite.models import ContentPage

    ids = stripe_sandbox.seed("demo")
    settings.BILLFLOW_SECRET_KEY = "wagtail-browser-secret-0123456789"
    settings.BILLFLOW_STRIPE_API_KEY = stripe_sandbox.secret_key
    settings.BILLFLOW_STRIPE_API_BASE = stripe_sandbox.url
    settings.BILLFLOW_STRIPE_PUBLISHABLE_KEY = stripe_sandbox.publishable_key
    settings.BILLFLOW_STRIPE_JS_URL = f"{stripe_sandbox.url}/v3/"
    home = Site.objects.get(is_default_site=True).root_page
    page = ContentPage(
        title="Billing",
        slug="billing",
        body=[("billing_portal", {"heading": "Your subscription", "options": {}})],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    # Made here, not by the browser's first requests: the live server shares the test's
    # one SQLite connection between its threads, where two first requests at once can race.
    BillflowSettings.for_site(home.get_site())
    return ids


def test_a_django_user_signs_in_and_changes_plan_on_the_wagtail_page(
    billing_page: dict[str, Any],
    live_server: Any,
    page: Page,
    stripe_sandbox: Sandbox,
    django_user_model: Any,
) -> None:
    django_user_model.objects.create_user("ada", DEMO_EMAIL, "a-long-password")
    page.goto(f"{live_server.url}/billing/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/billing/")
    expect(page.get_by_role("heading", name="Your subscription")).to_be_visible()

    team = page.get_by_role("article", name="Team")
    team.get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    expect(dialog).to_contain_text("Then $79.00 per month")
    dialog.get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")

    stored = stripe_sandbox.client().v1.subscriptions.retrieve(billing_page["subscriptions"][0])
    assert stored["items"].data[0].price.id == billing_page["prices"]["business_monthly"]
