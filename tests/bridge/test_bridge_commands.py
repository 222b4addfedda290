"""`billflow bridge migrate | serve | worker | secret` as a user runs them: real processes,
gunicorn serving the portal, a worker killed with SIGKILL that delivers everything after a
restart, and migrations that make exactly the tables the code describes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from bridge_support import SECRET
from receivers import Answer, Receiver
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook
from throwaway_postgres import PostgresServer

from billflow_bridge import BridgeConfig, connect, migrate
from billflow_bridge.database import VERSION_TABLE, pending_migrations
from billflow_bridge.outbox import Outbox
from billflow_bridge.schema import deliveries, metadata
from billflow_core import user_hash
from billflow_sandbox.seed import DEMO_EMAIL

BILLFLOW = str(Path(sys.executable).with_name("billflow"))


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BILLFLOW, "bridge", *args], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def env(bridge_settings: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in bridge_settings.items()}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def start(
    processes: list[subprocess.Popen[str]], args: list[str], env: dict[str, str]
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [BILLFLOW, "bridge", *args], env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    processes.append(process)
    return process


def test_migrate_makes_the_tables_the_code_describes_and_readyz_says_when_they_lack(
    env: dict[str, str], bridge_settings: dict[str, Any]
) -> None:
    engine = connect(bridge_settings["BILLFLOW_BRIDGE_DATABASE_URL"])
    assert pending_migrations(engine) == ["0001", "0002", "0003", "0004", "0005"]

    done = run(["migrate"], env)

    assert done.returncode == 0, done.stderr
    assert "is current" in done.stdout
    assert pending_migrations(engine) == []
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != VERSION_TABLE] == []
    assert run(["migrate"], env).returncode == 0  # again: nothing to do


def test_serve_and_worker_refuse_a_database_without_its_tables(env: dict[str, str]) -> None:
    for command in (["serve", "--port", str(free_port())], ["worker"]):
        refused = run(command, env)
        assert refused.returncode == 2
        assert "run `billflow bridge migrate` first" in refused.stderr


def test_a_bad_setting_is_said_before_anything_starts(env: dict[str, str]) -> None:
    refused = run(["worker"], {**env, "BILLFLOW_BRIDGE_TARGETS": "gopher://old.example/"})

    assert refused.returncode == 2
    assert "BILLFLOW_BRIDGE_TARGETS" in refused.stderr


def test_secret_prints_keys_and_a_signing_secret_the_bridge_accepts() -> None:
    printed = run(["secret"], {}).stdout.split()
    values = dict(line.split("=", 1) for line in printed)

    names = {
        f"BILLFLOW_BRIDGE_{n}" for n in ("API_KEY", "HOOKS_KEY", "ADMIN_KEY", "SIGNING_SECRET")
    }
    assert set(values) == names
    config = BridgeConfig.from_mapping({**values, "BILLFLOW_BRIDGE_TARGETS": "https://a.example/"})
    assert config.api_key == values["BILLFLOW_BRIDGE_API_KEY"]
    Webhook(values["BILLFLOW_BRIDGE_SIGNING_SECRET"])  # a secret standardwebhooks takes


def test_serve_runs_the_portal_under_gunicorn_and_delivers_its_events(
    env: dict[str, str], receiver: Receiver, processes: list[subprocess.Popen[str]],
    plan_change: dict[str, str],
) -> None:  # fmt: skip
    assert run(["migrate"], env).returncode == 0
    port = free_port()
    start(processes, ["serve", "--port", str(port), "--workers", "2"], env)
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(f"{base}/readyz", processes[0])

    answer = requests.post(
        f"{base}/billflow/api/actions/change_plan",
        json=plan_change,
        headers={
            "X-Billflow-Identity": DEMO_EMAIL,
            "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
            "Idempotency-Key": "intent-served-1",
        },
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    [delivery] = receiver.wait_for(1)
    payload = Webhook(env["BILLFLOW_BRIDGE_SIGNING_SECRET"]).verify(delivery.body,
                                                                    delivery.headers)  # fmt: skip
    assert payload["type"] == "change_plan"
    time.sleep(0.5)  # two web processes, each with its delivery thread: still one delivery
    assert len(receiver.received) == 1


def test_a_worker_killed_mid_retry_delivers_every_event_after_a_restart(
    env: dict[str, str], bridge_settings: dict[str, Any], receiver: Receiver,
    processes: list[subprocess.Popen[str]],
) -> None:  # fmt: skip
    env = {**env, "BILLFLOW_BRIDGE_RETRY_DELAYS": "1,1,1", "BILLFLOW_BRIDGE_TIMEOUT": "1"}
    config = BridgeConfig.from_mapping(env)
    engine = connect(config.database_url)
    migrate(engine)
    outbox = Outbox(engine, config.targets)
    receiver.answer(Answer(500), Answer(500))  # the first two attempts fail
    for number in range(20):
        outbox.add(f"evt_killed_{number:02}", "cancel", {"type": "cancel", "data": {"n": number}})

    worker = start(processes, ["worker"], env)
    receiver.wait_for(5)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    again = start(processes, ["worker"], env)
    try:
        receiver.wait_for(22, timeout=30)  # a claim the kill left lapses first
    except AssertionError:
        again.kill()
        raise AssertionError(again.communicate()[0]) from None

    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {f"evt_killed_{number:02}" for number in range(20)}
    for delivery in receiver.received:
        Webhook(env["BILLFLOW_BRIDGE_SIGNING_SECRET"]).verify(delivery.body, delivery.headers)


def _wait_until_all_delivered(engine: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            waiting = connection.execute(
                select(func.count()).where(deliveries.c.status != "delivered")
            ).scalar_one()
        if waiting == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"{waiting} deliveries still waiting")


def _wait_until_up(url: str, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the bridge exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in {timeout} s")


def test_two_workers_on_postgresql_deliver_a_thousand_events_none_missing(
    env: dict[str, str], postgres: PostgresServer, receiver: Receiver,
    processes: list[subprocess.Popen[str]],
) -> None:  # fmt: skip
    env = {**env, "BILLFLOW_BRIDGE_DATABASE_URL": postgres.database()}
    assert run(["migrate"], env).returncode == 0
    config = BridgeConfig.from_mapping(env)
    outbox = Outbox(connect(config.database_url), config.targets)
    for number in range(1000):
        outbox.add(f"evt_many_{number:04}", "cancel", {"type": "cancel", "data": {"n": number}})

    for _ in range(2):
        start(processes, ["worker"], env)
    receiver.wait_for(1000, timeout=120)
    _wait_until_all_delivered(outbox.engine)  # a row is marked so once its answer came

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert set(ids) == {f"evt_many_{number:04}" for number in range(1000)}
    assert len(ids) == 1000  # and none twice: each row was claimed by one worker


def test_the_demo_prints_where_its_parts_are_and_stops_on_ctrl_c() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BILLFLOW_")}
    process = subprocess.Popen(
        [BILLFLOW, "bridge", "demo", "--port", "0"], env={**environment, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    printed = []
    try:
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Press Ctrl+C"):
                break
        text = "".join(printed)
        site = re.search(r"open (http://127\.0\.0\.1:\d+)/", text)
        bridge = re.search(r"the bridge\s+(http://127\.0\.0\.1:\d+)", text)
        assert site and bridge, text
        assert "Log in as ada@example.com" in requests.get(site[1] + "/", timeout=10).text
        assert requests.get(bridge[1] + "/readyz", timeout=10).json() == {"status": "ready"}
        admin = re.search(r"admin page\s+(http://\S+/admin/) \(admin key: (\S+)\)", text)
        assert admin, text
        browser = requests.Session()
        form = browser.get(admin[1], timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form
        page = browser.post(admin[1] + "sign-in", data={"csrf_token": token[1], "key": admin[2]},
                            timeout=10)  # fmt: skip
        assert "The site&#39;s automation" in page.text  # its one target, by name
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
