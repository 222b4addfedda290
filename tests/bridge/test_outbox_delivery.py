"""Portal events through the outbox to real receivers: kept before the page is answered,
signed at each attempt (checked with the `standardwebhooks` package), retried on the
schedule, stopped by a 410, never lost and never sent twice by the outbox."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from bridge_support import SECRET, SIGNING_SECRET, Clock, database_for
from flask.testing import FlaskClient
from receivers import Answer, Receiver
from sqlalchemy import func, select
from standardwebhooks.webhooks import WebhookVerificationError

from billflow_bridge._state import BridgeState
from billflow_bridge.delivery import Deliverer
from billflow_bridge.schema import deliveries, events
from billflow_core import user_hash
from billflow_sandbox.seed import DEMO_EMAIL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Each test here runs on both engines the bridge supports."""
    return database_for(request.param, tmp_path, request)


def act(client: FlaskClient, action: str, payload: dict[str, Any], key: str) -> Any:
    return client.post(
        f"/billflow/api/actions/{action}",
        json=payload,
        headers={
            "X-Billflow-Identity": DEMO_EMAIL,
            "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
            "Idempotency-Key": key,
        },
    )


def count(state: BridgeState, table: Any) -> int:
    with state.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_action_is_kept_before_the_answer_and_delivered_signed(
    verify: Any,
    client: FlaskClient,
    state: BridgeState,
    receiver: Receiver,
    plan_change: dict[str, str],
) -> None:

    answer = act(client, "change_plan", plan_change, "intent-0001")

    assert answer.status_code == 200, answer.get_json()
    assert count(state, events) == 1 and count(state, deliveries) == 1
    assert receiver.received == []  # kept, not yet sent: the worker sends it

    assert state.deliverer.run_once() == 1
    [delivery] = receiver.received
    payload = verify(delivery)
    assert payload["type"] == "change_plan"
    assert payload["data"]["subscription_id"] == plan_change["subscription"]
    assert payload["data"]["price_id"] == plan_change["price"]
    assert payload["data"]["customer_email"] == DEMO_EMAIL
    assert "metadata" not in json.dumps(payload)
    assert delivery.headers["webhook-id"].startswith("evt_")
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["user-agent"].startswith("Billflow-Bridge/")
    assert state.deliverer.run_once() == 0  # delivered: nothing due


def test_a_retried_action_is_kept_once(
    client: FlaskClient, state: BridgeState, receiver: Receiver, plan_change: dict[str, str]
) -> None:
    payload = plan_change

    first = act(client, "change_plan", payload, "intent-0002")
    again = act(client, "change_plan", payload, "intent-0002")

    assert first.get_json() == again.get_json()
    assert count(state, events) == 1
    state.deliverer.run_once()
    assert len(receiver.received) == 1


def test_a_failed_attempt_is_retried_on_the_schedule_with_a_fresh_signature(
    verify: Any, client: FlaskClient, state: BridgeState, receiver: Receiver, clock: Clock,
    plan_change: dict[str, str],
) -> None:  # fmt: skip
    receiver.answer(Answer(500, body=b"boom"), Answer(503, {"Retry-After": "120"}))
    act(client, "change_plan", plan_change, "intent-0003")

    assert state.deliverer.run_once() == 1  # 500
    verify(receiver.received[0])
    clock.advance(4)
    assert state.deliverer.run_once() == 0  # the first retry is 5 s later
    clock.advance(1)
    assert state.deliverer.run_once() == 1  # 503: the schedule's 300 s beat Retry-After's 120
    verify(receiver.received[1])
    clock.advance(299)
    assert state.deliverer.run_once() == 0
    clock.advance(1)
    assert state.deliverer.run_once() == 1  # 200
    verify(receiver.received[2])

    first, second, third = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert second.headers["webhook-id"] == third.headers["webhook-id"]
    stamps = [int(r.headers["webhook-timestamp"]) for r in (first, second, third)]
    assert stamps == [clock.now - 305, clock.now - 300, clock.now]
    assert first.body == third.body
    with pytest.raises(WebhookVerificationError):
        verify(first)  # a signature kept from the first attempt would be refused by now
    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 3, 200)


def test_retry_after_longer_than_the_schedule_is_honoured(
    client: FlaskClient, state: BridgeState, receiver: Receiver, clock: Clock,
    plan_change: dict[str, str],
) -> None:  # fmt: skip
    receiver.answer(Answer(429, {"Retry-After": "60"}))
    act(client, "change_plan", plan_change, "intent-0004")

    state.deliverer.run_once()
    clock.advance(59)
    assert state.deliverer.run_once() == 0
    clock.advance(1)
    assert state.deliverer.run_once() == 1


