"""Several Stripe customers with one email: the portal finds the one with live
subscriptions, refuses when more than one has them, and the common case of one customer
stays one request."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import stripe
from refusal import assert_refused

from billflow_core import user_hash
from billflow_core.errors import Conflict
from billflow_core.portal import Portal, Visitor
from billflow_core.settings import PortalSettings
from billflow_sandbox import Sandbox

SECRET = "customer-lookup-secret-0123456789"
BOB = "bob@example.com"


def make_portal(sandbox: Sandbox, **options: Any) -> Portal:
    return Portal(
        PortalSettings(**options),
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
    )


def bob(portal: Portal) -> Visitor:
    return portal.visitor(BOB, user_hash(SECRET, BOB))


def monthly(client: stripe.StripeClient) -> str:
    product = client.v1.products.create({"name": "Pro", "metadata": {"sb_service": "app"}})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    return str(price.id)


def customer(client: stripe.StripeClient, price: str | None = None) -> tuple[str, str | None]:
    """A customer with Bob's email; with `price`, subscribed to it with a card."""
    made = client.v1.customers.create({"email": BOB})
    if price is None:
        return str(made.id), None
    card = client.v1.payment_methods.attach("pm_card_visa", {"customer": made.id})
    client.v1.customers.update(made.id, {"invoice_settings": {"default_payment_method": card.id}})
    subscription = client.v1.subscriptions.create(
        {"customer": made.id, "items": [{"price": price}]}
    )
    return str(made.id), str(subscription.id)


def test_a_newer_guest_customer_with_the_same_email_does_not_hide_the_subscribed_one(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    price = monthly(stripe_client)
    real, subscription = customer(stripe_client, price)
    customer(stripe_client)  # a guest checkout, newer, with nothing
    portal = make_portal(stripe_sandbox, service="app")
    portal.catalog.get()
    stripe_sandbox.reset()

    state = portal.state(bob(portal))

    assert state.customer_id == real
    assert [s.id for s in state.subscriptions] == [subscription]
    # One list of customers, one lean list per candidate, then the chosen one's portal.
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1, "GET /v1/subscriptions": 3}


def test_one_customer_with_the_email_costs_one_lookup_request(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    price = monthly(stripe_client)
    only, _ = customer(stripe_client, price)
    portal = make_portal(stripe_sandbox, service="app")
    portal.catalog.get()
    stripe_sandbox.reset()

    assert portal.state(bob(portal)).customer_id == only
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1, "GET /v1/subscriptions": 1}


def test_a_former_subscriber_is_chosen_over_a_newer_customer_who_never_subscribed(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    price = monthly(stripe_client)
    former, subscription = customer(stripe_client, price)
    assert subscription is not None
    stripe_client.v1.subscriptions.cancel(subscription)
    customer(stripe_client)
    portal = make_portal(stripe_sandbox, service="app")

    assert portal.state(bob(portal)).customer_id == former


def test_two_customers_with_live_subscriptions_under_one_email_are_refused_with_409(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    price = monthly(stripe_client)
    _, first = customer(stripe_client, price)
    customer(stripe_client, price)
    portal = make_portal(stripe_sandbox, service="app")
    visitor = bob(portal)

    assert_refused(stripe_sandbox, Conflict, "customer_ambiguous", lambda: portal.state(visitor))
    assert_refused(stripe_sandbox, Conflict, "customer_ambiguous", lambda: portal.invoices(visitor))
    assert_refused(
        stripe_sandbox,
        Conflict,
        "customer_ambiguous",
        lambda: portal.act(
            visitor, "cancel", {"subscription": first}, idempotency_key="intent-ambiguous-1"
        ),
    )
    assert Conflict.status == 409


class Outbox:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def test_sign_in_still_mails_an_email_several_live_customers_share(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    price = monthly(stripe_client)
    customer(stripe_client, price)
    customer(stripe_client, price)
    outbox = Outbox()
    portal = Portal(
        PortalSettings(
            email_sign_in=True,
            company_name="Acme",
            sign_in_from_address="billing@acme.example",
            sign_in_redirect_url="https://acme.example/billing",
        ),
        secret_key=SECRET,
        stripe_api_key=stripe_sandbox.secret_key,
        stripe_api_base=stripe_sandbox.url,
        mailer=outbox,
    )

    def compose(email: str, link: str, expires_at: int) -> EmailMessage:
        message = EmailMessage()
        message["To"] = email
        message.set_content(link)
        return message

    portal.sign_in.request_link(BOB, None, compose)
    portal.sign_in.wait()

    assert [m["To"] for m in outbox.sent] == [BOB]
