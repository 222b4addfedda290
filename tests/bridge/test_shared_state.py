"""Several bridge processes agree through the database: a retried action reaching another
process gets the first answer, two clicks on two processes are one change, marks and cache
entries are set once, and counts add up across processes. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from bridge_support import SECRET, database_for
from cache_contract import check_shared_cache
from sqlalchemy import func, select

from billflow_bridge import connect, migrate
from billflow_bridge.schema import events
from billflow_bridge.stores import DatabaseAnswers, DatabaseCache, DatabaseSignInStore
from billflow_core import user_hash
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return database_for(request.param, tmp_path, request)


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = connect(database_url)
    migrate(engine)
    return engine


def test_a_retry_on_another_process_gets_the_first_answer_and_stripe_one_write(
    make_bridge: Any, plan_change: dict[str, str], stripe_sandbox: Sandbox
) -> None:
    first, state = make_bridge()
    second, _ = make_bridge()  # another process: its own app, the same database
    headers = {
        "X-Billflow-Identity": DEMO_EMAIL,
        "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
        "Idempotency-Key": "intent-shared-1",
    }
    url = "/billflow/api/actions/change_plan"

    answered = first.test_client().post(url, json=plan_change, headers=headers)
    writes = len(stripe_sandbox.writes())
    again = second.test_client().post(url, json=plan_change, headers=headers)

    assert answered.status_code == again.status_code == 200
    assert again.get_json() == answered.get_json()
    assert len(stripe_sandbox.writes()) == writes  # answered from the database: no write
    with state.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(events)).scalar_one() == 1


def test_answers_expire_after_their_day(engine: Any) -> None:
    now = [1000.0]
    store = DatabaseAnswers(engine, ttl=60, clock=lambda: now[0])
    store.put("k1", {"answer": 1})
    store.put("k1", {"answer": 2})  # a later put replaces

    assert store.get("k1") == {"answer": 2}
    now[0] += 60
    assert store.get("k1") is None
    assert store.get("never") is None


def test_a_mark_is_set_once_across_threads_and_expires(engine: Any) -> None:
    now = [1000.0]
    stores = [DatabaseSignInStore(engine, clock=lambda: now[0]) for _ in range(8)]
    start = threading.Barrier(len(stores))
    won: list[bool] = []

    def add(store: DatabaseSignInStore) -> None:
        start.wait()
        won.append(store.add("billflow:used:nonce-1", 30))

    threads = [threading.Thread(target=add, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(won) == [False] * 7 + [True]
    assert stores[0].has("billflow:used:nonce-1")
    now[0] += 30
    assert not stores[0].has("billflow:used:nonce-1")
    assert stores[0].add("billflow:used:nonce-1", 30)  # expired: may be set again


def test_counts_add_up_across_threads_and_restart_after_their_time(engine: Any) -> None:
    now = [1000.0]
    stores = [DatabaseSignInStore(engine, clock=lambda: now[0]) for _ in range(6)]
    start = threading.Barrier(len(stores))
    seen: list[int] = []
    lock = threading.Lock()

    def count(store: DatabaseSignInStore) -> None:
        start.wait()
        for _ in range(10):
            value = store.incr("billflow:rate:ada", 60)
            with lock:
                seen.append(value)

    threads = [threading.Thread(target=count, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(seen) == list(range(1, 61))  # each increment saw its own count
    assert stores[0].count("billflow:rate:ada") == 60
    now[0] += 60
    assert stores[0].count("billflow:rate:ada") == 0
    assert stores[0].incr("billflow:rate:ada", 60) == 1


def test_the_database_cache_keeps_the_shared_cache_contract(engine: Any) -> None:
    now = [1000.0]

    def outlive(cache: Any, key: str) -> None:
        now[0] += 60

    check_shared_cache([DatabaseCache(engine, clock=lambda: now[0]) for _ in range(8)],
                       ttl=60, outlive=outlive)  # fmt: skip


def test_two_clicks_on_two_processes_are_one_change(
    make_bridge: Any, stripe_sandbox: Sandbox, demo: dict[str, Any]
) -> None:
    bridges = [make_bridge()[0], make_bridge()[0]]
    subscription = demo["subscriptions"][0]
    start = threading.Barrier(6)
    statuses: list[tuple[int, str]] = []

    def click(n: int) -> None:
        client = bridges[n % 2].test_client()
        start.wait()
        answer = client.post(
            "/billflow/api/actions/cancel",
            json={"subscription": subscription, "reason": "unused"},
            headers={"X-Billflow-Identity": DEMO_EMAIL,
                     "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
                     "Idempotency-Key": f"bridge-click-{n}"},
        )  # fmt: skip
        error = answer.get_json().get("error") or {}
        statuses.append((answer.status_code, error.get("code", "")))

    threads = [threading.Thread(target=click, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [(200, "")] + [(409, "already_canceling")] * 5
    assert stripe_sandbox.counts()["POST /v1/subscriptions/{id}"] == 1
