"""Webhook endpoints and events as Stripe delivers them: signed so `stripe.Webhook.construct_event`
accepts them (and refuses a tampered one), filtered by `enabled_events`, carrying
`previous_attributes` on updates, retried after failures, and listed by `/v1/events`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import stripe
from webhook_receiver import Receiver

from billflow_sandbox import Sandbox
from billflow_sandbox.webhooks import DeliveryRecord


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not met within {timeout} s")
        time.sleep(0.01)


def endpoint_for(client: stripe.StripeClient, receiver: Receiver, events: list[str]) -> str:
    """Register the receiver; returns the endpoint's signing secret."""
    endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": events})
    assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
    return endpoint.secret


def delivered(sandbox: Sandbox, receiver: Receiver, secret: str) -> list[stripe.Event]:
    assert sandbox.deliverer.idle()
    return receiver.events(secret)


def paying_customer(client: stripe.StripeClient, card: str = "pm_card_visa") -> tuple[str, str]:
    customer = client.v1.customers.create({"email": "ada@example.com"})
    pm = client.v1.payment_methods.attach(card, {"customer": customer.id})
    return customer.id, pm.id


def monthly_price(client: stripe.StripeClient, amount: int = 1500) -> str:
    price = client.v1.prices.create(
        {
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
        }
    )
    return price.id


# -- what is delivered ---------------------------------------------------------------------


def test_subscription_lifecycle_events_are_delivered_signed_and_in_order(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    wanted = [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    secret = endpoint_for(stripe_client, receiver, wanted)
    customer, card = paying_customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": monthly_price(stripe_client)}],
            "default_payment_method": card,
        }
    )
    stripe_client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    stripe_client.v1.subscriptions.cancel(sub.id)

    events = delivered(stripe_sandbox, receiver, secret)

    assert [e.type for e in events] == [
        "customer.subscription.created",
        "customer.subscription.updated",  # incomplete -> active once the invoice is paid
        "customer.subscription.updated",  # cancel_at_period_end
        "customer.subscription.deleted",
    ]
    assert {e.data.object.id for e in events} == {sub.id}
    assert [e.data.object.status for e in events] == ["incomplete", "active", "active", "canceled"]
    listed = stripe_client.v1.events.list({"limit": 100}).data
    assert [e.id for e in events] == [e.id for e in reversed(listed) if e.type in wanted]


@pytest.mark.parametrize(
    "card, expected",
    [
        ("pm_card_visa", ["invoice.created", "invoice.finalized", "invoice.paid"]),
        (
            "pm_card_chargeCustomerFail",
            ["invoice.created", "invoice.finalized", "invoice.payment_failed"],
        ),
    ],
    ids=["paid", "payment failed"],
)
def test_invoice_events_follow_the_first_payment(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    receiver: Receiver,
    card: str,
    expected: list[str],
) -> None:
    secret = endpoint_for(
        stripe_client,
        receiver,
        ["invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_failed"],
    )
    customer, pm = paying_customer(stripe_client, card)
    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": monthly_price(stripe_client)}],
            "default_payment_method": pm,
        }
    )

    events = delivered(stripe_sandbox, receiver, secret)

    assert [e.type for e in events] == expected
    assert {e.data.object.id for e in events} == {sub.latest_invoice}
    assert events[-1].data.object.status == ("paid" if card == "pm_card_visa" else "open")


