"""The Billing portal block, as editors and visitors meet it: published through the Wagtail
admin, rendered with the logged-in user's hash, never a hash for anyone else."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.migrations.writer import MigrationWriter
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.fields import StreamField
from wagtail.models import Site
from wagtail.test.utils.form_data import nested_form_data, streamfield

from billflow_core.identity.page_options import PAGE_OVERRIDABLE
from billflow_sandbox.seed import DEMO_EMAIL, DEMO_SERVICE
from billflow_wagtail.blocks import BillingPortalBlock, PageOptionsBlock
from billflow_wagtail.models import BillflowSettings
from testsite.models import ContentPage

from .conftest import block_data, root


def settings_in(html: str) -> dict[str, Any]:
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    assert found, html
    settings: dict[str, Any] = json.loads(found[1])
    return settings


def test_an_editor_publishes_the_block_and_a_customer_gets_the_portal_with_their_hash(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    page = publish("Billing", heading="Manage your plan", intro="<p>All in one place.</p>")
    assert isinstance(page, ContentPage) and page.live
    assert page.body[0].block_type == "billing_portal"

    html = customer.get(page.url).content.decode()
    assert "Manage your plan" in html and "All in one place." in html
    found = settings_in(html)
    assert found["email"] == DEMO_EMAIL and found["api"] == "/billflow"
    assert "hash" not in found and found["page"].startswith("p1.")
    assert '<script src="/billflow/embed.js" defer></script>' in html

    headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
    portal = customer.get("/billflow/api/portal", **headers).json()
    assert {s["id"] for s in portal["billingData"]["subscriptions"]} == set(
        sandbox["subscriptions"]
    )


def test_an_anonymous_visitor_gets_a_sign_in_prompt_and_no_hash(
    sandbox: dict[str, Any], publish: Callable[..., Any]
) -> None:
    page = publish("Billing")
    html = Client().get(page.url).content.decode()
    assert "data-billflow-settings" not in html and "hash" not in html
    assert 'href="/accounts/login/?next=/billing/"' in html


def test_with_email_sign_in_on_an_anonymous_visitor_gets_the_email_form_and_no_hash(
    sandbox: dict[str, Any], publish: Callable[..., Any]
) -> None:
    row = BillflowSettings.for_site(root().get_site())
    row.email_sign_in = True
    row.company_name = "Acme"
    row.sign_in_from_address = "billing@acme.example"
    row.sign_in_redirect_url = "http://localhost/billing/"
    row.save()
    page = publish("Billing")
    html = Client().get(page.url).content.decode()
    assert set(settings_in(html)) == {"api", "page"}  # a token naming nobody, no hash
    form = Client().get("/billflow/api/sign-in").json()
    assert 'name="email"' in form["html"]


def test_the_pages_own_options_are_signed_into_its_snippet_and_held_by_the_server(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    page = publish("Billing", service=DEMO_SERVICE, options={"cancel": "off", "plan_picker": "on"})
    found = settings_in(customer.get(page.url).content.decode())
    headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
    config = customer.get("/billflow/api/portal", **headers).json()["currentConfig"]
    assert (config["cancel"], config["plan_picker"]) == (False, True)
    refused = customer.post(
        "/billflow/api/actions/cancel",
        {"subscription": sandbox["subscriptions"][0], "reason": "unused"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="wagtail-cancel-0001",
        **headers,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "feature_disabled"
    # Without the token the page has no identity to act for: it never held a hash.
    dropped = customer.post(
        "/billflow/api/actions/cancel",
        {"subscription": sandbox["subscriptions"][0], "reason": "unused"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="wagtail-cancel-0002",
        HTTP_X_BILLFLOW_IDENTITY=DEMO_EMAIL,
    )
    assert "hash" not in found
    assert dropped.status_code == 403 and dropped.json()["error"]["code"] == "hash_missing"


def test_an_editor_may_switch_every_option_a_page_may_set(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    """The block has a switch for each option a page may differ by (the service has its
    own field), the account's billing parts included."""
    assert set(PageOptionsBlock.base_blocks) == PAGE_OVERRIDABLE - {"service"}
    chosen = {"billing_details": "on", "tax_ids": "on", "pay_invoices": "off",
              "payment_methods": "off"}  # fmt: skip
    page = publish("Billing", options=chosen)
    found = settings_in(customer.get(page.url).content.decode())
    headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
    config = customer.get("/billflow/api/portal", **headers).json()["currentConfig"]
    assert {name: config[name] for name in chosen} == {
        name: switch == "on" for name, switch in chosen.items()
    }
    details = customer.get("/billflow/api/tax-ids", **headers)
    assert details.status_code == 200  # off in the site's settings, on for this page
    refused = customer.post(
        "/billflow/api/actions/add_payment_method",
        {"payment_method": "pm_123"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="wagtail-cards-0001",
        **headers,
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "feature_disabled"


def test_an_unknown_service_is_refused_in_the_admin_and_nothing_is_published(
    sandbox: dict[str, Any], publish: Callable[..., Any]
) -> None:
    answer = publish("Billing", service="no-such-service")
    assert not isinstance(answer, ContentPage)
    assert ContentPage.objects.count() == 0
    text = answer.content.decode()
    assert "No active Stripe price belongs to the service" in text
    assert DEMO_SERVICE in text  # the services there are, so the editor can pick one


def test_the_block_keeps_host_migrations_stable_and_previews_in_the_chooser(
    editor: Client,
) -> None:
    block = BillingPortalBlock()
    assert block.deconstruct() == ("billflow_wagtail.blocks.BillingPortalBlock", (), {})
    assert block.is_previewable and block.meta.icon == "billflow-card"
    assert "billing portal" in str(block.get_description()).lower()
    used = ContentPage.body.field.stream_block.child_blocks["billing_portal"]
    preview = editor.get("/admin/block-preview/", {"id": used.definition_prefix})
    assert preview.status_code == 200
    shown = preview.content.decode()
    assert "Your subscription" in shown and "Visa ending in 4242" in shown  # an illustration
    assert "data-billflow-settings" not in shown  # never an editor's own portal


def test_a_host_migration_names_the_block_by_its_path_and_nothing_of_its_fields() -> None:
    """What Django's migration writer writes for a StreamField holding the block (Wagtail's
    `block_lookup` form): the block by its own path, so a release that changes its fields
    changes no host project's migrations."""
    alone = StreamField([("billing_portal", BillingPortalBlock())])
    written, _ = MigrationWriter.serialize(alone)
    assert written == (
        "wagtail.fields.StreamField([('billing_portal', 0)], block_lookup={0: "
        "('billflow_wagtail.blocks.BillingPortalBlock', (), {})})"
    )
    page_body, _ = MigrationWriter.serialize(ContentPage._meta.get_field("body"))
    assert "('billflow_wagtail.blocks.BillingPortalBlock', (), {})" in page_body
    assert "PageOptionsBlock" not in page_body and "ChoiceBlock" not in page_body


def test_a_page_with_two_portals_reads_its_sites_settings_once(
    sandbox: dict[str, Any], editor: Client, customer: Client
) -> None:
    home = Site.objects.get(is_default_site=True).root_page
    data = nested_form_data(
        {
            "title": "Two portals",
            "slug": "two-portals",
            "body": streamfield(
                [
                    ("billing_portal", block_data(heading="First portal")),
                    ("billing_portal", block_data(heading="Second portal")),
                ]
            ),
            "action-publish": "action-publish",
        }
    )
    editor.post(f"/admin/pages/add/testsite/contentpage/{home.pk}/", data)
    page = ContentPage.objects.get(title="Two portals")
    customer.get(page.url)  # the site's portal made, as on any first request
    with CaptureQueriesContext(connection) as queries:
        html = customer.get(page.url).content.decode()
    assert "First portal" in html and "Second portal" in html
    assert html.count("data-billflow-settings") == 2
    settings_reads = [q["sql"] for q in queries if "billflow_wagtail_billflowsettings" in q["sql"]]
    assert len(settings_reads) == 1, settings_reads
