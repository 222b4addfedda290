"""Email sign-in through Django's own mail (its SMTP backend, to a real server on loopback)
and cache; and the admin's Billflow doctor for the current site."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from billflow_sandbox.mailbox import Mailbox
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_wagtail.models import BillflowSettings
from billflow_wagtail.portals import portal_for_site

from .conftest import root


def test_a_sign_in_link_goes_out_through_djangos_email_backend(
    sandbox: dict[str, Any], settings: Any, smtp_mailbox: Mailbox
) -> None:
    # pytest-django swaps in the memory backend for every test: the site's real one here.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_mailbox.address
    row = BillflowSettings.for_site(root().get_site())
    row.email_sign_in = True
    row.company_name = "Acme"
    row.sign_in_from_address = "billing@acme.example"
    row.sign_in_redirect_url = "http://localhost/billing/"
    row.sign_in_per_email_per_hour = 1
    row.save()
    asked = Client().post("/billflow/api/login-link", {"email": DEMO_EMAIL},
                          content_type="application/json")  # fmt: skip
    assert asked.status_code == 202
    (mail,) = smtp_mailbox.wait_for(DEMO_EMAIL)
    assert mail.subject == "Your sign-in link for Acme"
    assert "Acme <billing@acme.example>" in str(mail.message["From"])
    assert mail.html() and "billflow_token=" in mail.html()
    token = re.search(r"billflow_token=([^\s\"&<]+)", mail.text())[1]  # type: ignore[index]
    session = Client().post("/billflow/api/session", {"token": token},
                            content_type="application/json")  # fmt: skip
    assert session.status_code == 200 and session.json()["email"] == DEMO_EMAIL
    again = Client().post("/billflow/api/session", {"token": token},
                          content_type="application/json")  # fmt: skip
    assert again.json()["error"]["code"] == "link_used"  # the mark is in Django's cache
    limited = Client().post("/billflow/api/login-link", {"email": DEMO_EMAIL},
                            content_type="application/json")  # fmt: skip
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    portal_for_site(root().get_site()).sign_in.wait()
    assert len(smtp_mailbox.messages) == 1


def test_the_doctor_shows_the_sites_findings_to_those_who_may_change_its_settings(
    sandbox: dict[str, Any], editor: Client, customer: Client, django_user_model: Any
) -> None:
    page = editor.get("/admin/billflow/doctor/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Billflow doctor" in text and "test mode key" in text
    assert "BILLFLOW_STRIPE_WEBHOOK_SECRET is not set" in text
    # In Wagtail's own status styles: an amber help block for the warning, a status tag
    # for what is fine.
    warning = text[: text.index("BILLFLOW_STRIPE_WEBHOOK_SECRET is not set")]
    assert warning.rindex('class="help-block help-warning"') > warning.rindex("<li")
    assert "w-status--primary" in text
    menu = editor.get("/admin/").content.decode()
    assert "/admin/billflow/doctor/" in menu

    staff = django_user_model.objects.create_user("writer", "w@example.com", "pw", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
    writer = Client()
    writer.force_login(staff)
    refused = writer.get("/admin/billflow/doctor/")
    assert refused.status_code == 302 and refused["Location"] == "/admin/"  # with a message
    assert customer.get("/admin/billflow/doctor/").status_code == 302  # to the admin login