def test_payment_method_and_setup_intent_events_are_delivered(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = endpoint_for(
        stripe_client,
        receiver,
        ["payment_method.attached", "payment_method.detached", "setup_intent.succeeded"],
    )
    customer, card = paying_customer(stripe_client)
    stripe_client.v1.payment_methods.detach(card)
    intent = stripe_client.v1.setup_intents.create(
        {"customer": customer, "payment_method": "pm_card_mastercard", "confirm": True}
    )

    events = delivered(stripe_sandbox, receiver, secret)

    assert [(e.type, e.data.object.id) for e in events] == [
        ("payment_method.attached", card),
        ("payment_method.detached", card),
        ("payment_method.attached", intent.payment_method),
        ("setup_intent.succeeded", intent.id),
    ]
    assert events[0].data.object.customer == customer
    assert events[1].data.object.customer is None
    assert events[1].data.to_dict()["previous_attributes"] == {"customer": customer}


def test_catalog_events_are_delivered_for_products_and_prices(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = endpoint_for(stripe_client, receiver, ["*"])
    product = stripe_client.v1.products.create({"name": "Basic"})
    price = stripe_client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 900}
    )
    stripe_client.v1.prices.update(price.id, {"active": False})
    stripe_client.v1.products.update(product.id, {"name": "Basic plan"})
    spare = stripe_client.v1.products.create({"name": "Spare"})
    stripe_client.v1.products.delete(spare.id)

    events = delivered(stripe_sandbox, receiver, secret)

    assert [(e.type, e.data.object.id) for e in events] == [
        ("product.created", product.id),
        ("price.created", price.id),
        ("price.updated", price.id),
        ("product.updated", product.id),
        ("product.created", spare.id),
        ("product.deleted", spare.id),
    ]
    assert events[2].data.to_dict()["previous_attributes"] == {"active": True}
    assert events[3].data.to_dict()["previous_attributes"] == {"name": "Basic"}
    assert events[3].data.object.name == "Basic plan"


def test_subscription_update_carries_previous_attributes(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    customer, card = paying_customer(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": monthly_price(stripe_client)}],
            "default_payment_method": card,
        }
    )
    item = sub["items"].data[0]
    secret = endpoint_for(stripe_client, receiver, ["customer.subscription.updated"])

    stripe_client.v1.subscriptions.update(
        sub.id,
        {
            "cancel_at_period_end": True,
            "metadata": {"reason": "moving"},
            "proration_behavior": "none",
            "items": [{"id": item.id, "quantity": 3}],
        },
    )

    (event,) = delivered(stripe_sandbox, receiver, secret)
    previous = event.data.to_dict()["previous_attributes"]
    assert previous["cancel_at_period_end"] is False
    assert previous["cancel_at"] is None
    assert previous["metadata"] == {}
    assert previous["items"]["data"][0]["quantity"] == 1
    assert "status" not in previous and "customer" not in previous
    now = event.data.object
    assert now.cancel_at_period_end is True and now.metadata.to_dict() == {"reason": "moving"}
    assert now["items"].data[0].quantity == 3


def test_disabled_and_deleted_endpoints_receive_nothing(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    disabled = stripe_client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["*"]}
    )
    stripe_client.v1.webhook_endpoints.update(disabled.id, {"disabled": True})
    deleted = stripe_client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["*"]}
    )
    stripe_client.v1.webhook_endpoints.delete(deleted.id)
    only_prices = endpoint_for(stripe_client, receiver, ["price.created"])

    stripe_client.v1.customers.create({"email": "ada@example.com"})
    price = monthly_price(stripe_client)

    events = delivered(stripe_sandbox, receiver, only_prices)
    assert [(e.type, e.data.object.id) for e in events] == [("price.created", price)]


# -- signatures ----------------------------------------------------------------------------


