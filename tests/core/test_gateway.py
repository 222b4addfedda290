"""The Stripe gateway against the sandbox: one request per read thanks to `expand`, writes
keyed so a retry writes once, and Stripe's errors as Billflow's with no secret in them."""

from __future__ import annotations

import logging

import pytest
import stripe

from billflow_core.errors import (
    BadInput,
    Conflict,
    NotFound,
    PaymentFailed,
    StripeUnavailable,
)
from billflow_core.stripe.gateway import StripeGateway, is_live_key
from billflow_sandbox import Sandbox


@pytest.fixture
def gateway(stripe_sandbox: Sandbox) -> StripeGateway:
    return StripeGateway(stripe_sandbox.secret_key, api_base=stripe_sandbox.url)


def _customer_with_card(client: stripe.StripeClient, card: str = "pm_card_visa") -> str:
    customer = client.v1.customers.create({"email": "ada@example.com"})
    pm = client.v1.payment_methods.attach(card, {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm.id}})
    return str(customer.id)


def _monthly(client: stripe.StripeClient, amount: int = 1500) -> str:
    product = client.v1.products.create({"name": "Pro", "metadata": {"sb_service": "app"}})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": amount,
            "recurring": {"interval": "month"},
        }
    )
    return str(price.id)


def test_a_customer_and_their_card_cost_one_request(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    customer_id = _customer_with_card(stripe_client)
    stripe_sandbox.reset()

    found = gateway.customer_by_email("ada@example.com")

    assert found is not None and found.id == customer_id
    assert found.invoice_settings.default_payment_method.card.last4 == "4242"
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}
    assert gateway.customer_by_email("Ada@example.com") is None  # Stripe's match is exact
    assert gateway.customer("cus_nobody") is None


def test_every_subscription_with_discounts_and_latest_invoice_costs_one_request(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    customer_id = _customer_with_card(stripe_client)
    price = _monthly(stripe_client)
    coupon = stripe_client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    kept = stripe_client.v1.subscriptions.create(
        {"customer": customer_id, "items": [{"price": price}], "discounts": [{"coupon": coupon.id}]}
    )
    ended = stripe_client.v1.subscriptions.create(
        {"customer": customer_id, "items": [{"price": price}]}
    )
    stripe_client.v1.subscriptions.cancel(ended.id)
    stripe_sandbox.reset()

    subscriptions = {s.id: s for s in gateway.subscriptions(customer_id)}

    assert set(subscriptions) == {kept.id, ended.id}  # canceled ones included
    assert subscriptions[kept.id].discounts[0].source.coupon.percent_off == 10
    assert subscriptions[kept.id].latest_invoice.amount_paid == 1350
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 1}


def test_a_customer_with_more_than_a_hundred_subscriptions_gets_them_all_in_pages(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    customer_id = _customer_with_card(stripe_client)
    price = _monthly(stripe_client)
    made = {
        stripe_client.v1.subscriptions.create(
            {"customer": customer_id, "items": [{"price": price}],
             "payment_behavior": "default_incomplete"}
        ).id
        for _ in range(101)
    }  # fmt: skip
    stripe_sandbox.reset()

    assert {s.id for s in gateway.subscriptions(customer_id)} == made
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 2}


def test_the_catalog_comes_in_pages_of_a_hundred_with_products_expanded(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    product = stripe_client.v1.products.create({"name": "Seats"})
    for amount in range(101):
        stripe_client.v1.prices.create(
            {
                "product": product.id,
                "currency": "usd",
                "unit_amount": amount,
                "recurring": {"interval": "month"},
            }
        )
    stripe_client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": 5}  # one-off: left out
    )
    stripe_sandbox.reset()

    prices = gateway.active_prices()

    assert sorted(p.unit_amount for p in prices) == list(range(101))
    assert {p.product.name for p in prices} == {"Seats"}
    assert stripe_sandbox.counts() == {"GET /v1/prices": 2}


def test_a_retried_write_is_made_once_with_the_same_key(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    customer_id = _customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        {"customer": customer_id, "items": [{"price": _monthly(stripe_client)}]}
    )
    key = StripeGateway.idempotency_key(customer_id, "intent-1", "update")
    stripe_sandbox.fault("POST /v1/subscriptions/{id}", "drop_answer")
    before = len(stripe_sandbox.writes())

    updated = gateway.update_subscription(sub.id, {"metadata": {"seen": "1"}}, key=key)
    again = gateway.update_subscription(sub.id, {"metadata": {"seen": "1"}}, key=key)

    assert updated.id == again.id == sub.id
    assert len(stripe_sandbox.writes()) == before + 1
    assert [r.replayed for r in stripe_sandbox.requests[-3:]] == [False, True, True]