def test_after_the_last_retry_a_delivery_has_failed_and_the_admin_can_retry_it(
    make_bridge: Any, receiver: Receiver, clock: Clock, plan_change: dict[str, str]
) -> None:
    app, state = make_bridge(BILLFLOW_BRIDGE_RETRY_DELAYS="1,1")
    client = app.test_client()
    receiver.answer(*[Answer(500)] * 3)
    act(client, "change_plan", plan_change, "intent-0005")

    for _ in range(3):
        assert state.deliverer.run_once() == 1
        clock.advance(1)
    assert state.deliverer.run_once() == 0
    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 500)

    assert state.deliverer.retry_now(row.id)
    assert state.deliverer.run_once() == 1
    assert len(receiver.received) == 4


def test_a_410_switches_the_target_off_until_the_admin_switches_it_on(verify: Any,
    client: FlaskClient, state: BridgeState, receiver: Receiver, clock: Clock,
    plan_change: dict[str, str],
) -> None:  # fmt: skip
    receiver.answer(Answer(410, body=b"gone"))
    act(client, "change_plan", plan_change, "intent-0006")
    act(
        client,
        "cancel",
        {"subscription": plan_change["subscription"], "reason": "unused"},
        "intent-0007",
    )

    assert state.deliverer.run_once() == 1  # the 410; the cancel waits with it
    clock.advance(86400)
    assert state.deliverer.run_once() == 0  # switched off: nothing is sent
    assert len(receiver.received) == 1

    state.deliverer.switch_on(receiver.url)
    assert state.deliverer.run_once() == 2
    assert [verify(r)["type"] for r in receiver.received[1:]] == ["change_plan", "cancel"]


def test_a_target_failing_for_days_is_switched_off_and_says_why(
    make_bridge: Any, receiver: Receiver, clock: Clock, plan_change: dict[str, str]
) -> None:
    app, state = make_bridge(
        BILLFLOW_BRIDGE_RETRY_DELAYS="3600," * 30 + "3600", BILLFLOW_BRIDGE_DISABLE_AFTER_DAYS="1"
    )
    receiver.answer(*[Answer(502)] * 40)
    act(app.test_client(), "change_plan", plan_change, "intent-08")

    sent = 0
    while state.deliverer.run_once():
        sent += 1
        clock.advance(3600)
    assert sent == 25  # the first failure, then 24 hourly ones: failing for a day

    page = app.test_client().get(
        "/v1/deliveries", headers={"Authorization": f"Bearer {state.config.admin_key}"}
    )
    [row] = page.get_json()["data"]
    assert row["status"] == "pending"
    assert row["target_state"]["disabled_reason"].startswith("failing since ")
    assert "(1 days)" in row["target_state"]["disabled_reason"]


def test_a_redirect_is_not_followed(
    client: FlaskClient, state: BridgeState, receiver: Receiver, plan_change: dict[str, str]
) -> None:
    receiver.answer(Answer(302, {"Location": "http://169.254.169.254/latest/meta-data"}))
    act(client, "change_plan", plan_change, "intent-0009")

    state.deliverer.run_once()

    assert len(receiver.received) == 1
    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert row.status == "pending" and row.last_status_code == 302
    assert "not followed" in row.last_error


def test_a_target_that_does_not_answer_in_time_is_retried(
    make_bridge: Any, receiver: Receiver, plan_change: dict[str, str]
) -> None:
    app, state = make_bridge(BILLFLOW_BRIDGE_TIMEOUT="0.2")
    receiver.answer(Answer(200, delay=1.0))
    act(app.test_client(), "change_plan", plan_change, "intent-10")

    state.deliverer.run_once()

    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert row.status == "pending" and row.attempts == 1
    assert row.last_status_code is None and "Timeout" in row.last_error