def test_tampered_payload_or_wrong_secret_fails_verification(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = endpoint_for(stripe_client, receiver, ["customer.created"])
    stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert stripe_sandbox.deliverer.idle()
    (delivery,) = receiver.deliveries
    genuine = delivery.payload.decode()
    assert stripe.Webhook.construct_event(genuine, delivery.signature, secret).type == (
        "customer.created"
    )

    body = json.loads(genuine)
    body["data"]["object"]["email"] = "mallory@example.com"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps(body, indent=2), delivery.signature, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(genuine, delivery.signature, "whsec_" + "x" * 32)


def test_each_endpoint_signs_with_its_own_secret(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    first = endpoint_for(stripe_client, receiver, ["customer.created"])
    second = endpoint_for(stripe_client, receiver, ["customer.created"])
    assert first != second
    stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert stripe_sandbox.deliverer.idle()
    verified = 0
    for delivery in receiver.deliveries:
        for secret in (first, second):
            try:
                stripe.Webhook.construct_event(
                    delivery.payload.decode(), delivery.signature, secret
                )
                verified += 1
            except stripe.SignatureVerificationError:
                pass
    assert (len(receiver.deliveries), verified) == (2, 2)


# -- retries -------------------------------------------------------------------------------


def test_failed_delivery_is_retried_until_the_receiver_accepts_it(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = endpoint_for(stripe_client, receiver, ["customer.created"])
    receiver.failures = 2
    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})

    wait_until(lambda: len(receiver.deliveries) == 3)
    assert stripe_sandbox.deliverer.idle()

    assert [d.answered for d in receiver.deliveries] == [500, 500, 200]
    events = receiver.events(secret)
    assert len({e.id for e in events}) == 1
    assert events[0].data.object.id == customer.id
    history = [(r.attempt, r.status) for r in stripe_sandbox.deliverer.history]
    assert history == [(0, 500), (1, 500), (2, 200)]


def test_an_endpoint_that_cannot_be_posted_to_is_retried_and_others_still_get_events(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver
) -> None:
    secret = endpoint_for(stripe_client, receiver, ["customer.created"])
    broken = stripe_client.v1.webhook_endpoints.create(
        {"url": "https://example.invalid/hook", "enabled_events": ["customer.created"]}
    )
    # An endpoint stored without a usable URL (as a state file from an older sandbox can
    # hold): building the request for it raises before anything is sent.
    with stripe_sandbox.state.lock:
        stripe_sandbox.state.get("webhook_endpoint", broken.id)["url"] = None

    first = stripe_client.v1.customers.create({"email": "ada@example.com"})
    wait_until(lambda: len(attempts_for(stripe_sandbox, broken.id)) == 4)
    second = stripe_client.v1.customers.create({"email": "grace@example.com"})

    events = delivered(stripe_sandbox, receiver, secret)
    assert [e.data.object.id for e in events] == [first.id, second.id]
    tried = attempts_for(stripe_sandbox, broken.id)[:4]
    assert [(r.attempt, r.status) for r in tried] == [(0, None), (1, None), (2, None), (3, None)]
    assert all(r.event_type == "customer.created" and r.error for r in tried)


def attempts_for(sandbox: Sandbox, endpoint_id: str) -> list[DeliveryRecord]:
    return [r for r in list(sandbox.deliverer.history) if r.endpoint_id == endpoint_id]


@pytest.mark.parametrize("url", ["", "ftp://example.com/hook", "example.com/hook"])
def test_updating_an_endpoint_to_a_url_stripe_cannot_post_to_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, receiver: Receiver, url: str
) -> None:
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["customer.created"]}
    )
    stripe_sandbox.reset()

    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.webhook_endpoints.update(endpoint.id, {"url": url, "description": "moved"})

    assert (raised.value.http_status, raised.value.param) == (400, "url")
    assert stripe_sandbox.writes() == []
    kept = stripe_client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert (kept.url, kept.description) == (receiver.url, None)


# -- the event log -------------------------------------------------------------------------


def test_events_are_listed_newest_first_and_filtered_by_type(
    stripe_client: stripe.StripeClient,
) -> None:
    customer, card = paying_customer(stripe_client)
    price = monthly_price(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        {"customer": customer, "items": [{"price": price}], "default_payment_method": card}
    )
    stripe_client.v1.subscriptions.update(sub.id, {"metadata": {"a": "1"}})
    stripe_client.v1.subscriptions.update(sub.id, {"metadata": {"a": "2"}})

    updates = stripe_client.v1.events.list({"type": "customer.subscription.updated"}).data
    assert [e.type for e in updates] == ["customer.subscription.updated"] * 3
    assert [e.data.object.metadata.to_dict() for e in updates] == [{"a": "2"}, {"a": "1"}, {}]
    assert [e.created for e in updates] == sorted((e.created for e in updates), reverse=True)

    several = stripe_client.v1.events.list(
        {"types": ["customer.created", "payment_method.attached"]}
    ).data
    assert sorted(e.type for e in several) == ["customer.created", "payment_method.attached"]

    everything = stripe_client.v1.events.list({"limit": 100}).data
    assert {e.type for e in everything} > {"customer.subscription.updated", "price.created"}
    fetched = stripe_client.v1.events.retrieve(updates[0].id)
    assert fetched.to_dict() == updates[0].to_dict()
    assert fetched.data.to_dict()["previous_attributes"]["metadata"] == {"a": "1"}
