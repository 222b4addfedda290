"""Stripe's webhooks through the bridge: verified on the raw body, relayed as
`stripe.<type>` once whichever process receives them, and a portal change that waited on a
payment delivered when Stripe reports it paid."""

from __future__ import annotations

import json
import time
from typing import Any

import stripe
from bridge_support import SECRET
from flask.testing import FlaskClient
from receivers import Receiver
from sqlalchemy import select

from billflow_bridge._state import BridgeState
from billflow_bridge.schema import events
from billflow_core import user_hash
from billflow_sandbox import sign

WEBHOOK_SECRET = "whsec_" + "w" * 32


def webhook(client: FlaskClient, event_id: str, event_type: str, obj: Any) -> Any:
    payload = json.dumps({"id": event_id, "object": "event", "type": event_type,
                          "data": {"object": obj}}, default=str).encode()  # fmt: skip
    return client.post("/billflow/stripe/webhook", data=payload, headers={
        "Stripe-Signature": sign(payload, WEBHOOK_SECRET, int(time.time())),
        "Content-Type": "application/json"})  # fmt: skip


def kept(state: BridgeState) -> list[str]:
    with state.engine.connect() as connection:
        return list(
            connection.execute(select(events.c.type).order_by(events.c.created_at)).scalars()
        )


def test_a_subscription_paid_later_is_delivered_when_stripe_says_so(
    make_bridge: Any, receiver: Receiver, stripe_client: stripe.StripeClient,
    demo: dict[str, Any], verify: Any,
) -> None:  # fmt: skip
    app, state = make_bridge(BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    client = app.test_client()
    newcomer = "grace@example.com"
    answer = client.post(
        "/billflow/api/actions/subscribe",
        json={"price": demo["prices"]["starter_monthly"]},
        headers={"X-Billflow-Identity": newcomer, "X-Billflow-Hash": user_hash(SECRET, newcomer),
                 "Idempotency-Key": "intent-later-1"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    assert kept(state) == []  # waiting on the customer's payment: not done yet

    v1 = stripe_client.v1
    subscription = v1.subscriptions.retrieve(answer.get_json()["response"]["id"])
    card = v1.payment_methods.attach("pm_card_visa", {"customer": subscription.customer})
    invoice = v1.invoices.pay(subscription.latest_invoice, {"payment_method": card.id})
    assert webhook(client, "evt_paid_9", "invoice.paid", invoice.to_dict()).status_code == 200

    assert kept(state) == ["create_subscription", "stripe.invoice.paid"]
    assert state.deliverer.run_once() == 2
    created, paid = (verify(r) for r in receiver.received)
    assert created["type"] == "create_subscription" and created["data"]["status"] == "active"
    assert created["data"]["customer_email"] == newcomer
    assert paid["type"] == "stripe.invoice.paid"
    assert paid["data"]["invoice_id"] == invoice.id


def test_a_stripe_event_is_kept_once_whichever_process_receives_it(
    make_bridge: Any, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    first, state = make_bridge(BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    second, _ = make_bridge(BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    team = stripe_client.v1.subscriptions.retrieve(demo["subscriptions"][0]).to_dict()

    for app in (first, second, first):
        answer = webhook(app.test_client(), "evt_gone_1", "customer.subscription.deleted", team)
        assert answer.status_code == 200
    # Not relayed by default: an update, which each portal action already announces.
    webhook(first.test_client(), "evt_update_1", "customer.subscription.updated", team)

    assert kept(state) == ["stripe.customer.subscription.deleted"]


def test_a_bad_signature_keeps_nothing(
    make_bridge: Any, stripe_client: stripe.StripeClient, demo: dict[str, Any]
) -> None:
    app, state = make_bridge(BILLFLOW_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    team = stripe_client.v1.subscriptions.retrieve(demo["subscriptions"][0]).to_dict()
    payload = json.dumps({"id": "evt_forged", "object": "event",
                          "type": "customer.subscription.deleted",
                          "data": {"object": team}}, default=str).encode()  # fmt: skip

    answer = app.test_client().post("/billflow/stripe/webhook", data=payload, headers={
        "Stripe-Signature": sign(payload, "whsec_" + "x" * 32, int(time.time()))})  # fmt: skip

    assert answer.status_code == 400
    assert kept(state) == []
