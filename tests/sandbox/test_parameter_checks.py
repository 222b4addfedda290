"""Requests the real API refuses are refused by the sandbox with Stripe's own error, before
anything is written: unknown and mistyped parameters (checked against stripe-python's
`stripe.params` definitions), missing ones, unknown ids and bad API keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import stripe

from billflow_sandbox import Sandbox

JSON = dict[str, Any]


@dataclass
class Catalog:
    customer: str
    product: str
    price: str
    subscription: str


@pytest.fixture
def catalog(stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient) -> Catalog:
    """A customer subscribed to a monthly price; the request log starts empty after it."""
    v1 = stripe_client.v1
    customer = v1.customers.create({"email": "ada@example.com", "payment_method": "pm_card_visa"})
    product = v1.products.create({"name": "Basic"})
    price = v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    card = v1.customers.payment_methods.list(customer.id).data[0].id
    sub = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": card}
    )
    stripe_sandbox.reset()
    return Catalog(customer.id, product.id, price.id, sub.id)


def refusal(
    action: Callable[[], object],
    kind: type[stripe.StripeError],
    *,
    status: int,
    code: str | None,
    param: str | None,
) -> JSON:
    """Run `action`, check that stripe-python raised `kind` from Stripe's error shape, and
    return the error object of the JSON body."""
    with pytest.raises(kind) as raised:
        action()
    error = raised.value
    assert error.http_status == status
    assert error.code == code
    assert getattr(error, "param", None) == param
    assert error.request_id is not None and error.request_id.startswith("req_")
    body = error.json_body
    assert body is not None and list(body) == ["error"]
    detail: JSON = dict(body["error"])
    assert detail["type"] == "invalid_request_error"
    assert detail.get("code") == code and detail.get("param") == param
    assert detail["message"]
    assert detail["request_log_url"].endswith(error.request_id)
    if code is not None:
        assert detail["doc_url"] == "https://docs.stripe.com/error-codes/" + code.replace("_", "-")
    return detail


def test_unknown_top_level_parameter_is_refused_and_creates_nothing(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    error = refusal(
        lambda: stripe_client.v1.customers.create({"email": "b@example.com", "emali": "x"}),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_unknown",
        param="emali",
    )
    assert error["message"] == "Received unknown parameter: emali"
    assert stripe_sandbox.writes() == []
    assert [c.id for c in stripe_client.v1.customers.list().data] == [catalog.customer]


def test_unknown_nested_parameter_is_named_by_its_bracket_path(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"customer": catalog.customer, "items": [{"price": catalog.price, "foo": "1"}]}
    error = refusal(
        lambda: stripe_client.v1.subscriptions.create(params),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_unknown",
        param="items[0][foo]",
    )
    assert error["message"] == "Received unknown parameter: items[0][foo]"
    assert stripe_sandbox.writes() == []
    listed = stripe_client.v1.subscriptions.list({"status": "all"}).data
    assert [s.id for s in listed] == [catalog.subscription]


def test_unknown_parameter_on_a_read_is_refused_too(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"colour": "blue"}
    refusal(
        lambda: stripe_client.v1.prices.list(params),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_unknown",
        param="colour",
    )


def test_non_integer_for_an_integer_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"product": catalog.product, "currency": "usd", "unit_amount": "12.50"}
    error = refusal(
        lambda: stripe_client.v1.prices.create(params),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_invalid_integer",
        param="unit_amount",
    )
    assert error["message"] == "Invalid integer: 12.50"
    assert stripe_sandbox.writes() == []
    assert [p.id for p in stripe_client.v1.prices.list().data] == [catalog.price]


def test_non_boolean_for_a_boolean_is_refused_and_changes_nothing(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"cancel_at_period_end": "maybe"}
    error = refusal(
        lambda: stripe_client.v1.subscriptions.update(catalog.subscription, params),
        stripe.InvalidRequestError,
        status=400,
        code=None,
        param="cancel_at_period_end",
    )
    assert error["message"] == "Invalid boolean: maybe"
    assert stripe_sandbox.writes() == []
    sub = stripe_client.v1.subscriptions.retrieve(catalog.subscription)
    assert sub.cancel_at_period_end is False and sub.cancel_at is None


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"proration_behavior": "sometimes"}, "proration_behavior"),
        ({"payment_behavior": "hopeful"}, "payment_behavior"),
        ({"cancellation_details": {"feedback": "meh"}}, "cancellation_details[feedback]"),
    ],
)
def test_value_outside_an_enum_is_refused_and_changes_nothing(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    catalog: Catalog,
    params: Any,
    param: str,
) -> None:
    before = stripe_client.v1.subscriptions.retrieve(catalog.subscription).to_dict()
    error = refusal(
        lambda: stripe_client.v1.subscriptions.update(catalog.subscription, params),
        stripe.InvalidRequestError,
        status=400,
        code=None,
        param=param,
    )
    assert error["message"].startswith(f"Invalid {param}: must be one of ")
    assert stripe_sandbox.writes() == []
    assert stripe_client.v1.subscriptions.retrieve(catalog.subscription).to_dict() == before


def test_missing_required_parameter_is_refused(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"product": catalog.product, "unit_amount": 900}
    error = refusal(
        lambda: stripe_client.v1.prices.create(params),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_missing",
        param="currency",
    )
    assert error["message"] == "Missing required param: currency."
    assert stripe_sandbox.writes() == []
    assert [p.id for p in stripe_client.v1.prices.list().data] == [catalog.price]


def test_missing_required_nested_parameter_is_named_by_its_bracket_path(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {
        "product": catalog.product,
        "currency": "usd",
        "unit_amount": 900,
        "recurring": {"interval_count": 2},
    }
    refusal(
        lambda: stripe_client.v1.prices.create(params),
        stripe.InvalidRequestError,
        status=400,
        code="parameter_missing",
        param="recurring[interval]",
    )
    assert stripe_sandbox.writes() == []
    assert [p.id for p in stripe_client.v1.prices.list().data] == [catalog.price]


def test_unknown_id_is_404_resource_missing_on_read_update_and_delete(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    v1 = stripe_client.v1
    actions: list[Callable[[], object]] = [
        lambda: v1.customers.retrieve("cus_missing"),
        lambda: v1.customers.update("cus_missing", {"name": "Nobody"}),
        lambda: v1.customers.delete("cus_missing"),
    ]
    for action in actions:
        error = refusal(
            action,
            stripe.InvalidRequestError,
            status=404,
            code="resource_missing",
            param="id",
        )
        assert error["message"] == "No such customer: 'cus_missing'"
    assert stripe_sandbox.writes() == []
    assert [c.id for c in v1.customers.list().data] == [catalog.customer]


def test_id_named_in_a_parameter_is_404_with_that_parameter(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    params: Any = {"customer": "cus_missing", "items": [{"price": catalog.price}]}
    error = refusal(
        lambda: stripe_client.v1.subscriptions.create(params),
        stripe.InvalidRequestError,
        status=404,
        code="resource_missing",
        param="customer",
    )
    assert error["message"] == "No such customer: 'cus_missing'"
    assert stripe_sandbox.writes() == []


@pytest.mark.parametrize(
    "key",
    ["sk_test_notthesandboxkey1234", "sk_live_51Hrealkeylookalike9876"],
    ids=["wrong test key", "live key"],
)
def test_bad_api_key_is_401_and_the_key_is_not_echoed(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog, key: str
) -> None:
    intruder = stripe.StripeClient(
        key, base_addresses={"api": stripe_sandbox.url}, max_network_retries=0
    )
    for action in (
        lambda: intruder.v1.customers.list(),
        lambda: intruder.v1.customers.create({"email": "mallory@example.com"}),
    ):
        error = refusal(action, stripe.AuthenticationError, status=401, code=None, param=None)
        assert error["message"].startswith("Invalid API Key provided: ")
        assert key not in error["message"] and key[-4:] in error["message"]
    assert stripe_sandbox.writes() == []
    assert [c.id for c in stripe_client.v1.customers.list().data] == [catalog.customer]


def test_request_without_an_api_key_is_401(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    # stripe-python refuses to send a request without a key, so this one goes by hand.
    answer = requests.post(
        f"{stripe_sandbox.url}/v1/customers", data={"email": "anon@example.com"}, timeout=5
    )
    assert answer.status_code == 401
    assert answer.headers["Request-Id"].startswith("req_")
    body = answer.json()
    assert list(body) == ["error"]
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("You did not provide an API key.")
    assert "code" not in body["error"] and "param" not in body["error"]
    assert stripe_sandbox.writes() == []
    assert [c.id for c in stripe_client.v1.customers.list().data] == [catalog.customer]


def test_refused_requests_are_logged_with_their_status(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, catalog: Catalog
) -> None:
    unknown: Any = {"emali": "x"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(unknown)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve("cus_missing")
    assert [(r.route, r.status, r.is_write) for r in stripe_sandbox.requests] == [
        ("POST /v1/customers", 400, False),
        ("GET /v1/customers/{id}", 404, False),
    ]
