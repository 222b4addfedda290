"""Idempotency keys as Stripe documents them: the same key and parameters replay the stored
answer, other parameters get `idempotency_error`, a request refused before it ran stores
nothing, and stripe-python's retries (which reuse their key) never create twice."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from billflow_sandbox import Sandbox


def replayed(obj: stripe.StripeObject) -> bool:
    response = obj.last_response
    assert response is not None
    return response.headers.get("Idempotent-Replayed") == "true"


def emails(client: stripe.StripeClient) -> list[str | None]:
    return [c.email for c in client.v1.customers.list({"limit": 100}).data]


def test_same_key_and_params_replay_the_stored_answer(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    params: Any = {"email": "ada@example.com", "metadata": {"source": "signup"}}
    first = stripe_client.v1.customers.create(params, {"idempotency_key": "signup-ada"})
    again = stripe_client.v1.customers.create(params, {"idempotency_key": "signup-ada"})

    assert again.id == first.id
    assert not replayed(first) and replayed(again)
    assert first.last_response is not None and again.last_response is not None
    assert again.last_response.headers["Original-Request"] == first.last_response.request_id
    assert [w.route for w in stripe_sandbox.writes()] == ["POST /v1/customers"]
    assert emails(stripe_client) == ["ada@example.com"]


def test_replay_answers_as_the_first_time_even_after_the_object_changed(
    stripe_client: stripe.StripeClient,
) -> None:
    first = stripe_client.v1.customers.create(
        {"email": "ada@example.com", "name": "Ada"}, {"idempotency_key": "k-name"}
    )
    stripe_client.v1.customers.update(first.id, {"name": "Ada Lovelace"})
    again = stripe_client.v1.customers.create(
        {"email": "ada@example.com", "name": "Ada"}, {"idempotency_key": "k-name"}
    )
    assert replayed(again) and again.name == "Ada"
    assert stripe_client.v1.customers.retrieve(first.id).name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/customers", {"email": "eve@example.com"}),
        ("/v1/products", {"name": "ada@example.com"}),
    ],
    ids=["other params", "other endpoint"],
)
def test_same_key_for_another_request_is_an_idempotency_error(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    path: str,
    params: dict[str, str],
) -> None:
    stripe_client.v1.customers.create({"email": "ada@example.com"}, {"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError) as raised:
        stripe_client.raw_request("post", path, idempotency_key="k1", **params)
    error = raised.value
    assert error.http_status == 400
    assert error.json_body is not None
    assert error.json_body["error"]["type"] == "idempotency_error"
    assert "'k1'" in error.json_body["error"]["message"]
    assert len(stripe_sandbox.writes()) == 1
    assert emails(stripe_client) == ["ada@example.com"]
    assert stripe_client.v1.products.list().data == []


def test_request_refused_by_parameter_checks_stores_no_answer_for_its_key(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    typo: Any = {"emali": "ada@example.com"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create(typo, {"idempotency_key": "k-fix"})
    fixed = stripe_client.v1.customers.create(
        {"email": "ada@example.com"}, {"idempotency_key": "k-fix"}
    )
    assert not replayed(fixed)
    assert emails(stripe_client) == ["ada@example.com"]


def test_error_from_a_request_that_ran_is_replayed_for_its_key(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    params: Any = {"customer": "cus_missing", "items": [{"price": "price_missing"}]}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            stripe_client.v1.subscriptions.create(params, {"idempotency_key": "k-missing"})
        assert raised.value.http_status == 404 and raised.value.code == "resource_missing"
    first, again = stripe_sandbox.requests
    assert (first.status, first.replayed) == (404, False)
    assert (again.status, again.replayed) == (404, True)
    assert raised.value.headers is not None
    assert raised.value.headers["Idempotent-Replayed"] == "true"


def test_retry_after_a_dropped_connection_creates_exactly_one_object(
    stripe_sandbox: Sandbox,
) -> None:
    retrying = stripe_sandbox.client(max_network_retries=2)
    stripe_sandbox.fault("POST /v1/customers", "drop")

    customer = retrying.v1.customers.create({"email": "ada@example.com"})

    dropped, answered = stripe_sandbox.requests
    assert (dropped.fault, answered.status) == ("drop", 200)
    # stripe-python sends its retry under the key of the first attempt.
    assert dropped.idempotency_key is not None
    assert answered.idempotency_key == dropped.idempotency_key
    assert [c.id for c in retrying.v1.customers.list().data] == [customer.id]


def test_retry_after_a_lost_answer_replays_instead_of_creating_again(
    stripe_sandbox: Sandbox,
) -> None:
    # The first answer comes too late for the client: the customer exists, the client
    # doesn't know, and its retry must be answered from the stored result.
    # The first answer is held until the client has its customer from the retry: later than
    # the client's second, however busy the machine; the retry is answered within it.
    impatient = stripe_sandbox.client(
        max_network_retries=1, http_client=stripe.RequestsClient(timeout=1.0)
    )
    held = stripe_sandbox.fault("POST /v1/customers", "slow", hold=True)

    customer = impatient.v1.customers.create({"email": "ada@example.com"})
    assert held.release is not None and not held.answered.is_set()
    held.release.set()
    assert held.answered.wait(10)

    assert replayed(customer)
    assert [w.route for w in stripe_sandbox.writes()] == ["POST /v1/customers"]
    assert [c.id for c in impatient.v1.customers.list().data] == [customer.id]
