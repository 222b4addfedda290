"""The sandbox's Stripe.js stand-in, driven in Chromium as a customer would drive it.

A tiny host page on its own origin (so the browser enforces CORS, as it would for a real
site talking to Stripe) loads the stand-in from the sandbox, mounts the card Element, and
confirms an intent that the test created server-side. Each test then asks the sandbox what it
now holds: a page that only looked right would not pass.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import stripe
from playwright.sync_api import Page, expect

from billflow_sandbox import Sandbox

# What a portal script does with Stripe.js: mount the card Element, show its change errors,
# confirm on submit. The result is kept on `window` for exact assertions on its shape.
HOST_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Card details</title>
<link rel="icon" href="data:,">
<script src="{sandbox}/v3/"></script>
</head>
<body>
<main>
<h1>Card details</h1>
<form id="card-form" novalidate>
  <div id="card-element"></div>
  <p id="card-errors" role="alert"></p>
  <button type="submit">{button}</button>
</form>
<p id="outcome" role="status"></p>
</main>
<script>
const config = {config};
const stripe = Stripe(config.key);
const card = stripe.elements().create('card');
card.mount('#card-element');
card.on('change', (event) => {{
  document.getElementById('card-errors').textContent = event.error ? event.error.message : '';
}});
document.getElementById('card-form').addEventListener('submit', async (event) => {{
  event.preventDefault();
  const data = {{payment_method: {{card}}}};
  const result = config.mode === 'payment'
    ? await stripe.confirmCardPayment(config.secret, data)
    : await stripe.confirmCardSetup(config.secret, data);
  window.result = result;
  const intent = result.setupIntent || result.paymentIntent;
  document.getElementById('outcome').textContent =
    intent ? `Done: ${{intent.status}}` : `Failed: ${{result.error.message}}`;
}});
</script>
</body>
</html>
"""

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
NEEDS_AUTHENTICATION = "4000 0027 6000 3184"


class _HostPage(BaseHTTPRequestHandler):
    """Serves the host page for the sandbox, key and client secret named in the query."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/card":
            self.send_error(404)
            return
        config = dict(parse_qsl(parts.query))
        body = HOST_PAGE.format(
            sandbox=html.escape(config["sandbox"]),
            button="Pay" if config.get("mode") == "payment" else "Save card",
            config=json.dumps(config).replace("</", "<\\/"),
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the failures that matter."""


@pytest.fixture(scope="module")
def host() -> Iterator[str]:
    """The host site's origin: another port than the sandbox's, so requests are cross-origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostPage)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def open_card_form(
    page: Page, host: str, sandbox: Sandbox, client_secret: str, mode: str = "setup"
) -> None:
    query = urlencode(
        {
            "sandbox": sandbox.url,
            "key": sandbox.publishable_key,
            "secret": client_secret,
            "mode": mode,
        }
    )
    page.goto(f"{host}/card?{query}")


def enter_card(page: Page, number: str, expiry: str = "12 / 34", cvc: str = "123") -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration date (MM / YY)").fill(expiry)
    page.get_by_label("CVC").fill(cvc)


def result_of(page: Page) -> dict[str, Any]:
    """What the stand-in's promise resolved with, once the page has shown the outcome."""
    expect(page.get_by_role("status")).not_to_be_empty()
    result: dict[str, Any] = page.evaluate("() => window.result")
    return result


def customer_cards(client: stripe.StripeClient, customer_id: str) -> list[tuple[str, str]]:
    methods = client.v1.payment_methods.list({"customer": customer_id, "type": "card"})
    return [(pm.id, pm.card.last4) for pm in methods.data if pm.card]


@pytest.fixture
def customer(stripe_client: stripe.StripeClient) -> stripe.Customer:
    return stripe_client.v1.customers.create({"email": "ada@example.com"})


@pytest.fixture
def setup_intent(
    stripe_client: stripe.StripeClient, customer: stripe.Customer
) -> stripe.SetupIntent:
    """What the portal's server creates before it opens the card form."""
    return stripe_client.v1.setup_intents.create({"customer": customer.id, "usage": "off_session"})


