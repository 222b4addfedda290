"""The sandbox's knobs for tests and benchmarks: faults on chosen routes (500, 429, dropped
connections, slow answers), added latency, per-route request counts and reset, from Python
and over HTTP (`/_sandbox/...`, behind the secret key)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import stripe

from billflow_sandbox import Sandbox


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def customer_ids(client: stripe.StripeClient) -> list[str]:
    return [c.id for c in client.v1.customers.list({"limit": 100}).data]


def subscribed(client: stripe.StripeClient) -> str:
    """A subscription on a card that pays, for the update routes to act on."""
    v1 = client.v1
    customer = v1.customers.create({"email": "ada@example.com"})
    card = v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    price = v1.prices.create(
        {
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": 1500,
            "recurring": {"interval": "month"},
        }
    )
    sub = v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], "default_payment_method": card.id}
    )
    return sub.id


# -- faults --------------------------------------------------------------------------------


def test_500_fault_fails_the_next_n_matching_requests_then_clears(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.fault("POST /v1/customers", "500", times=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as raised:
            stripe_client.v1.customers.create({"email": "ada@example.com"})
        assert raised.value.http_status == 500
        assert raised.value.json_body is not None
        assert raised.value.json_body["error"]["type"] == "api_error"
        # Requests the pattern does not match go through meanwhile.
        assert customer_ids(stripe_client) == []

    created = stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert customer_ids(stripe_client) == [created.id]
    faults = [(r.route, r.fault) for r in stripe_sandbox.requests if r.fault]
    assert faults == [("POST /v1/customers", "500")] * 2
    assert [w.route for w in stripe_sandbox.writes()] == ["POST /v1/customers"]


def test_429_fault_by_route_name_is_stripes_rate_limit_error(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub_id = subscribed(stripe_client)
    stripe_sandbox.fault("POST /v1/subscriptions/{id}", "429")

    with pytest.raises(stripe.RateLimitError) as raised:
        stripe_client.v1.subscriptions.update(sub_id, {"metadata": {"plan": "gold"}})
    assert raised.value.http_status == 429 and raised.value.json_body is not None
    assert raised.value.json_body["error"]["code"] == "rate_limit"
    assert stripe_client.v1.subscriptions.retrieve(sub_id).metadata.to_dict() == {}

    updated = stripe_client.v1.subscriptions.update(sub_id, {"metadata": {"plan": "gold"}})
    assert updated.metadata.to_dict() == {"plan": "gold"}


def test_glob_pattern_matches_paths_below_it_only(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    sub_id = subscribed(stripe_client)
    stripe_sandbox.fault("POST /v1/subscriptions/*", "500", times=5)

    # Neither a read of the same path nor the collection's own path matches.
    assert stripe_client.v1.subscriptions.retrieve(sub_id).id == sub_id
    with pytest.raises(stripe.APIError):
        stripe_client.v1.subscriptions.update(sub_id, {"metadata": {"a": "1"}})
    assert [(r.route, r.fault) for r in stripe_sandbox.requests[-2:]] == [
        ("GET /v1/subscriptions/{id}", None),
        ("POST /v1/subscriptions/{id}", "500"),
    ]


def test_dropped_connection_is_a_connection_error_without_retries_and_heals_with_them(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.fault("POST /v1/customers", "drop")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert customer_ids(stripe_client) == []

    stripe_sandbox.fault("POST /v1/customers", "drop")
    retrying = stripe_sandbox.client(max_network_retries=1)
    created = retrying.v1.customers.create({"email": "ada@example.com"})
    assert customer_ids(stripe_client) == [created.id]


def test_a_lost_answer_is_retried_with_the_same_key_and_the_change_is_made_once(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.fault("POST /v1/customers", "drop_answer")
    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.create({"email": "lost@example.com"})
    assert len(customer_ids(stripe_client)) == 1  # carried out, though unanswered

    stripe_sandbox.fault("POST /v1/customers", "drop_answer")
    retrying = stripe_sandbox.client(max_network_retries=2)
    created = retrying.v1.customers.create({"email": "ada@example.com"})

    assert created.id in customer_ids(stripe_client)
    assert len(customer_ids(stripe_client)) == 2
    first, retry = [r for r in stripe_sandbox.requests if r.method == "POST"][-2:]
    assert (first.fault, first.replayed, retry.replayed) == ("drop_answer", False, True)
    assert first.idempotency_key == retry.idempotency_key


def _impatient(sandbox: Sandbox) -> stripe.StripeClient:
    """A client that waits a second: a held answer is always later, however busy the
    machine, and an ordinary one comes well within it."""
    return sandbox.client(max_network_retries=0, http_client=stripe.RequestsClient(timeout=1.0))


def test_slow_answer_beyond_the_client_timeout_is_a_connection_error(
    stripe_sandbox: Sandbox,
) -> None:
    impatient = _impatient(stripe_sandbox)
    held = stripe_sandbox.fault("GET /v1/customers", "slow", hold=True)
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()  # held until after the client gave up
    assert held.release is not None
    held.release.set()
    assert held.answered.wait(10)
    # The fault is spent: the same client is answered in time again.
    assert impatient.v1.customers.list().data == []


def test_a_hold_is_for_one_slow_request_and_a_reset_lets_it_go(stripe_sandbox: Sandbox) -> None:
    for kind, times in (("500", 1), ("slow", 2)):
        with pytest.raises(ValueError, match="held"):
            stripe_sandbox.fault("GET /v1/customers", kind, times=times, hold=True)
    held = stripe_sandbox.fault("GET /v1/customers", "slow", hold=True)
    with pytest.raises(stripe.APIConnectionError):
        _impatient(stripe_sandbox).v1.customers.list()
    stripe_sandbox.reset()  # a test that ends without releasing it leaves no thread waiting
    assert held.answered.wait(10)


def test_answer_to_a_client_that_gave_up_is_dropped_quietly(
    stripe_sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    impatient = _impatient(stripe_sandbox)
    held = stripe_sandbox.fault("GET /v1/customers", "slow", hold=True)
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()
    assert held.release is not None
    held.release.set()
    assert held.answered.wait(10)  # the late answer has met the closed connection
    assert "Traceback" not in capfd.readouterr().err
    assert impatient.v1.customers.list().data == []


def test_slow_answer_within_the_timeout_arrives_late_but_whole(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.fault("POST /v1/customers", "slow", seconds=0.2)
    took = timed(lambda: stripe_client.v1.customers.create({"email": "ada@example.com"}))
    assert took >= 0.2
    assert len(customer_ids(stripe_client)) == 1


def test_fault_kind_and_count_are_checked() -> None:
    with Sandbox() as sandbox:
        with pytest.raises(ValueError, match="fault kind"):
            sandbox.fault("POST /v1/customers", "503")
        with pytest.raises(ValueError, match="times"):
            sandbox.fault("POST /v1/customers", "500", times=0)


# -- latency, counts, reset ----------------------------------------------------------------


def test_latency_delays_every_answer(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    def five_reads() -> None:
        for _ in range(5):
            stripe_client.v1.customers.list()

    def held_back() -> list[float]:
        return [entry.delay for entry in stripe_sandbox.requests]

    stripe_sandbox.latency = 0.08
    assert timed(five_reads) >= 5 * 0.08  # a lower bound: a busy machine only adds

    def refused() -> None:
        with pytest.raises(stripe.InvalidRequestError):
            stripe_client.v1.customers.retrieve("cus_missing")

    assert timed(refused) >= 0.08  # errors take the latency too
    stripe_sandbox.latency = 0
    five_reads()
    # What the sandbox held each answer back by, as it logged it: no clock of ours involved.
    assert held_back() == [0.08] * 6 + [0.0] * 5


def test_counts_report_requests_per_route_faults_and_refusals_included(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    ada = stripe_client.v1.customers.create({"email": "ada@example.com"})
    stripe_client.v1.customers.retrieve(ada.id)
    stripe_client.v1.customers.retrieve(ada.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve("cus_missing")
    stripe_sandbox.fault("GET /v1/customers", "500")
    with pytest.raises(stripe.APIError):
        stripe_client.v1.customers.list()
    assert stripe_sandbox.counts() == {
        "POST /v1/customers": 1,
        "GET /v1/customers/{id}": 3,
        "GET /v1/customers": 1,
    }


def test_reset_forgets_log_faults_and_latency_but_keeps_objects(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    ada = stripe_client.v1.customers.create({"email": "ada@example.com"})
    stripe_sandbox.fault("GET /v1/customers", "500")
    stripe_sandbox.latency = 0.5

    stripe_sandbox.reset()

    assert stripe_sandbox.requests == [] and stripe_sandbox.counts() == {}
    assert stripe_sandbox.latency == 0
    assert customer_ids(stripe_client) == [ada.id]  # no fault left, no latency to wait for
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}


def test_reset_with_state_forgets_every_object_and_idempotent_answer(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    ada = stripe_client.v1.customers.create({"email": "ada@example.com"}, {"idempotency_key": "k"})
    stripe_sandbox.reset(state=True)

    assert customer_ids(stripe_client) == []
    with pytest.raises(stripe.InvalidRequestError) as raised:
        stripe_client.v1.customers.retrieve(ada.id)
    assert raised.value.http_status == 404
    again = stripe_client.v1.customers.create(
        {"email": "ada@example.com"}, {"idempotency_key": "k"}
    )
    assert again.id != ada.id


# -- the same controls over HTTP -----------------------------------------------------------


def control(
    sandbox: Sandbox, method: str, name: str, body: Any = None, *, key: str | None = ""
) -> requests.Response:
    """Call `/_sandbox/<name>`; `key` "" means the sandbox's secret key, None means none."""
    headers = {} if key is None else {"Authorization": f"Bearer {key or sandbox.secret_key}"}
    return requests.request(
        method, f"{sandbox.url}/_sandbox/{name}", json=body, headers=headers, timeout=5
    )


