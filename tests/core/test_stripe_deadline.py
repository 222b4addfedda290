"""How long a page waits on Stripe: each attempt has its own timeout, a page request's
attempts share one deadline, a retry that could not finish in time is not begun, and
Stripe's 429 is retried after the `Retry-After` it names. Counted in attempts the sandbox
received, never in seconds measured here."""

from __future__ import annotations

import pytest

from billflow_core import Portal, user_hash
from billflow_core.errors import StripeUnavailable
from billflow_core.stripe.deadline import remaining, within
from billflow_core.stripe.gateway import StripeGateway
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "deadline-test-secret-0123456789"


def quick_gateway(sandbox: Sandbox, *, timeout: float = 8.0) -> StripeGateway:
    return StripeGateway(sandbox.secret_key, api_base=sandbox.url, timeout=timeout,
                         retry_delay=0.001)  # fmt: skip


def test_an_answer_slower_than_the_timeout_is_asked_again_with_the_same_key(
    stripe_sandbox: Sandbox,
) -> None:
    gateway = quick_gateway(stripe_sandbox, timeout=0.3)
    stripe_sandbox.fault("POST /v1/customers", "slow", seconds=1.0)
    made = gateway.create_customer("ada@example.com", key="slow-intent")
    attempts = [r for r in stripe_sandbox.requests if r.route == "POST /v1/customers"]
    assert len(attempts) == 2 and attempts[1].replayed  # Stripe made one customer
    assert [w.route for w in stripe_sandbox.writes()] == ["POST /v1/customers"]
    assert made.email == "ada@example.com"


def test_a_page_requests_attempts_end_at_its_deadline(stripe_sandbox: Sandbox) -> None:
    gateway = quick_gateway(stripe_sandbox)
    stripe_sandbox.fault("GET /v1/customers", "slow", times=5, seconds=2.0)
    with within(0.4), pytest.raises(StripeUnavailable) as late:
        gateway.customer_by_email("ada@example.com")
    # One attempt, cut at the deadline, and no retry begun after it: not 3 × 8 s.
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}
    assert late.value.code == "stripe_unavailable" and late.value.status == 503

    stripe_sandbox.reset()
    with within(0.0), pytest.raises(StripeUnavailable):
        gateway.customer_by_email("ada@example.com")
    assert stripe_sandbox.counts() == {}  # out of time: nothing is sent


def test_stripes_429_is_retried_after_its_retry_after_within_the_deadline(
    stripe_sandbox: Sandbox,
) -> None:
    gateway = quick_gateway(stripe_sandbox)
    stripe_sandbox.fault("GET /v1/customers", "429", seconds=0)
    assert gateway.customer_by_email("ada@example.com") is None
    assert stripe_sandbox.counts() == {"GET /v1/customers": 2}

    # Asked to wait longer than the page has left: it says so at once instead.
    stripe_sandbox.reset()
    stripe_sandbox.fault("GET /v1/customers", "429", seconds=30)
    with within(5.0), pytest.raises(StripeUnavailable) as busy:
        gateway.customer_by_email("ada@example.com")
    assert busy.value.retry_after == 30
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}


def test_deadlines_nest_to_the_earliest_and_end_with_their_block() -> None:
    assert remaining() is None
    with within(10.0):
        outer = remaining()
        assert outer is not None and 9.0 < outer <= 10.0
        with within(60.0):
            inner = remaining()
            assert inner is not None and inner <= outer
        with within(1.0):
            inner = remaining()
            assert inner is not None and inner <= 1.0
    assert remaining() is None


def test_a_portal_made_from_config_uses_its_timeout_and_deadline(stripe_sandbox: Sandbox) -> None:
    stripe_sandbox.seed("demo")
    config = {"BILLFLOW_SECRET_KEY": SECRET, "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
              "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url}  # fmt: skip
    visitor_of = lambda portal: portal.visitor(DEMO_EMAIL, user_hash(SECRET, DEMO_EMAIL))  # noqa: E731

    # Each attempt cut at its timeout: the slow answer is asked again, and the second is quick.
    quick = Portal.from_config({**config, "BILLFLOW_STRIPE_TIMEOUT": "0.2"})
    quick.catalog.get()
    stripe_sandbox.reset()
    stripe_sandbox.fault("GET /v1/customers", "slow", seconds=1.0)
    assert quick.state(visitor_of(quick)).customer_id is not None
    assert stripe_sandbox.counts()["GET /v1/customers"] == 2

    # The whole page request cut at its deadline: one attempt, then the page hears so.
    hurried = Portal.from_config({**config, "BILLFLOW_STRIPE_DEADLINE": "0.3"})
    hurried.catalog.get()
    stripe_sandbox.reset()
    stripe_sandbox.fault("GET /v1/customers", "slow", times=5, seconds=1.0)
    with pytest.raises(StripeUnavailable):
        hurried.state(visitor_of(hurried))
    assert stripe_sandbox.counts() == {"GET /v1/customers": 1}
