"""What an action's answer shows the page: Stripe's own paths for what the visitor did, and
none of the site's metadata nor anything else the view does not list."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import stripe

from billflow_core.exposed import EXPOSED

NOTE = {"internal_note": "owes us a call", "crm_id": "crm-881"}


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _plant_notes(client: stripe.StripeClient, live: Any) -> None:
    """Metadata on everything an answer could carry: the customer, subscriptions, prices and
    products."""
    subscription = client.v1.subscriptions.retrieve(live.ids["subscriptions"][0])
    client.v1.customers.update(subscription.customer, {"metadata": NOTE})
    for sub in live.ids["subscriptions"]:
        client.v1.subscriptions.update(sub, {"metadata": NOTE})
    for price in live.ids["prices"].values():
        client.v1.prices.update(price, {"metadata": NOTE})
    for product in live.ids["products"].values():
        client.v1.products.update(product, {"metadata": NOTE})


def _act(live: Any, action: str, payload: dict[str, Any], key: str) -> dict[str, Any]:
    answer = requests.post(f"{live.url}/billflow/api/actions/{action}", json=payload,
                           headers=live.headers(**{"Idempotency-Key": key}),
                           timeout=10)  # fmt: skip
    assert answer.status_code == 200, answer.text
    response: dict[str, Any] = answer.json()["response"]
    assert "metadata" not in set(_keys(response)), action
    assert "owes us a call" not in answer.text.split('"billingData"')[0], action
    return response


def test_subscription_answers_show_stripes_paths_and_no_metadata(
    serve: Callable[..., Any], stripe_client: stripe.StripeClient
) -> None:
    live = serve()
    _plant_notes(stripe_client, live)
    seats = live.ids["subscriptions"][1]

    changed = _act(live, "change_quantity", {"subscription": seats, "quantity": 5}, "ans-0001")
    stripes = stripe_client.v1.subscriptions.retrieve(seats)
    assert (changed["id"], changed["object"], changed["status"]) == (seats, "subscription",
                                                                     stripes.status)  # fmt: skip
    item = changed["items"]["data"][0]
    assert item["quantity"] == 5
    assert item["price"]["id"] == stripes["items"].data[0].price.id
    assert item["price"]["unit_amount"] == stripes["items"].data[0].price.unit_amount
    assert item["current_period_end"] == stripes["items"].data[0].current_period_end

    canceled = _act(live, "cancel", {"subscription": seats, "reason": "unused"}, "ans-0002")
    assert canceled["cancel_at_period_end"] is True
    undone = _act(live, "undo_cancel", {"subscription": seats}, "ans-0003")
    assert undone["cancel_at_period_end"] is False
    assert undone["items"]["data"][0]["price"]["id"] == item["price"]["id"]

    pausing = serve(pause_instead_of_cancel=True)
    paused = _act(
        pausing,
        "pause",
        {"subscription": seats, "resumes_at": int(time.time()) + 86400},
        "ans-0004",
    )
    assert paused["pause_collection"]["behavior"] == (
        stripe_client.v1.subscriptions.retrieve(seats).pause_collection.behavior
    )
    resumed = _act(pausing, "resume", {"subscription": seats}, "ans-0005")
    assert resumed["pause_collection"] is None


def test_card_answers_show_the_setup_intent_and_the_new_default_card_but_no_metadata(
    serve: Callable[..., Any], stripe_client: stripe.StripeClient
) -> None:
    live = serve()
    _plant_notes(stripe_client, live)

    intent = _act(live, "setup_payment_method", {}, "ans-0101")
    assert intent["object"] == "setup_intent"
    assert set(intent) <= set(EXPOSED["setup_intent"])
    confirmed = stripe_client.v1.setup_intents.confirm(
        intent["id"], {"payment_method": "pm_card_mastercard"}
    )
    card = stripe_client.v1.payment_methods.retrieve(str(confirmed.payment_method))

    customer = _act(live, "update_payment_method", {"payment_method": card.id}, "ans-0102")
    assert customer["object"] == "customer"
    default = customer["invoice_settings"]["default_payment_method"]
    assert default["id"] == card.id
    assert default["card"] == {
        "brand": card.card.brand,
        "last4": card.card.last4,
        "exp_month": card.card.exp_month,
        "exp_year": card.card.exp_year,
    }


def test_no_object_type_lists_metadata() -> None:
    def rules(fields: Any) -> Iterator[str]:
        for name, rule in fields.items():
            yield name
            if isinstance(rule, dict):
                yield from rules(rule)

    assert all("metadata" not in set(rules(fields)) for fields in EXPOSED.values())
