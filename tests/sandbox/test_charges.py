"""A payment can be followed as on Stripe: every attempt that reaches the card leaves a charge
(succeeded, or failed with the issuer's reason), named by the intent's `latest_charge`,
announced by `charge.succeeded` / `charge.failed`, and served by retrieve and list."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe
from scenes import customer_on_clock, price

from billflow_sandbox import Sandbox


@pytest.fixture
def v1(stripe_client: stripe.StripeClient) -> Any:
    return stripe_client.v1


def _first_intent(v1: Any, subscription: stripe.Subscription) -> stripe.PaymentIntent:
    invoice = v1.invoices.retrieve(str(subscription.latest_invoice), {"expand": ["payments"]})
    return v1.payment_intents.retrieve(invoice.payments.data[0].payment.payment_intent)


def test_a_paid_subscription_leaves_a_succeeded_charge_for_its_first_invoice(v1: Any) -> None:
    _, customer = customer_on_clock(v1, "ada@example.com")
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": price(v1, 1500)}]})
    intent = _first_intent(v1, sub)

    charge = v1.charges.retrieve(str(intent.latest_charge))

    assert charge.status == "succeeded" and charge.paid and charge.captured
    assert (charge.amount, charge.amount_captured, charge.currency) == (1500, 1500, "usd")
    assert charge.payment_intent == intent.id and charge.customer == customer
    assert charge.payment_method == intent.payment_method
    card = charge.payment_method_details.card
    assert (card.brand, card.last4, card.network) == ("visa", "4242", "visa")
    assert charge.outcome.type == "authorized" and charge.failure_code is None
    expanded = v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert expanded.latest_charge.id == charge.id
    assert v1.charges.retrieve(charge.id, {"expand": ["payment_intent"]}).payment_intent.id == (
        intent.id
    )


def test_a_declined_attempt_leaves_a_failed_charge_with_the_issuers_reason(v1: Any) -> None:
    _, customer = customer_on_clock(v1, "grace@example.com", "pm_card_chargeCustomerFail")
    sub = v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": price(v1, 900)}],
            "payment_behavior": "allow_incomplete",
        }
    )
    intent = _first_intent(v1, sub)

    charge = v1.charges.retrieve(str(intent.latest_charge))

    assert sub.status == "incomplete"
    assert charge.status == "failed" and not charge.paid and not charge.captured
    assert charge.amount_captured == 0
    assert (charge.failure_code, charge.failure_message) == (
        "card_declined",
        "Your card was declined.",
    )
    assert charge.outcome.type == "issuer_declined"
    assert charge.outcome.reason == "generic_decline"


def test_an_intent_waiting_for_3d_secure_has_no_charge_until_the_cardholder_passes(
    v1: Any, stripe_sandbox: Sandbox
) -> None:
    _, customer = customer_on_clock(v1, "hedy@example.com", "pm_card_authenticationRequired")
    sub = v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"price": price(v1, 2000)}],
            "payment_behavior": "default_incomplete",
        }
    )
    invoice = v1.invoices.retrieve(str(sub.latest_invoice), {"expand": ["confirmation_secret"]})
    secret = invoice.confirmation_secret.client_secret
    intent_id = secret.partition("_secret_")[0]
    card = v1.customers.retrieve(customer).invoice_settings.default_payment_method
    headers = {"Authorization": f"Bearer {stripe_sandbox.publishable_key}"}
    confirm = requests.post(
        f"{stripe_sandbox.url}/v1/payment_intents/{intent_id}/confirm",
        data={"client_secret": secret, "payment_method": card},
        headers=headers,
        timeout=5,
    )
    assert confirm.json().get("status") == "requires_action", confirm.text
    assert confirm.json()["latest_charge"] is None
    assert v1.charges.list({"payment_intent": intent_id}).data == []

    passed = requests.post(
        f"{stripe_sandbox.url}/_sandbox/authenticate/{intent_id}",
        data={"client_secret": secret, "outcome": "complete"},
        headers=headers,
        timeout=5,
    )

    assert passed.json()["status"] == "succeeded", passed.text
    [charge] = v1.charges.list({"payment_intent": intent_id}).data
    assert passed.json()["latest_charge"] == charge.id
    secure = charge.payment_method_details.card.three_d_secure
    assert (secure.result, secure.authentication_flow) == ("authenticated", "challenge")


def test_each_attempt_sends_its_charge_event_before_the_intents(v1: Any) -> None:
    _, customer = customer_on_clock(v1, "lin@example.com")
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": price(v1, 700)}]})
    intent = _first_intent(v1, sub)

    types = [e.type for e in reversed(v1.events.list({"limit": 100}).data)]
    [succeeded] = v1.events.list({"type": "charge.succeeded"}).data

    assert succeeded.data.object.id == intent.latest_charge
    assert types.index("charge.succeeded") < types.index("payment_intent.succeeded")


def test_charges_list_by_customer_and_payment_intent_newest_first(v1: Any) -> None:
    _, ada = customer_on_clock(v1, "ada@example.com")
    _, bob = customer_on_clock(v1, "bob@example.com")
    monthly = price(v1, 1000)
    first = v1.subscriptions.create({"customer": ada, "items": [{"price": monthly}]})
    second = v1.subscriptions.create({"customer": ada, "items": [{"price": monthly}]})
    v1.subscriptions.create({"customer": bob, "items": [{"price": monthly}]})
    ada_charges = [_first_intent(v1, s).latest_charge for s in (second, first)]

    listed = v1.charges.list({"customer": ada})
    by_intent = v1.charges.list({"payment_intent": _first_intent(v1, first).id})

    assert [c.id for c in listed.data] == ada_charges
    assert [c.id for c in by_intent.data] == ada_charges[1:]
    assert len(v1.charges.list().data) == 3
    assert v1.charges.list({"customer": ada, "transfer_group": "order-1"}).data == []


def test_an_unknown_charge_is_stripes_404(v1: Any) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        v1.charges.retrieve("ch_nothing")

    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    assert "No such charge: 'ch_nothing'" in str(missing.value.user_message)


def test_a_charges_refunds_are_included_only_when_expanded(v1: Any) -> None:
    _, customer = customer_on_clock(v1, "ada@example.com")
    sub = v1.subscriptions.create({"customer": customer, "items": [{"price": price(v1, 500)}]})
    charge_id = str(_first_intent(v1, sub).latest_charge)

    plain = v1.charges.retrieve(charge_id)
    with_refunds = v1.charges.retrieve(charge_id, {"expand": ["refunds"]})

    assert "refunds" not in plain
    assert with_refunds.refunds.data == [] and with_refunds.refunds.url.endswith("/refunds")