def test_visa_card_confirms_the_setup_intent_and_attaches_the_card(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    enter_card(page, VISA)
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("status")).to_have_text("Done: succeeded")
    result = result_of(page)
    assert result["setupIntent"]["id"] == setup_intent.id
    stored = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert stored.status == "succeeded"
    assert customer_cards(stripe_client, customer.id) == [(stored.payment_method, "4242")]
    card = stripe_client.v1.payment_methods.retrieve(str(stored.payment_method)).card
    assert card is not None
    assert (card.brand, card.exp_month, card.exp_year) == ("visa", 12, 2034)


def test_declined_card_resolves_with_card_declined_and_attaches_nothing(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    stripe_sandbox.reset()  # forget the arrangement's requests; the objects stay
    enter_card(page, DECLINED)
    page.get_by_role("button", name="Save card").click()

    expect(page.get_by_role("status")).to_have_text("Failed: Your card was declined.")
    error = result_of(page)["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["setup_intent"]["id"] == setup_intent.id
    stored = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert stored.status == "requires_payment_method"
    assert stored.last_setup_error is not None
    assert stored.last_setup_error.code == "card_declined"
    assert customer_cards(stripe_client, customer.id) == []
    # Only the (unattached) payment method was written; the confirmation was refused.
    assert [w.route for w in stripe_sandbox.writes()] == ["POST /v1/payment_methods"]


def test_authentication_card_opens_the_3ds_dialog_and_complete_succeeds(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    enter_card(page, NEEDS_AUTHENTICATION)
    page.get_by_role("button", name="Save card").click()

    dialog = page.get_by_role("dialog", name="3D Secure 2 Test Page")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    # The dialog waits for the customer: nothing is decided until they click.
    assert stripe_client.v1.setup_intents.retrieve(setup_intent.id).status == "requires_action"
    dialog.get_by_role("button", name="Complete").click()

    expect(page.get_by_role("status")).to_have_text("Done: succeeded")
    expect(dialog).to_have_count(0)
    stored = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert stored.status == "succeeded"
    assert customer_cards(stripe_client, customer.id) == [(stored.payment_method, "3184")]


def test_failing_3ds_leaves_the_setup_intent_unconfirmed_with_the_authentication_error(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    enter_card(page, NEEDS_AUTHENTICATION)
    page.get_by_role("button", name="Save card").click()
    page.get_by_role("dialog", name="3D Secure 2 Test Page").get_by_role(
        "button", name="Fail"
    ).click()

    expect(page.get_by_role("status")).to_contain_text("authentication failed")
    error = result_of(page)["error"]
    assert (error["type"], error["code"]) == (
        "invalid_request_error",
        "setup_intent_authentication_failure",
    )
    assert error["setup_intent"]["status"] == "requires_payment_method"
    stored = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert stored.status == "requires_payment_method"
    assert stored.last_setup_error is not None
    assert stored.last_setup_error.code == "setup_intent_authentication_failure"
    assert customer_cards(stripe_client, customer.id) == []


def incomplete_subscription(
    client: stripe.StripeClient, customer: stripe.Customer
) -> tuple[stripe.Subscription, stripe.Invoice, str]:
    """A subscription waiting on its first payment, and the secret the page confirms it with,
    as the portal's server makes them when a customer subscribes."""
    product = client.v1.products.create({"name": "Pro"})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "unit_amount": 1500,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    subscription = client.v1.subscriptions.create(
        {
            "customer": customer.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    assert subscription.status == "incomplete"
    invoice = subscription.latest_invoice
    assert isinstance(invoice, stripe.Invoice) and invoice.confirmation_secret
    return subscription, invoice, invoice.confirmation_secret.client_secret


def test_confirm_card_payment_pays_the_first_invoice_and_activates_the_subscription(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
) -> None:
    subscription, invoice, secret = incomplete_subscription(stripe_client, customer)
    open_card_form(page, host, stripe_sandbox, secret, "payment")
    enter_card(page, VISA)
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("status")).to_have_text("Done: succeeded")
    paid = result_of(page)["paymentIntent"]
    assert (paid["amount"], paid["currency"]) == (1500, "usd")
    assert stripe_client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert stripe_client.v1.invoices.retrieve(str(invoice.id)).status == "paid"


def test_first_invoice_with_authentication_card_is_paid_once_3ds_completes(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
) -> None:
    subscription, invoice, secret = incomplete_subscription(stripe_client, customer)
    open_card_form(page, host, stripe_sandbox, secret, "payment")
    enter_card(page, NEEDS_AUTHENTICATION)
    page.get_by_role("button", name="Pay").click()
    dialog = page.get_by_role("dialog", name="3D Secure 2 Test Page")
    expect(dialog).to_be_visible()
    assert stripe_client.v1.subscriptions.retrieve(subscription.id).status == "incomplete"
    dialog.get_by_role("button", name="Complete").click()

    expect(page.get_by_role("status")).to_have_text("Done: succeeded")
    assert stripe_client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert stripe_client.v1.invoices.retrieve(str(invoice.id)).status == "paid"


def test_payment_element_confirm_setup_saves_the_card_with_its_billing_details(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    customer: stripe.Customer,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    # The Payment Element flow: the group knows the secret, the Element shows its own errors.
    page.evaluate(
        """(secret) => {
            card.unmount();
            window.elements = stripe.elements({clientSecret: secret});
            elements.create('payment').mount('#card-element');
        }""",
        str(setup_intent.client_secret),
    )
    page.get_by_label("Card number").fill("4242")
    page.get_by_label("Card number").press("Tab")
    element = page.get_by_role("group", name="Card details")
    expect(element.get_by_role("alert")).to_have_text("Your card number is incomplete.")
    enter_card(page, VISA)
    expect(element.get_by_role("alert")).to_have_text("")

    outcome = page.evaluate(
        """async (secret) => ({
            confirmed: await stripe.confirmSetup({
                elements,
                redirect: 'if_required',
                confirmParams: {payment_method_data: {billing_details: {name: 'Ada Lovelace'}}},
            }),
            retrieved: await stripe.retrieveSetupIntent(secret),
        })""",
        str(setup_intent.client_secret),
    )
    assert outcome["confirmed"]["setupIntent"]["status"] == "succeeded"
    assert outcome["retrieved"]["setupIntent"]["status"] == "succeeded"
    stored = stripe_client.v1.setup_intents.retrieve(setup_intent.id)
    assert outcome["retrieved"]["setupIntent"]["payment_method"] == stored.payment_method
    method = stripe_client.v1.payment_methods.retrieve(str(stored.payment_method))
    assert (method.customer, method.billing_details.name) == (customer.id, "Ada Lovelace")


def test_create_payment_method_returns_the_card_entered(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    enter_card(page, "3782 822463 10005", cvc="1234")

    result = page.evaluate("() => stripe.createPaymentMethod({type: 'card', card})")
    created = stripe_client.v1.payment_methods.retrieve(result["paymentMethod"]["id"])
    assert created.card is not None
    assert (created.card.brand, created.card.last4) == ("amex", "0005")
    assert created.customer is None


def test_incomplete_card_number_shows_an_inline_error_and_reaches_no_server(
    page: Page,
    host: str,
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    setup_intent: stripe.SetupIntent,
) -> None:
    open_card_form(page, host, stripe_sandbox, str(setup_intent.client_secret))
    stripe_sandbox.reset()
    number = page.get_by_label("Card number")
    number.fill("4242 4242")
    # As Stripe's: no complaint while the customer is still typing, only once they move on.
    expect(page.get_by_role("alert")).to_have_text("")
    number.press("Tab")

    expect(page.get_by_role("alert")).to_have_text("Your card number is incomplete.")
    expect(number).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Save card").click()
    error = result_of(page)["error"]
    assert (error["type"], error["code"]) == ("validation_error", "incomplete_number")
    assert stripe_sandbox.requests == []
    assert stripe_client.v1.setup_intents.retrieve(setup_intent.id).status == (
        "requires_payment_method"
    )
