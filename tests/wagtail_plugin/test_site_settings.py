"""The site's portal options, edited in the Wagtail admin under Settings → Billflow: what the
admin saves is what the portal offers, a bad combination is refused naming the option, and
the secrets are never in the admin or the database."""

from __future__ import annotations

import html
import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from billflow_core import user_hash
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_wagtail.models import BillflowSettings
from billflow_wagtail.portals import portal_for_request

from .conftest import SECRET


def _form(editor: Client, site: Site) -> dict[str, Any]:
    """The settings form as the admin shows it, ready to post back."""
    from wagtail.test.utils.form_data import querydict_from_html

    page = editor.get(f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/")
    assert page.status_code == 200
    data = querydict_from_html(page.content.decode(), form_id="w-editor-form")
    return {k: v for k, v in data.lists()}


def _portal(client: Client) -> dict[str, Any]:
    headers = {"HTTP_X_BILLFLOW_IDENTITY": DEMO_EMAIL,
               "HTTP_X_BILLFLOW_HASH": user_hash(SECRET, DEMO_EMAIL)}  # fmt: skip
    answer = client.get("/billflow/api/portal", **headers)
    assert answer.status_code == 200, answer.content
    return dict(answer.json())


def test_a_setting_changed_in_the_admin_changes_what_the_portal_offers(
    sandbox: dict[str, Any], editor: Client
) -> None:
    site = Site.objects.get(is_default_site=True)
    assert _portal(Client())["currentConfig"]["coupons"] is False
    data = _form(editor, site)
    data["coupons"] = ["on"]
    data["cancel"] = []  # an unchecked box is left out of the form
    saved = editor.post(f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    row = BillflowSettings.for_site(site)
    assert (row.coupons, row.cancel) == (True, False)
    config = _portal(Client())["currentConfig"]
    assert (config["coupons"], config["cancel"]) == (True, False)


def test_a_combination_the_portal_refuses_is_refused_on_save_in_plain_words(
    sandbox: dict[str, Any], editor: Client
) -> None:
    site = Site.objects.get(is_default_site=True)
    data = _form(editor, site)
    data["email_sign_in"] = ["on"]  # without a company name, a From address, a page
    answer = editor.post(f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/", data)
    assert answer.status_code == 200
    page = html.unescape(answer.content.decode())
    assert "“Email sign in” needs “Company name”" in page  # the form's labels, not option names
    assert "email_sign_in needs" not in page
    assert BillflowSettings.for_site(site).email_sign_in is False


def test_every_core_option_has_a_field_and_no_secret_does(editor: Client) -> None:
    from billflow_core import PortalSettings

    fields = {f.name for f in BillflowSettings._meta.get_fields()}
    options = set(PortalSettings.__dataclass_fields__) - {"retention_offer"}
    assert options <= fields
    assert {"retention_offer_coupon", "retention_offer_reasons"} <= fields
    assert not {f for f in fields if "secret" in f or "api_key" in f or "password" in f}
    site = Site.objects.get(is_default_site=True)
    shown = editor.get(f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/")
    assert SECRET not in shown.content.decode()


def test_the_yearly_pause_limit_is_set_in_the_admin_and_checked_on_save(
    sandbox: dict[str, Any], editor: Client
) -> None:
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/"
    data = _form(editor, site)
    assert data["pause_limit_per_year"] == ["1"]
    data["pause_limit_per_year"] = ["0"]
    refused = editor.post(url, data)
    assert refused.status_code == 200
    assert "“Pause limit per year” must be between 1 and 52" in html.unescape(
        refused.content.decode()
    )
    data["pause_limit_per_year"] = ["3"]
    saved = editor.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert BillflowSettings.for_site(site).portal_settings().pause_limit_per_year == 3


def test_one_request_reads_its_sites_settings_once_and_the_next_sees_a_change(
    sandbox: dict[str, Any], rf: Any
) -> None:
    request = rf.get("/billing/")
    portal_for_request(request)  # the site's portal made, as on any first request
    request = rf.get("/billing/")
    with CaptureQueriesContext(connection) as queries:
        first = portal_for_request(request)
        again = portal_for_request(request)
    assert again is first
    settings_reads = [q for q in queries if "billflowsettings" in q["sql"]]
    assert len(settings_reads) == 1, [q["sql"] for q in queries]
    assert first.settings.coupons is False

    row = BillflowSettings.for_site(Site.objects.get(is_default_site=True))
    row.coupons = True
    row.save()
    assert portal_for_request(request) is first  # this request keeps what it read
    assert portal_for_request(rf.get("/billing/")).settings.coupons is True


def test_the_form_is_in_tabs_with_help_on_every_field_and_the_accounts_services(
    sandbox: dict[str, Any], editor: Client
) -> None:
    site = Site.objects.get(is_default_site=True)
    page = editor.get(f"/admin/settings/billflow_wagtail/billflowsettings/{site.pk}/")
    text = html.unescape(page.content.decode())
    # Each heading is a tab's own label (Wagtail's tab links), in this order.
    tabs = re.findall(r'role="tab"[^>]*>\s*([^<]+?)\s*<', text)
    assert tabs == ["Plans", "Cancellation", "Payments", "Invoices", "Languages", "Security",
                    "Email sign-in"]  # fmt: skip
    options = {f.name for f in BillflowSettings._meta.get_fields()} - {"id", "site"}
    unhelped = [
        name for name in sorted(options)
        if not str(getattr(BillflowSettings._meta.get_field(name), "help_text", "")).strip()
    ]  # fmt: skip
    assert unhelped == []
    # "Service" lists what the Stripe account has, not a text box to guess into.
    start = text.index('<select name="service"')
    select = text[start : text.index("</select>", start)]
    assert ">billflow-demo<" in select and ">billflow-demo-seats<" in select
    assert ">Every service<" in select
