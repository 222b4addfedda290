"""An email is an identity only when the site vouches for it: a Wagtail user who sets their
email to a customer's at /admin/account/ never gets that customer's portal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.http import HttpRequest
from django.test import Client

from billflow_core import user_hash
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_wagtail.checks import check_settings

from .conftest import SECRET

EVE = "eve@example.com"


def wagtail_user(django_user_model: Any) -> tuple[Any, Client]:
    """Eve: not staff, but a Wagtail admin user (an editor's group), so /admin/account/ is
    hers to edit."""
    eve = django_user_model.objects.create_user("eve", EVE, "pw")
    editors = Group.objects.create(name="Site editors")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    eve.groups.add(editors)
    client = Client()
    client.force_login(eve)
    return eve, client


def snippet_email(html: str) -> Any:
    """The email the page's snippet names the visitor by."""
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    assert found is not None, "the page shows no portal"
    return json.loads(found[1]).get("email")


def change_email_at_admin_account(client: Client, email: str) -> None:
    """Post Wagtail's own account form, as Eve would in her browser."""
    client.post(
        "/admin/account/",
        {
            "name_email-first_name": "Eve",
            "name_email-last_name": "Intruder",
            "name_email-email": email,
            "notifications-submitted_notifications": "false",
            "notifications-approved_notifications": "false",
            "notifications-rejected_notifications": "false",
            "notifications-updated_comments_notifications": "false",
            "locale-preferred_language": "en",
            "locale-current_time_zone": "UTC",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "keyboard-shortcuts": "true",
        },
    )


def test_an_email_changed_at_admin_account_does_not_get_that_customers_portal(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any,
    django_user_model: Any, editor: Client,
) -> None:  # fmt: skip
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = True  # Wagtail's default
    page = publish("Billing")
    eve, client = wagtail_user(django_user_model)

    change_email_at_admin_account(client, DEMO_EMAIL)
    eve.refresh_from_db()
    assert eve.email == DEMO_EMAIL  # Wagtail took it, unverified

    html = client.get(page.url).content.decode()
    assert "data-billflow-settings" not in html
    assert DEMO_EMAIL not in html and user_hash(SECRET, DEMO_EMAIL) not in html
    assert "unavailable right now" in html
    assert "BILLFLOW_VERIFIED_EMAIL" not in html  # the reason is for staff
    assert "BILLFLOW_VERIFIED_EMAIL" in editor.get(page.url).content.decode()


def test_with_wagtails_email_changes_off_the_account_form_cannot_take_a_customers_email(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any,
    django_user_model: Any,
) -> None:  # fmt: skip
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
    page = publish("Billing")
    eve, client = wagtail_user(django_user_model)

    change_email_at_admin_account(client, DEMO_EMAIL)
    eve.refresh_from_db()

    assert eve.email == EVE
    html = client.get(page.url).content.decode()
    assert snippet_email(html) == EVE
    assert DEMO_EMAIL not in html


def test_a_verified_email_callable_names_the_user_and_ignores_the_email_they_typed(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any,
    django_user_model: Any,
) -> None:  # fmt: skip
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = True
    verified_at_signup = {"eve": EVE}

    def verified_email(request: HttpRequest) -> str | None:
        return verified_at_signup.get(request.user.get_username())

    settings.BILLFLOW_VERIFIED_EMAIL = verified_email
    page = publish("Billing")
    _, client = wagtail_user(django_user_model)
    change_email_at_admin_account(client, DEMO_EMAIL)

    html = client.get(page.url).content.decode()
    assert snippet_email(html) == EVE
    assert DEMO_EMAIL not in html


def test_the_checks_say_when_nothing_vouches_for_an_email(settings: Any) -> None:
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = True
    assert "billflow_wagtail.W004" in {m.id for m in check_settings()}

    settings.BILLFLOW_VERIFIED_EMAIL = True
    assert "billflow_wagtail.W004" not in {m.id for m in check_settings()}

    settings.BILLFLOW_VERIFIED_EMAIL = "testsite.nowhere.verified_email"
    assert "billflow_wagtail.E005" in {m.id for m in check_settings()}

    del settings.BILLFLOW_VERIFIED_EMAIL
    settings.BILLFLOW_CUSTOMER_ID = "testsite.models.ContentPage"
    assert "billflow_wagtail.W004" not in {m.id for m in check_settings()}

    del settings.BILLFLOW_CUSTOMER_ID
    settings.WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False
    assert "billflow_wagtail.W004" not in {m.id for m in check_settings()}
