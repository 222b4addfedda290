"""The portal's API and Stripe's webhook through Django's URL include, Django's cache behind
retried actions, and configuration mistakes answered with what to fix, never a traceback."""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from wagtail.blocks import StructValue
from wagtail.models import Site

from billflow_core import user_hash
from billflow_core.web.http import MAX_BODY
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_sandbox.webhooks import sign
from billflow_wagtail.blocks import BillingPortalBlock
from billflow_wagtail.checks import check_settings
from billflow_wagtail.models import BillflowSettings
from billflow_wagtail.portals import BillflowNotConfigured, portal_for_site
from billflow_wagtail.rendering import NO_REQUEST

from .conftest import SECRET

HEADERS = {"HTTP_X_BILLFLOW_IDENTITY": DEMO_EMAIL,
           "HTTP_X_BILLFLOW_HASH": user_hash(SECRET, DEMO_EMAIL)}  # fmt: skip


def test_the_script_stylesheet_and_openapi_are_served_under_the_include(
    sandbox: dict[str, Any],
) -> None:
    client = Client()
    script = client.get("/billflow/embed.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert client.get("/billflow/portal.css").status_code == 200
    assert client.get("/billflow/api/openapi.json").json()["openapi"].startswith("3.")
    missing = client.get("/billflow/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "route_not_found"


def test_a_retried_action_is_answered_from_djangos_cache_and_stripe_is_written_once(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    def quantity() -> Any:
        return Client().post(
            "/billflow/api/actions/change_quantity",
            {"subscription": sandbox["subscriptions"][1], "quantity": 5},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="wagtail-retry-0001",
            **HEADERS,
        )

    first, again = quantity(), quantity()
    assert first.status_code == again.status_code == 200, first.content
    assert first.json()["response"] == again.json()["response"]
    writes = [w for w in stripe_sandbox.writes() if w.path.startswith("/v1/subscriptions/")]
    assert len(writes) == 1


def test_stripes_webhook_is_checked_and_received_through_django(
    sandbox: dict[str, Any], settings: Any
) -> None:
    settings.BILLFLOW_STRIPE_WEBHOOK_SECRET = "whsec_wagtail_test"
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "price.updated",
                          "data": {"object": {"id": "price_1", "object": "price"}}})  # fmt: skip
    now = int(time.time())
    signature = sign(payload.encode(), "whsec_wagtail_test", now)  # as Stripe signs it
    good = Client().post("/billflow/stripe/webhook", payload, content_type="application/json",
                         HTTP_STRIPE_SIGNATURE=signature)  # fmt: skip
    assert good.status_code == 200 and good.json()["received"] is True
    forged = Client().post("/billflow/stripe/webhook", payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=f"t={now},v1={'0' * 64}")  # fmt: skip
    assert forged.status_code == 400


def test_a_missing_secret_is_named_by_the_checks_and_the_page_shows_no_traceback(
    sandbox: dict[str, Any], settings: Any, publish: Any, editor: Client, customer: Client
) -> None:
    page = publish("Billing")
    settings.BILLFLOW_SECRET_KEY = None
    assert "billflow_wagtail.E001" in [m.id for m in check_settings()]
    public = customer.get(page.url)
    assert public.status_code == 200
    text = public.content.decode()
    assert "The billing portal is unavailable right now" in text and "Traceback" not in text
    assert "BILLFLOW_SECRET_KEY" not in text  # the fix is for staff, not the public
    assert "BILLFLOW_SECRET_KEY must be" in editor.get(page.url).content.decode()
    api = Client().get("/billflow/api/portal", **HEADERS)
    assert api.status_code == 503 and api.json()["error"]["code"] == "not_configured"


def test_the_checks_name_each_missing_setting(settings: Any) -> None:
    settings.BILLFLOW_SECRET_KEY = "short"
    del settings.BILLFLOW_STRIPE_API_KEY
    settings.BILLFLOW_CUSTOMER_ID = "testsite.nowhere.customer_of"
    ids = {m.id for m in check_settings()}
    assert {"billflow_wagtail.E001", "billflow_wagtail.E002", "billflow_wagtail.E003"} <= ids


def test_a_block_rendered_without_a_request_says_how_to_fix_it_with_debug_on(
    settings: Any,
) -> None:
    block = BillingPortalBlock()
    value = block.to_python({"heading": "Billing"})
    assert isinstance(value, StructValue)
    settings.DEBUG = False
    quiet = str(block.render(value, context={}))
    assert "unavailable right now" in quiet and "include_block" not in quiet
    settings.DEBUG = True
    assert "{% include_block block %}" in str(block.render(value, context={}))
    assert "include_block" in NO_REQUEST


def test_the_apps_migrations_match_its_models(db: None) -> None:
    call_command("makemigrations", "billflow_wagtail", "testsite", "--check", "--dry-run",
                 verbosity=0)  # fmt: skip


class _Counted(io.BytesIO):
    """A request body that counts how much of it the server read."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.taken += len(line)
        return line


def test_a_body_over_the_limit_is_a_413_in_the_error_shape_and_is_not_read(
    sandbox: dict[str, Any], settings: Any, stripe_sandbox: Sandbox
) -> None:
    settings.BILLFLOW_STRIPE_WEBHOOK_SECRET = "whsec_wagtail_test"
    headers = {"X-Billflow-Identity": DEMO_EMAIL,
               "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
               "Idempotency-Key": "wagtail-big-0001"}  # fmt: skip
    writes = len(stripe_sandbox.writes())
    for path in ("/billflow/stripe/webhook", "/billflow/api/actions/cancel"):
        stream = _Counted(b"x" * 2_500_000)
        big = Client().post(path, content_type="application/json", headers=headers,
                            CONTENT_LENGTH="2500000", **{"wsgi.input": stream})  # fmt: skip
        assert (big.status_code, big.json()["error"]["code"]) == (413, "body_too_large"), path
        assert set(big.json()["error"]) == {"code", "message"}
        assert stream.taken == 0, path

    unsized = _Counted(b"x" * 2_500_000)  # chunked: no Content-Length
    chunked = Client().post("/billflow/stripe/webhook", content_type="application/json",
                            **{"wsgi.input": unsized})  # fmt: skip
    assert chunked.status_code in (400, 413)
    assert unsized.taken <= MAX_BODY + 1
    assert len(stripe_sandbox.writes()) == writes


def test_every_json_answer_through_django_says_nosniff(
    sandbox: dict[str, Any], settings: Any
) -> None:
    client = Client()
    answers = {
        "portal": client.get("/billflow/api/portal", **HEADERS),
        "route_not_found": client.get("/billflow/api/nothing-here"),
        "method_not_allowed": client.get("/billflow/api/actions/cancel"),
        "openapi": client.get("/billflow/api/openapi.json"),
        "script": client.get("/billflow/embed.js"),
        "body_too_large": client.post("/billflow/api/actions/cancel", b"x" * (MAX_BODY + 1),
                                      content_type="application/json"),
    }  # fmt: skip
    settings.BILLFLOW_SECRET_KEY = None
    answers["not_configured"] = Client().get("/billflow/api/portal", **HEADERS)
    for name, answer in answers.items():
        assert answer["X-Content-Type-Options"] == "nosniff", name


def test_a_refused_setting_says_where_to_fix_it_from_the_name_the_core_gives(
    sandbox: dict[str, Any], settings: Any
) -> None:
    site = Site.objects.get(is_default_site=True)
    settings.BILLFLOW_STRIPE_PUBLISHABLE_KEY = "sk_test_pasted_in_the_wrong_place"
    with pytest.raises(BillflowNotConfigured) as secret:
        portal_for_site(site)
    assert str(secret.value).startswith("Billflow: BILLFLOW_STRIPE_PUBLISHABLE_KEY must be")
    assert str(secret.value).endswith("(in Django's settings)")
    assert "sk_test_pasted" not in str(secret.value)

    del settings.BILLFLOW_STRIPE_PUBLISHABLE_KEY
    # A row saved past the admin's validation (a migration, a shell): the site's settings.
    BillflowSettings.for_site(site)
    BillflowSettings.objects.filter(site=site).update(pause_limit_per_year=0)
    with pytest.raises(BillflowNotConfigured) as option:
        portal_for_site(site)
    assert "pause_limit_per_year" in str(option.value)
    assert str(option.value).endswith(f"(under Settings → Billflow for {site})")
