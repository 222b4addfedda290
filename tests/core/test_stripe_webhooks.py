"""Stripe webhooks into the core: the sandbox delivers real signed events; a bad or old
signature is refused, a redelivered event is acted on once, catalog events refresh it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from billflow_core.billing.catalog import CatalogCache
from billflow_core.billing.promotion_codes import PromotionCodeCache
from billflow_core.errors import BadInput
from billflow_core.settings import PortalSettings, RetentionOffer
from billflow_core.stripe.gateway import StripeGateway
from billflow_core.stripe.webhooks import StripeWebhooks
from billflow_sandbox import Sandbox, sign

SECRET = "whsec_" + "s" * 32


class _Site(ThreadingHTTPServer):
    """A site's webhook route on loopback, handing each delivery to StripeWebhooks."""

    daemon_threads = True
    webhooks: StripeWebhooks
    outcomes: list[str]


class _Route(BaseHTTPRequestHandler):
    server: _Site

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            self.server.outcomes.append(
                self.server.webhooks.handle(payload, self.headers.get("Stripe-Signature"))
            )
            status = 200
        except BadInput:
            status = 400
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def catalog(stripe_sandbox: Sandbox) -> CatalogCache:
    gateway = StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)
    return CatalogCache(gateway, PortalSettings())


@pytest.fixture
def site(catalog: CatalogCache) -> Iterator[_Site]:
    server = _Site(("127.0.0.1", 0), _Route)
    server.outcomes = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_price_change_delivered_by_stripe_refreshes_the_catalog(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    catalog: CatalogCache,
    site: _Site,
) -> None:
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {
            "url": f"http://127.0.0.1:{site.server_address[1]}/billflow/stripe/webhook",
            "enabled_events": ["product.created", "price.created", "customer.created"],
        }
    )
    site.webhooks = StripeWebhooks(endpoint.secret, catalog)
    catalog.get()
    assert catalog.is_warm()

    stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert stripe_sandbox.deliverer.idle()
    assert catalog.is_warm() and site.outcomes == ["ignored"]

    product = stripe_client.v1.products.create({"name": "New", "metadata": {"sb_service": "x"}})
    stripe_client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    assert stripe_sandbox.deliverer.idle()
    assert site.outcomes == ["ignored", "processed", "processed"]
    assert not catalog.is_warm()
    assert [p.name for p in catalog.get().plans] == ["New"]


def _event(event_id: str = "evt_1", kind: str = "price.updated") -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": {}}}
    return json.dumps(body).encode()


def test_a_redelivered_event_is_acted_on_once(catalog: CatalogCache) -> None:
    webhooks = StripeWebhooks(SECRET, catalog)
    payload = _event()
    signature = sign(payload, SECRET, int(time.time()))
    assert webhooks.handle(payload, signature) == "processed"
    assert webhooks.handle(payload, signature) == "duplicate"


def test_a_missing_wrong_or_old_signature_is_refused(catalog: CatalogCache) -> None:
    webhooks = StripeWebhooks(SECRET, catalog, tolerance=300)
    payload = _event()
    now = int(time.time())
    cases = {
        "webhook_signature_missing": (payload, None),
        "webhook_signature_invalid": (payload, sign(payload, "whsec_" + "x" * 32, now)),
    }
    tampered = payload.replace(b"price.updated", b"price.deleted")
    cases["webhook_signature_invalid "] = (tampered, sign(payload, SECRET, now))
    cases["webhook_signature_invalid  "] = (payload, sign(payload, SECRET, now - 301))
    for code, (body, signature) in cases.items():
        with pytest.raises(BadInput) as refused:
            webhooks.handle(body, signature)
        assert refused.value.code == code.strip()


def test_the_memory_of_seen_events_is_bounded(catalog: CatalogCache) -> None:
    webhooks = StripeWebhooks(SECRET, catalog, remember=2)
    now = int(time.time())
    for event_id in ("evt_a", "evt_b", "evt_c"):
        payload = _event(event_id)
        webhooks.handle(payload, sign(payload, SECRET, now))
    first = _event("evt_a")
    assert webhooks.handle(first, sign(first, SECRET, now)) == "processed"  # forgotten
    last = _event("evt_c")
    assert webhooks.handle(last, sign(last, SECRET, now)) == "duplicate"


def test_a_signed_payload_without_an_event_shape_is_bad_input(catalog: CatalogCache) -> None:
    webhooks = StripeWebhooks(SECRET, catalog)
    now = int(time.time())
    for payload in [
        b"{not json",
        json.dumps({"id": "evt_1", "type": "price.updated", "data": {"object": None}}).encode(),
        json.dumps({"id": 7, "type": "price.updated", "data": {"object": {}}}).encode(),
    ]:
        with pytest.raises(BadInput) as refused:
            webhooks.handle(payload, sign(payload, SECRET, now))
        assert (refused.value.status, refused.value.code) == (400, "webhook_payload_invalid")


def test_a_coupon_event_refreshes_the_offer_and_the_promotion_codes(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    """The retention offer's terms are read with the catalog: a coupon changed in the
    Dashboard reaches the page with the next request, as the promotion codes do."""
    stripe_client.v1.coupons.create({"id": "STAY", "percent_off": 10, "duration": "once"})
    gateway = StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)
    settings = PortalSettings(retention_offer=RetentionOffer("STAY", ("too_expensive",)))
    catalog = CatalogCache(gateway, settings)
    promotions = PromotionCodeCache(gateway)
    webhooks = StripeWebhooks(SECRET, catalog, promotions=promotions)
    assert catalog.get().offer is not None
    promotions.find("NONE")
    stripe_client.v1.coupons.delete("STAY")
    stripe_sandbox.reset()

    payload = _event("evt_coupon", "coupon.deleted")
    assert webhooks.handle(payload, sign(payload, SECRET, int(time.time()))) == "processed"
    assert not catalog.is_warm()
    assert catalog.get().offer is None
    promotions.find("NONE")
    assert stripe_sandbox.counts()["GET /v1/promotion_codes"] == 2  # the list, then the one
