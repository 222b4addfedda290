"""What a careful host needs beyond the happy path: page options bound to their site, sign-in
marks that outlive any cache, a site's own lookup failing quietly for the public, pages with
a hash kept out of shared caches, and the admin working while Stripe is down."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.cache import caches
from django.test import Client
from wagtail.models import Site

from billflow_core import user_hash
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL
from billflow_wagtail.models import BillflowSettings
from billflow_wagtail.portals import portal_for_site
from testsite.models import ContentPage

from .conftest import SECRET, root


def _settings(html: str) -> dict[str, Any]:
    found = re.search(r"data-billflow-settings>(.*?)</script>", html)
    assert found, html
    return dict(json.loads(found[1]))


def _forget_portals() -> None:
    """As if the next request reached another app server: no portal, no memory of one."""
    apps.get_app_config("billflow_wagtail").portals.clear()


def test_a_pages_options_do_not_work_on_another_site(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    page = publish("Billing", options={"cancel": "off"})
    Site.objects.create(hostname="b.example", port=80, root_page=root(), site_name="B")
    found = _settings(customer.get(page.url).content.decode())
    headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
    here = customer.get("/billflow/api/portal", **headers)
    assert here.status_code == 200 and here.json()["currentConfig"]["cancel"] is False
    there = customer.get("/billflow/api/portal", HTTP_HOST="b.example", **headers)
    assert there.status_code == 403 and there.json()["error"]["code"] == "page_invalid"


def test_used_links_and_retried_actions_survive_a_new_app_server_and_an_empty_cache(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox
) -> None:
    row = BillflowSettings.for_site(root().get_site())
    row.email_sign_in, row.company_name = True, "Acme"
    row.sign_in_from_address, row.sign_in_redirect_url = "b@acme.example", "http://localhost/b/"
    row.save()
    portal_link = portal_for_site(root().get_site()).sign_in.link(
        DEMO_EMAIL, int(time.time()) + 600
    )
    token = portal_link.split("billflow_token=")[1]
    first = Client().post(
        "/billflow/api/session", {"token": token}, content_type="application/json"
    )
    assert first.status_code == 200
    _forget_portals()
    caches["default"].clear()
    again = Client().post(
        "/billflow/api/session", {"token": token}, content_type="application/json"
    )
    assert again.status_code == 403 and again.json()["error"]["code"] == "link_used"

    def quantity() -> Any:
        return Client().post(
            "/billflow/api/actions/change_quantity",
            {"subscription": sandbox["subscriptions"][1], "quantity": 7},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="wagtail-server-hop-01",
            HTTP_X_BILLFLOW_IDENTITY=DEMO_EMAIL,
            HTTP_X_BILLFLOW_HASH=user_hash(SECRET, DEMO_EMAIL),
        )

    answered = quantity()
    _forget_portals()  # the retry reaches another server: Django's cache has the answer
    retried = quantity()
    assert answered.status_code == retried.status_code == 200
    assert answered.json()["response"] == retried.json()["response"]
    writes = [w for w in stripe_sandbox.writes() if w.path.startswith("/v1/subscriptions/")]
    assert len(writes) == 1


def test_a_failing_customer_id_lookup_shows_the_public_a_sentence_and_staff_the_cause(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any, editor: Client,
    customer: Client,
) -> None:  # fmt: skip
    page = publish("Billing")

    def broken(request: Any) -> str:
        raise LookupError("no team for this user")

    settings.BILLFLOW_CUSTOMER_ID = broken
    public = customer.get(page.url)
    assert public.status_code == 200
    assert "unavailable right now" in public.content.decode()
    assert "no team for this user" not in public.content.decode()
    assert "BILLFLOW_CUSTOMER_ID failed: LookupError: no team for this user" in (
        editor.get(page.url).content.decode()
    )


def test_a_page_with_a_hash_is_private_to_caches_and_one_without_is_not(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    page = publish("Billing")
    assert "private" in customer.get(page.url)["Cache-Control"]
    assert "private" not in Client().get(page.url).get("Cache-Control", "")


def test_an_editor_saves_a_page_while_stripe_is_down(
    sandbox: dict[str, Any], publish: Callable[..., Any], stripe_sandbox: Sandbox
) -> None:
    fault = stripe_sandbox.controls.add_fault("GET /v1/prices", "500", times=50)
    page = publish("Billing", service="billflow-demo")
    assert fault.remaining < 50  # Stripe was asked, and failed
    assert isinstance(page, ContentPage)  # the service is checked when Stripe can say


def test_a_page_turning_coupons_off_works_on_a_site_that_offers_them_on_resubscribe(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    row = BillflowSettings.for_site(root().get_site())
    row.coupons = row.coupons_on_resubscribe = True
    row.save()
    page = publish("Billing", options={"coupons": "off"})
    assert isinstance(page, ContentPage)
    found = _settings(customer.get(page.url).content.decode())
    headers = {"HTTP_X_BILLFLOW_PAGE": found["page"]}
    config = customer.get("/billflow/api/portal", **headers).json()["currentConfig"]
    assert (config["coupons"], config["coupons_on_resubscribe"]) == (False, False)


def test_the_rate_limit_counts_the_address_a_sites_callable_names(
    sandbox: dict[str, Any], settings: Any
) -> None:
    settings.BILLFLOW_CLIENT_ADDRESS = lambda request: request.headers["X-Forwarded-For"]
    row = BillflowSettings.for_site(root().get_site())
    row.email_sign_in, row.company_name = True, "Acme"
    row.sign_in_from_address, row.sign_in_redirect_url = "b@acme.example", "http://localhost/b/"
    row.sign_in_per_address_per_hour = 1
    row.save()

    def ask(email: str, address: str) -> int:
        return Client().post("/billflow/api/login-link", {"email": email},
                             content_type="application/json",
                             HTTP_X_FORWARDED_FOR=address).status_code  # fmt: skip

    assert [ask("a@x.example", "192.0.2.1"), ask("b@x.example", "192.0.2.2")] == [202, 202]
    assert ask("c@x.example", "192.0.2.1") == 429


def test_a_page_with_a_hash_is_framed_only_by_the_site_and_one_without_gets_no_policy(
    sandbox: dict[str, Any], publish: Callable[..., Any], customer: Client
) -> None:
    page = publish("Billing")
    assert customer.get(page.url)["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert "Content-Security-Policy" not in Client().get(page.url)  # a sign-in prompt
    assert "Content-Security-Policy" not in customer.get("/billflow/api/openapi.json")


def test_the_sites_frame_ancestors_widen_the_policy_of_portal_pages(
    sandbox: dict[str, Any], publish: Callable[..., Any], settings: Any, customer: Client
) -> None:
    settings.BILLFLOW_FRAME_ANCESTORS = ["https://shop.example.com"]
    page = publish("Billing")
    client = Client()  # made after the setting: its middleware reads it
    client.cookies = customer.cookies  # signed in as the customer
    assert client.get(page.url)["Content-Security-Policy"] == (
        "frame-ancestors 'self' https://shop.example.com"
    )