def test_targets_get_their_events_their_headers_and_their_own_secrets(
    verify: Any, make_bridge: Any, receiver: Receiver, plan_change: dict[str, str]
) -> None:
    own = "whsec_" + "b3duLXNlY3JldC1mb3ItdGhpcy10YXJnZXQtb25seQ=="
    rotated = f"{own} {SIGNING_SECRET}"
    cancels = receiver.url + "?only=cancel"
    app, state = make_bridge(
        BILLFLOW_BRIDGE_TARGETS=[
            {"url": receiver.url, "signing_secret": rotated, "headers": {"X-Shared": "s3cr3t"}},
            {"url": cancels, "events": ["cancel"]},
        ]
    )
    client = app.test_client()
    act(client, "change_plan", plan_change, "intent-0011")
    act(
        client,
        "cancel",
        {"subscription": plan_change["subscription"], "reason": "unused"},
        "intent-0012",
    )

    assert state.deliverer.run_once() == 3

    to_all = [r for r in receiver.received if r.path == "/hooks/billflow"]
    to_cancels = [r for r in receiver.received if r.path.endswith("?only=cancel")]
    assert [verify(r, own)["type"] for r in to_all] == ["change_plan", "cancel"]
    assert [verify(r, SIGNING_SECRET)["type"] for r in to_all] == ["change_plan", "cancel"]
    assert all(r.headers["x-shared"] == "s3cr3t" for r in to_all)
    assert len(to_all[0].headers["webhook-signature"].split(" ")) == 2
    assert [verify(r)["type"] for r in to_cancels] == ["cancel"]
    assert "x-shared" not in to_cancels[0].headers


def test_old_events_are_purged_with_their_deliveries(
    client: FlaskClient, state: BridgeState, clock: Clock, plan_change: dict[str, str]
) -> None:
    act(client, "change_plan", plan_change, "intent-0013")
    clock.advance(29 * 86400)
    assert state.deliverer.purge() == 0
    act(
        client,
        "cancel",
        {"subscription": plan_change["subscription"], "reason": "unused"},
        "intent-0014",
    )
    clock.advance(1 * 86400 + 1)

    assert state.deliverer.purge() == 1
    assert count(state, events) == 1 and count(state, deliveries) == 1


def test_a_claim_whose_worker_died_is_due_again_when_its_lease_ends(
    state: BridgeState, receiver: Receiver, clock: Clock
) -> None:
    state.outbox.add("evt_orphan", "cancel", {"type": "cancel", "data": {}})

    claimed = state.deliverer.claim()  # ...and the worker is killed before it sends
    assert claimed is not None and claimed.event_id == "evt_orphan"
    assert state.deliverer.run_once() == 0  # held by the claim
    clock.advance(state.deliverer.lease)

    assert state.deliverer.run_once() == 1
    assert [r.headers["webhook-id"] for r in receiver.received] == ["evt_orphan"]


def test_two_workers_on_one_database_send_each_event_once(
    state: BridgeState, receiver: Receiver
) -> None:
    for number in range(60):
        state.outbox.add(f"evt_shared_{number:02}", "cancel", {"type": "cancel", "data": {}})
    other = Deliverer(state.engine, state.config, clock=state.clock)
    start = threading.Barrier(2)

    def work(deliverer: Deliverer) -> None:
        start.wait()
        while deliverer.run_once():
            pass

    threads = [threading.Thread(target=work, args=(d,)) for d in (state.deliverer, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sorted(ids) == [f"evt_shared_{number:02}" for number in range(60)]


def test_a_garbled_answer_is_a_failed_attempt_on_the_schedule_not_a_resend_loop(
    state: BridgeState, receiver: Receiver, clock: Clock
) -> None:
    receiver.answer(
        Answer(503, {"Retry-After": "²"}, b"busy"),  # a digit Python reads, no number
        Answer(502, {"Content-Encoding": "gzip"}, b"not gzip at all"),
    )
    state.outbox.add("evt_garbled", "cancel", {"type": "cancel", "data": {}})

    assert state.deliverer.run_once() == 1
    clock.advance(5)
    assert state.deliverer.run_once() == 1
    clock.advance(299)
    assert state.deliverer.run_once() == 0  # waiting its 300 s, not sent again and again

    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 2, 502)
    assert len(receiver.received) == 2


def test_a_worker_whose_claim_lapsed_writes_nothing_over_the_next_one(
    state: BridgeState, receiver: Receiver, clock: Clock
) -> None:
    state.outbox.add("evt_slow", "cancel", {"type": "cancel", "data": {}})
    slow = state.deliverer.claim()
    assert slow is not None
    clock.advance(state.deliverer.lease)  # the first worker is still waiting on the target
    other = Deliverer(state.engine, state.config, clock=state.clock)
    assert other.run_once() == 1  # it takes the row over and delivers it

    state.deliverer.record(slow, state.deliverer.send(slow))  # the first one finally ends

    with state.engine.connect() as connection:
        row = connection.execute(select(deliveries)).one()
    assert (row.status, row.attempts) == ("delivered", 1)
