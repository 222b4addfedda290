"""The Wagtail plugin's tests: a real Wagtail project (`testsite`) on a throwaway PostgreSQL
server (`tests/conftest.py`; SQLite with `TESTSITE_DATABASE=sqlite`, and in
`test_databases.py`), the Stripe sandbox behind it over HTTP, Django's test client for the
admin and the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from wagtail.models import Page, Site
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_wagtail.blocks import PageOptionsBlock
from testsite.models import ContentPage

SECRET = "wagtail-test-secret-0123456789"


@pytest.fixture
def sandbox(stripe_sandbox: Sandbox, settings: Any, db: None) -> dict[str, Any]:
    """The demo account in a fresh sandbox, and Django's settings pointing at it."""
    ids = stripe_sandbox.seed("demo")
    settings.BILLFLOW_SECRET_KEY = SECRET
    settings.BILLFLOW_STRIPE_API_KEY = stripe_sandbox.secret_key
    settings.BILLFLOW_STRIPE_API_BASE = stripe_sandbox.url
    settings.BILLFLOW_STRIPE_PUBLISHABLE_KEY = stripe_sandbox.publishable_key
    settings.BILLFLOW_STRIPE_JS_URL = f"{stripe_sandbox.url}/v3/"
    return ids


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    caches["default"].clear()  # rate limits and answers never carry from test to test
    yield


@pytest.fixture
def editor(db: None, django_user_model: Any) -> Client:
    """A Wagtail editor (a superuser) signed in to the admin."""
    user = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer(db: None, django_user_model: Any) -> Client:
    """Ada, the sandbox's demo customer, signed in to the site (not the admin)."""
    user = django_user_model.objects.create_user("ada", DEMO_EMAIL, "pw")
    client = Client()
    client.force_login(user)
    return client


def block_data(**fields: Any) -> dict[str, Any]:
    """The admin form's data for one Billing portal block."""
    options = {name: "" for name in PageOptionsBlock.base_blocks}
    options.update(fields.pop("options", {}))
    return {
        "heading": fields.pop("heading", "Your subscription"),
        "intro": rich_text(fields.pop("intro", "<p>Manage your plan here.</p>")),
        "service": fields.pop("service", ""),
        "options": options,
    }


@pytest.fixture
def publish(editor: Client) -> Callable[..., Any]:
    """Publish a page with a Billing portal block through the admin's own add view; the
    admin's answer when it refuses."""

    def publish(title: str = "Billing", **block: Any) -> Any:
        home = Site.objects.get(is_default_site=True).root_page
        data = nested_form_data(
            {
                "title": title,
                "slug": title.lower().replace(" ", "-"),
                "body": streamfield([("billing_portal", block_data(**block))]),
                "action-publish": "action-publish",
            }
        )
        answer = editor.post(f"/admin/pages/add/testsite/contentpage/{home.pk}/", data)
        found = ContentPage.objects.filter(title=title).first()
        return found if found is not None else answer

    return publish


def root() -> Page:
    return Site.objects.get(is_default_site=True).root_page