def test_idempotency_keys_are_stable_per_action_and_bound_to_the_customer() -> None:
    key = StripeGateway.idempotency_key("cus_a", "intent-1", "update")
    assert key == StripeGateway.idempotency_key("cus_a", "intent-1", "update")
    assert key != StripeGateway.idempotency_key("cus_b", "intent-1", "update")
    assert key != StripeGateway.idempotency_key("cus_a", "intent-1", "invoice")
    assert key.startswith("billflow-") and len(key) < 255


def test_a_declined_card_is_a_payment_failure(
    stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    customer_id = _customer_with_card(stripe_client, "pm_card_chargeCustomerFail")
    with pytest.raises(PaymentFailed) as failed:
        gateway.create_subscription(
            {
                "customer": customer_id,
                "items": [{"price": _monthly(stripe_client)}],
                "payment_behavior": "error_if_incomplete",
            },
            key=StripeGateway.idempotency_key(customer_id, "intent-2", "create"),
        )
    assert (failed.value.status, failed.value.code) == (402, "card_declined")


def test_stripe_refusals_and_outages_become_billflows_errors(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, gateway: StripeGateway
) -> None:
    with pytest.raises(NotFound) as missing:
        gateway.update_subscription("sub_missing", {"metadata": {"a": "b"}}, key="k1")
    assert (missing.value.status, missing.value.code) == (404, "stripe_not_found")

    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
    with pytest.raises(BadInput) as refused:
        gateway.create_subscription({"customer": customer.id}, key="k2")
    assert (refused.value.status, refused.value.field) == (400, "items")

    quick = StripeGateway(
        stripe_sandbox.secret_key, api_base=stripe_sandbox.url, max_network_retries=0
    )
    stripe_sandbox.fault("GET /v1/customers", "500")
    with pytest.raises(StripeUnavailable) as down:
        quick.customer_by_email("ada@example.com")
    assert (down.value.status, down.value.code) == (503, "stripe_unavailable")

    stripe_sandbox.fault("GET /v1/customers", "429", seconds=3)
    with pytest.raises(StripeUnavailable) as busy:  # Stripe's limit is not the customer's
        quick.customer_by_email("ada@example.com")
    assert (busy.value.status, busy.value.retry_after) == (503, 3)


def test_outages_within_the_retry_budget_are_not_seen(
    stripe_sandbox: Sandbox, gateway: StripeGateway
) -> None:
    stripe_sandbox.fault("GET /v1/customers", "500", times=2)
    assert gateway.customer_by_email("nobody@example.com") is None
    assert stripe_sandbox.counts()["GET /v1/customers"] == 3


def test_a_refused_key_is_reported_without_the_key(
    stripe_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk_test_wrongwrongwrongwrong1234"
    gateway = StripeGateway(wrong, api_base=stripe_sandbox.url, max_network_retries=0)
    with caplog.at_level(logging.DEBUG), pytest.raises(StripeUnavailable) as refused:
        gateway.customer_by_email("ada@example.com")
    assert refused.value.code == "stripe_key_refused"
    secret_part = wrong[len("sk_test_") : -4]
    assert secret_part not in str(refused.value.to_dict())
    assert secret_part[:6] not in caplog.text


def test_only_secret_or_restricted_keys_are_accepted_and_live_ones_are_known() -> None:
    for pasted in (
        "pk_test_abcdefghijklmnopqrstuvwxyz",
        "whsec_abcdefghijklmnopqrstuvwxyz",
        "my-site-secret-value-123456",
    ):
        with pytest.raises(ValueError) as refused:
            StripeGateway(pasted)
        shown = str(refused.value)
        assert not any(pasted[i : i + 8] in shown for i in range(len(pasted) - 8))
    assert is_live_key("sk_live_x") and is_live_key("rk_live_x")
    assert not is_live_key("sk_test_x")
    assert StripeGateway("sk_live_" + "x" * 24).livemode is True


def test_a_key_reused_with_other_parameters_is_a_conflict_and_stripes_words_stay_in_the_log(
    stripe_client: stripe.StripeClient, gateway: StripeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    customer_id = _customer_with_card(stripe_client)
    sub = stripe_client.v1.subscriptions.create(
        {"customer": customer_id, "items": [{"price": _monthly(stripe_client)}]}
    )
    gateway.update_subscription(sub.id, {"metadata": {"a": "1"}}, key="same-key")
    with pytest.raises(Conflict) as reused:
        gateway.update_subscription(sub.id, {"metadata": {"a": "2"}}, key="same-key")
    assert (reused.value.status, reused.value.code) == (409, "idempotency_conflict")

    stripe_client.v1.subscriptions.cancel(sub.id)
    with caplog.at_level(logging.WARNING), pytest.raises(BadInput) as refused:
        gateway.update_subscription(
            sub.id, {"items": [{"price": _monthly(stripe_client)}]}, key="k3"
        )
    assert refused.value.message == "Stripe refused the request."
    assert "canceled subscription" in caplog.text  # Stripe's own words, for developers
