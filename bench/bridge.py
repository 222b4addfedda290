"""The webhook bridge's outbox and deliveries on this machine: how many events per second
the outbox keeps, how long an event waits from being kept to its first delivery attempt,
and how fast a burst is delivered, with 1 and 4 `billflow bridge worker` processes on
PostgreSQL and one on SQLite.

    python bench/bridge.py [--events 1000] [--paced 300]

An event is kept as the portal keeps it once an action is applied (`Outbox.add`, committed
before the page is answered); "first attempt" is its arrival at a receiver on loopback that
answers 200 at once. Paced events come 50 a second, as a busy site's would; the burst is
`--events` kept at once. PostgreSQL is a throwaway server started here (Debian's binaries,
as the tests start it). Figures depend on the machine; compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "bridge"))
from postgres import find_bin, running_postgres

from billflow_bridge import BridgeConfig, connect, migrate
from billflow_bridge.outbox import Outbox

BILLFLOW = str(Path(sys.executable).with_name("billflow"))
SIGNING = "whsec_" + base64.b64encode(b"bench-signing-secret-of-32-bytes").decode()


class Arrivals:
    """A receiver on loopback noting when each webhook-id first arrived."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Lock()
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                with arrivals.lock:
                    arrivals.first.setdefault(self.headers["webhook-id"], now)
                    arrivals.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def wait(self, count: int, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.first) < count and time.monotonic() < deadline:
            time.sleep(0.01)


@contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[None]:
    started = [
        subprocess.Popen([BILLFLOW, "bridge", "worker"], env={**os.environ, **env},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(count)
    ]  # fmt: skip
    time.sleep(1.5)  # each has imported, connected and made its first look
    try:
        yield
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(10)


def run_case(label: str, database: str, worker_count: int, events: int, paced: int) -> None:
    receiver = Arrivals()
    env = {
        "BILLFLOW_BRIDGE_DATABASE_URL": database,
        "BILLFLOW_BRIDGE_TARGETS": receiver.url,
        "BILLFLOW_BRIDGE_SIGNING_SECRET": SIGNING,
        "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "127.0.0.0/8",
    }
    config = BridgeConfig.from_mapping(env)
    engine = connect(database)
    migrate(engine)
    outbox = Outbox(engine, config.targets)

    # Keeping: the outbox alone, no worker running.
    started = time.perf_counter()
    for number in range(events):
        outbox.add(f"evt_keep_{number:05}", "cancel", {"type": "cancel", "data": {"n": number}})
    kept_per_second = events / (time.perf_counter() - started)

    with workers(worker_count, env):
        receiver.wait(events)  # the backlog just kept
        # Paced: 50 events a second, each timed from being kept to its first attempt.
        kept_at: dict[str, float] = {}
        for number in range(paced):
            event_id = f"evt_paced_{number:05}"
            kept_at[event_id] = time.time()
            outbox.add(event_id, "cancel", {"type": "cancel", "data": {"n": number}})
            time.sleep(0.02)
        receiver.wait(events + paced)
        # Burst: `events` kept at once, timed until the last has arrived.
        burst_start = time.time()
        for number in range(events):
            outbox.add(f"evt_burst_{number:05}", "cancel", {"type": "cancel", "data": {}})
        receiver.wait(2 * events + paced)
        burst_end = max(receiver.first[f"evt_burst_{n:05}"] for n in range(events)
                        if f"evt_burst_{n:05}" in receiver.first)  # fmt: skip

    waits = [receiver.first[i] - kept_at[i] for i in kept_at if i in receiver.first]
    missing = 2 * events + paced - len(receiver.first)
    duplicates = receiver.count - len(receiver.first)
    cut = statistics.quantiles(waits, n=100)
    print(
        f"{label:<22} keep {kept_per_second:7.0f} ev/s   first attempt median "
        f"{statistics.median(waits) * 1000:6.0f} ms  p99 {cut[98] * 1000:6.0f} ms   burst "
        f"{events / (burst_end - burst_start):6.0f} ev/s   missing {missing}   "
        f"sent twice {duplicates}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000, help="events kept, and in the burst")
    parser.add_argument("--paced", type=int, default=300, help="events sent 50 a second")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="billflow-bench-"))
    try:
        run_case("SQLite, 1 worker", f"sqlite:///{folder / 'bridge.sqlite3'}", 1,
                 args.events, args.paced)  # fmt: skip
        bin_dir = find_bin()
        if bin_dir is None:
            print("PostgreSQL is not installed: scripts/test installs it")
            return
        with running_postgres(bin_dir) as server:
            for count in (1, 4):
                run_case(f"PostgreSQL, {count} worker{'s' if count > 1 else ''}",
                         server.database(), count, args.events, args.paced)  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