def test_http_controls_set_latency_add_faults_count_and_reset(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    answer = control(stripe_sandbox, "POST", "latency", {"seconds": 0.05})
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert stripe_sandbox.latency == 0.05

    answer = control(
        stripe_sandbox, "POST", "faults", {"pattern": "POST /v1/customers", "kind": "429"}
    )
    assert answer.status_code == 200
    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.customers.create({"email": "ada@example.com"})
    stripe_client.v1.customers.create({"email": "ada@example.com"})

    answer = control(stripe_sandbox, "GET", "counts")
    assert (answer.status_code, answer.json()) == (200, {"POST /v1/customers": 2})

    assert control(stripe_sandbox, "POST", "reset", {"state": True}).status_code == 200
    assert stripe_sandbox.latency == 0 and customer_ids(stripe_client) == []


@pytest.mark.parametrize(
    ("method", "name", "body"),
    [
        ("POST", "latency", {"seconds": 5}),
        ("POST", "faults", {"pattern": "GET /v1/customers", "kind": "500"}),
        ("GET", "counts", None),
        ("POST", "reset", {"state": True}),
    ],
)
@pytest.mark.parametrize("key", [None, "sk_test_notthesandboxkey1234"], ids=["no key", "wrong key"])
def test_http_controls_need_the_secret_key(
    stripe_sandbox: Sandbox,
    stripe_client: stripe.StripeClient,
    method: str,
    name: str,
    body: Any,
    key: str | None,
) -> None:
    ada = stripe_client.v1.customers.create({"email": "ada@example.com"})

    answer = control(stripe_sandbox, method, name, body, key=key)

    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "counts" not in answer.text and "POST /v1/customers" not in answer.text
    assert stripe_sandbox.latency == 0
    assert customer_ids(stripe_client) == [ada.id]  # no fault was added, nothing was reset


def test_http_controls_refuse_bad_input_with_400(stripe_sandbox: Sandbox) -> None:
    assert control(stripe_sandbox, "POST", "latency", {}).status_code == 400
    assert control(stripe_sandbox, "POST", "latency", {"seconds": -1}).status_code == 400
    bad_kind = {"pattern": "GET /v1/customers", "kind": "teapot"}
    assert control(stripe_sandbox, "POST", "faults", bad_kind).status_code == 400
    assert control(stripe_sandbox, "POST", "nonsense", {}).status_code == 404
    assert stripe_sandbox.latency == 0
