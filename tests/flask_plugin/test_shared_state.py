"""A Flask site on several app servers agrees through Redis (`BILLFLOW_REDIS_URL`): a used
sign-in link is refused on another server, a retried action gets the first answer there and
Stripe sees one write, rate limits count every server's requests, a Stripe webhook to one
server refreshes the other's plans, a customer's id found by one saves the other a request,
and two clicks on two servers are one change; the stores' own promises hold under threads;
and a site served by several processes without Redis is told so."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

import pytest
import redis
from cache_contract import check_shared_cache
from flask import Flask
from single_use import assert_one_sign_in_per_link

from billflow_core import user_hash
from billflow_flask import BillflowConfigError
from billflow_flask.redis_stores import RedisAnswers, RedisCache, RedisSignInStore, redis_client
from billflow_sandbox import Sandbox, sign
from billflow_sandbox.seed import DEMO_EMAIL
from flask_site import SECRET, session_app

WEBHOOK_SECRET = "whsec_" + "r" * 32
HEADERS = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL)}
SIGN_IN = {"email_sign_in": True, "company_name": "Acme",
           "sign_in_from_address": "billing@acme.example",
           "sign_in_redirect_url": "http://localhost/account"}  # fmt: skip


def two_servers(stripe_sandbox: Sandbox, redis_url: str, **options: Any) -> list[Flask]:
    """Two apps as two app servers would run them: each its own portal, one Redis."""
    return [session_app(stripe_sandbox, redis_url=redis_url, **options)[0] for _ in range(2)]


# -- several servers -----------------------------------------------------------------------
def test_a_retry_on_another_server_gets_the_first_answer_and_stripe_one_write(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str
) -> None:
    first, second = two_servers(stripe_sandbox, redis_url)
    change = {"subscription": sandbox["subscriptions"][0],
              "price": sandbox["prices"]["business_monthly"]}  # fmt: skip
    headers = {"X-Billflow-Identity": DEMO_EMAIL, "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
               "Idempotency-Key": "intent-redis-1"}  # fmt: skip
    url = "/billflow/api/actions/change_plan"

    answered = first.test_client().post(url, json=change, headers=headers)
    writes = len(stripe_sandbox.writes())
    again = second.test_client().post(url, json=change, headers=headers)

    assert answered.status_code == again.status_code == 200
    assert again.get_json() == answered.get_json()
    assert len(stripe_sandbox.writes()) == writes  # answered from Redis: no second write


def test_a_sign_in_link_used_on_one_server_is_refused_on_the_other(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str
) -> None:
    first, second = two_servers(stripe_sandbox, redis_url, **SIGN_IN)
    sent: list[Any] = []
    for app in (first, second):
        app.extensions["billflow"].extension.mail_sender(sent.append)
    assert first.test_client().post("/billflow/api/login-link",
                                    json={"email": DEMO_EMAIL}).status_code == 202  # fmt: skip
    first.extensions["billflow"].portal.sign_in.wait()
    found = re.search(r"billflow_token=([^\s&\"<]+)", sent[0].get_body(("plain",)).get_content())
    assert found
    token = found.group(1)

    used = first.test_client().post("/billflow/api/session", json={"token": token})
    assert used.status_code == 200 and used.get_json()["email"] == DEMO_EMAIL, used.get_json()
    again = second.test_client().post("/billflow/api/session", json={"token": token})
    assert again.status_code == 403
    assert again.get_json()["error"]["code"] == "link_used"


def test_the_sign_in_rate_limit_counts_both_servers(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str
) -> None:
    servers = two_servers(stripe_sandbox, redis_url, **SIGN_IN, sign_in_per_email_per_hour=4)
    for app in servers:
        app.extensions["billflow"].extension.mail_sender(lambda message: None)
    answers = [servers[n % 2].test_client().post("/billflow/api/login-link",
                                                 json={"email": DEMO_EMAIL}).status_code
               for n in range(5)]  # fmt: skip
    # Two links asked on each server, then the fifth refused: the limit of four is shared.
    assert answers == [202, 202, 202, 202, 429]


def test_a_price_webhook_to_one_server_changes_the_plans_the_other_shows(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str
) -> None:
    first, second = two_servers(stripe_sandbox, redis_url, stripe_webhook_secret=WEBHOOK_SECRET)
    business = sandbox["prices"]["business_monthly"]

    def shown_amount() -> int:
        plans = second.test_client().get("/billflow/api/portal", headers=HEADERS).get_json()
        [plan] = [p for p in plans["productData"] if p["price_id"] == business]
        return int(plan["amount"])

    before = shown_amount()
    changed = stripe_sandbox.client().v1.prices.create(
        {"product": sandbox["products"]["business"], "currency": "usd", "unit_amount": before + 500,
         "recurring": {"interval": "month"}, "metadata": {}}
    )  # fmt: skip
    stripe_sandbox.client().v1.prices.update(business, {"active": False})
    assert shown_amount() == before  # the other server's catalog is cached

    event = {"id": "evt_price_1", "object": "event", "type": "price.updated",
             "data": {"object": {"id": business, "object": "price"}}}  # fmt: skip
    body = json.dumps(event).encode()
    delivered = first.test_client().post(
        "/billflow/stripe/webhook", data=body, content_type="application/json",
        headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET, int(time.time()))},
    )  # fmt: skip
    assert delivered.status_code == 200, delivered.get_json()
    plans = second.test_client().get("/billflow/api/portal", headers=HEADERS).get_json()
    prices = {p["price_id"] for p in plans["productData"]}
    assert business not in prices and changed.id in prices


def test_a_customer_found_by_one_server_is_one_request_on_the_other(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str
) -> None:
    first, second = two_servers(stripe_sandbox, redis_url)
    for app in (first, second):
        app.extensions["billflow"].portal.catalog.get()
    assert first.test_client().get("/billflow/api/portal", headers=HEADERS).status_code == 200
    stripe_sandbox.reset()
    assert second.test_client().get("/billflow/api/portal", headers=HEADERS).status_code == 200
    assert stripe_sandbox.counts() == {"GET /v1/subscriptions": 1}
    stripe_sandbox.reset()
    assert second.test_client().get("/billflow/api/invoices", headers=HEADERS).status_code == 200
    assert stripe_sandbox.counts() == {"GET /v1/invoices": 1}


@pytest.mark.parametrize("same_key", [True, False], ids=["one key", "a key per click"])
def test_twenty_clicks_on_two_servers_are_one_change(
    sandbox: dict[str, Any], stripe_sandbox: Sandbox, redis_url: str, same_key: bool
) -> None:
    """Twenty requests at once for one intent, spread over two servers: a page retrying with
    its one key, or double clicks in two tabs with a key each. Stripe sees one change."""
    servers = two_servers(stripe_sandbox, redis_url)
    team = sandbox["subscriptions"][0]
    start = threading.Barrier(20)
    answers: list[tuple[int, str]] = []
    bodies: list[Any] = []

    def click(n: int) -> None:
        client = servers[n % 2].test_client()
        key = "one-intent-20" if same_key else f"click-{n}-of-20"
        start.wait()
        answer = client.post("/billflow/api/actions/cancel",
                             json={"subscription": team, "reason": "unused"},
                             headers={**HEADERS, "Idempotency-Key": key})  # fmt: skip
        body = answer.get_json()
        answers.append((answer.status_code, (body.get("error") or {}).get("code", "")))
        if answer.status_code == 200:
            bodies.append(body)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if same_key:  # every one of them answered with the first answer
        assert answers == [(200, "")] * 20 and all(b == bodies[0] for b in bodies)
    else:  # one made the change; every other saw it made
        assert sorted(answers) == [(200, "")] + [(409, "already_canceling")] * 19
    assert stripe_sandbox.counts()["POST /v1/subscriptions/{id}"] == 1


# -- the stores' promises ------------------------------------------------------------------
def test_the_redis_cache_keeps_the_shared_cache_contract(redis_url: str) -> None:
    def outlive(cache: Any, key: str) -> None:
        _until(lambda: cache.get(key) is None)  # Redis's clock, not ours, decides

    check_shared_cache([RedisCache(redis_client(redis_url)) for _ in range(8)], ttl=0.3,
                       outlive=outlive)  # fmt: skip


def test_a_link_opened_twice_at_once_signs_in_once_on_redis(redis_url: str) -> None:
    """With the check-then-mark interleaving forced (tests/support/single_use.py)."""
    assert_one_sign_in_per_link(RedisSignInStore(redis_client(redis_url)), now=time.time())


def test_a_mark_is_set_once_across_threads_and_expires(redis_url: str) -> None:
    stores = [RedisSignInStore(redis_client(redis_url)) for _ in range(8)]
    start = threading.Barrier(len(stores))
    won: list[bool] = []

    def add(store: RedisSignInStore) -> None:
        start.wait()
        won.append(store.add("billflow:used:nonce-1", 0.2))

    threads = [threading.Thread(target=add, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(won) == [False] * 7 + [True]
    assert stores[0].has("billflow:used:nonce-1")
    _until(lambda: not stores[0].has("billflow:used:nonce-1"))
    assert stores[0].add("billflow:used:nonce-1", 30)  # expired: may be set again


def test_counts_add_up_across_threads_and_always_expire(redis_url: str) -> None:
    stores = [RedisSignInStore(redis_client(redis_url)) for _ in range(6)]
    start = threading.Barrier(len(stores))
    seen: list[int] = []
    lock = threading.Lock()

    def count(store: RedisSignInStore) -> None:
        start.wait()
        for _ in range(10):
            value = store.incr("billflow:rate:ada", 0.3)
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=count, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(seen) == list(range(1, 61))  # each increment saw its own count
    assert stores[0].count("billflow:rate:ada") == 60
    raw = redis.Redis.from_url(redis_url)
    assert 0 < raw.pttl("billflow:rate:ada") <= 300  # set by the first count, in one step
    _until(lambda: stores[0].count("billflow:rate:ada") == 0)
    assert stores[0].incr("billflow:rate:ada", 60) == 1


def test_an_answer_not_signed_with_the_sites_key_is_never_unpickled(redis_url: str) -> None:
    client = redis_client(redis_url)
    ours = RedisAnswers(client, SECRET)
    ours.put("k1", ("request", {"answer": 1}))
    assert ours.get("k1") == ("request", {"answer": 1})
    assert RedisAnswers(client, "another-site-secret-0123456789").get("k1") is None

    class Exploding:
        def __reduce__(self) -> Any:
            return (pytest.fail, ("a forged answer was unpickled",))

    import pickle

    client.set("billflow:answer:k2", b"\0" * 32 + pickle.dumps(Exploding()))
    assert ours.get("k2") is None
    assert ours.get("never") is None


# -- setting it up ---------------------------------------------------------------------------
def test_a_redis_url_that_is_not_one_is_refused_at_start_up(stripe_sandbox: Sandbox) -> None:
    with pytest.raises(BillflowConfigError, match="BILLFLOW_REDIS_URL") as refused:
        session_app(stripe_sandbox, redis_url="localhost:6379")
    assert refused.value.param == "BILLFLOW_REDIS_URL"


def test_several_processes_without_redis_are_warned_once(
    stripe_sandbox: Sandbox, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    alone, _ = session_app(stripe_sandbox)
    shared, _ = session_app(stripe_sandbox, redis_url=redis_url)
    many = {"wsgi.multiprocess": True}
    with caplog.at_level(logging.WARNING, logger="billflow_flask.extension"):
        alone.test_client().get("/account", environ_overrides={"wsgi.multiprocess": False})
        assert caplog.records == []
        for _ in range(3):
            alone.test_client().get("/account", environ_overrides=many)
            shared.test_client().get("/account", environ_overrides=many)
    [warning] = caplog.records
    assert "set BILLFLOW_REDIS_URL" in warning.getMessage()


def _until(done: Any, seconds: float = 5.0) -> None:
    """Wait for Redis to expire a key (its clock, not ours, decides)."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("the key did not expire")
        time.sleep(0.02)
