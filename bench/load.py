"""The example apps under load: page opens per second, their median and 99th-percentile time,
errors, memory per worker and CPU, for the Flask example app and the Wagtail example site each
served by real gunicorn processes (`-k gthread`) in front of the Stripe sandbox.

    python bench/load.py [--seconds 6] [--warmup 1] [--workers 2] [--threads 32]
                         [--latencies 0,150] [--concurrency 1,8,32,64] [--apps flask,wagtail]
                         [--no-redis] [--wagtail-redis] [--quick]

The defaults take under three minutes (16 cells of 1 s warm-up and 6 s measured, plus starting
each app: 164 s on a busy 2-core machine); `--quick` measures 2 s per cell (about 70 s).

A *page open* is what the browser does when a customer opens the portal page: the page script
sends GET /billflow/api/portal and GET /billflow/api/invoices at once, on two connections,
with the customer's identity headers (`X-Billflow-Identity`, `X-Billflow-Hash`, as a
hand-written page sends them); it ends when both answers have been read. Each of
`--concurrency` client threads is one customer's browser opening the page again and again for
`--seconds` (a closed loop: no think time), after `--warmup` seconds that fill the apps' caches
and connections and are not counted. The sandbox adds `--latencies` milliseconds to every
answer, standing in for Stripe's time.

How to read a row:
- `opens/s`: page opens that got two 200s, per second; `p50`/`p99`: their time, in ms.
- `errors`: opens with an answer other than 200 or an exception (kinds listed below a table).
- `Stripe/open`: requests the sandbox received per page open over the measured seconds (a
  warm open costs 2: the customer's subscriptions for /api/portal once the customer id is
  remembered, the invoices for /api/invoices).
- `I/O limit`: the opens/s the Stripe latency alone allows, concurrency ÷ (round trips ×
  latency), with 1 round trip per warm open (its two Stripe requests run at once, one in each
  API request); `ratio`: opens/s ÷ that limit (n/a at 0 ms). A ratio near 1 means the app only
  waits on Stripe; well below 1, the app's own time (CPU, here) is the limit.
- `app CPU/open`: the gunicorn workers' CPU time per page open, the figure other load on
  the machine changes least.
- `RSS MB/worker`: each gunicorn worker's resident memory after the cell (VmRSS, children of
  the gunicorn master), lowest and highest.
- `CPU`: cores used during the cell by the gunicorn workers (app), the sandbox (this
  process's CPU less the client threads'), the client threads, Redis where it runs, and
  every other process on the machine (its busy time in /proc/stat less ours). When they add
  up to the machine's cores, the machine is the limit: the app's share of it, divided by
  opens/s, is its CPU per page open.

The Flask app runs `create_app` with the sandbox's address (and, with several workers,
`BILLFLOW_REDIS_URL` on a redis-server the bench starts); the Wagtail site runs on its own
settings plus the sandbox's address and `DEBUG = False`, on a fresh SQLite database with its
demo's Billing page, its cache the example's LocMemCache (`--wagtail-redis`: Django's
RedisCache). Both apps and Redis are stopped at the end, on Ctrl+C or SIGTERM too; the last
line says whether any process was left running.

Figures depend on the machine and on what else runs on it (the load average is printed);
compare runs made on the same one.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import requests

from billflow_core import user_hash
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

ROOT = Path(__file__).resolve().parents[1]
FLASK_APP = ROOT / "examples" / "flask_app"
WAGTAIL_SITE = ROOT / "examples" / "wagtail_site"
PREFIX = "/billflow"  # both examples mount the API here
PAGE_ROUTES = ("/api/portal", "/api/invoices")
ROUND_TRIPS = 1  # Stripe round trips per warm page open: its two requests run at once
SECRET = "bench-load-secret-0123456789abcdef"
FLASK_PASSWORD = "demo"  # examples/flask_app/app.py's USERS
WAGTAIL_USER = ("ada", "ada-demo-password")  # shop/management/commands/demo.py's CUSTOMER
CLIENT_TIMEOUT = 60.0  # seconds a client waits for an answer
TICKS = os.sysconf("SC_CLK_TCK")

# examples/wagtail_site's own settings, pointed at the sandbox: the example reads the Stripe
# keys from the environment but not the API base (its `manage.py demo` sets that in-process).
WAGTAIL_SETTINGS = '''"""examples/wagtail_site's settings, pointed at bench/load.py's sandbox."""
import os

from example.settings import *  # noqa: F403

BILLFLOW_STRIPE_API_BASE = os.environ["BILLFLOW_STRIPE_API_BASE"]
BILLFLOW_STRIPE_JS_URL = os.environ["BILLFLOW_STRIPE_JS_URL"]
DEBUG = False  # as a site is served: no SQL log kept per request
LOGGING = {"version": 1, "disable_existing_loggers": False,  # a 500's traceback, to the log
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}}}
if os.environ.get("BENCH_REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["BENCH_REDIS_URL"]}}
'''

# The example's tables and its demo's accounts and Billing page (the portal block), made by
# the demo command's own steps.
WAGTAIL_SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from shop.management.commands.demo import Command
demo = Command()
demo._accounts()
demo._billing_page()
"""


# -- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def cpu_seconds(pid: int) -> float:
    """User and system CPU `pid` has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    """`pid`'s resident memory (VmRSS) in MB; 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_cpu() -> float:
    """CPU seconds every process on the machine has used (busy time in /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 20.0) -> None:
    """SIGTERM, then SIGKILL to its whole process group (it leads one) if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # anything of its group still there
    process.wait()


@contextmanager
def throwaway_redis(folder: Path) -> Iterator[tuple[str, int]]:
    """A redis-server of the bench's own on a free loopback port, keeping nothing on disk:
    its URL (no database number) and pid while it runs."""
    executable = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    log = folder / "redis.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(folder), "--protected-mode", "yes",
             "--loglevel", "warning"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_for_redis(port, process, log)
        yield f"redis://127.0.0.1:{port}", process.pid
    finally:
        stop_process(process, grace=10)


def _wait_for_redis(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server stopped: {log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return
        time.sleep(0.05)
    raise RuntimeError("redis-server did not answer within 10 s")


@dataclass
class Served:
    """An example app under gunicorn."""

    name: str
    url: str
    master: int
    command: str  # as printed
    log: Path
    notes: list[str] = field(default_factory=list)


@contextmanager
def gunicorn(
    app: str, *, chdir: Path, env: dict[str, str], workers: int, threads: int, log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes], list[str]]]:
    """`gunicorn -k gthread` serving `app` on a free loopback port, in a process group of
    its own (so Ctrl+C reaches the bench, which then stops it): its URL, process and the
    command's options as printed."""
    port = free_port()
    options = ["-k", "gthread", "--workers", str(workers), "--threads", str(threads)]
    command = [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}",
               "--chdir", str(chdir), "--no-control-socket", "--graceful-timeout", "5",
               "--log-level", "warning", app]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(process, url, workers, log)
        yield url, process, options
    finally:
        stop_process(process)


def _wait_until_serving(
    process: subprocess.Popen[bytes], url: str, workers: int, log: Path
) -> None:
    """Until every worker has booted and the app answers its script."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn stopped with status {process.returncode}:\n{said}")
        if len(children(process.pid)) >= workers:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}{PREFIX}/embed.js", timeout=10).status_code == 200:
                    return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not serve {url} within 120 s (see {log})")


def _environment(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    """This environment without Billflow's, Stripe's, Django's or Flask's settings, plus the
    secrets that point an example at the sandbox (the same in every worker)."""
    prefixes = ("BILLFLOW_", "STRIPE_", "DJANGO_", "FLASK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(
        PYTHONUNBUFFERED="1",
        BILLFLOW_SECRET_KEY=SECRET,
        BILLFLOW_STRIPE_API_KEY=sandbox.secret_key,
        BILLFLOW_STRIPE_PUBLISHABLE_KEY=sandbox.publishable_key,
        **extra,
    )
    return env


@contextmanager
def serve_flask(
    sandbox: Sandbox, args: argparse.Namespace, folder: Path, redis_url: str | None
) -> Iterator[Served]:
    """examples/flask_app/app.py's `create_app`, given the sandbox's address (and Redis's)
    as its `config` argument: the example reads only the keys from the environment."""
    config = {
        "BILLFLOW_STRIPE_API_BASE": sandbox.url,
        "BILLFLOW_STRIPE_JS_URL": f"{sandbox.url}/v3/",
    }
    if redis_url:
        config["BILLFLOW_REDIS_URL"] = f"{redis_url}/0"
    env = _environment(sandbox, FLASK_SECRET_KEY=SECRET + "-flask")
    log = folder / "flask-gunicorn.log"
    app = f"app:create_app({config!r})"
    with gunicorn(
        app, chdir=FLASK_APP, env=env, workers=args.workers, threads=args.threads, log=log
    ) as (url, process, options):
        check_flask_page(url)
        shown = app.replace(sandbox.url, "<sandbox>").replace(redis_url or "\0", "<redis>")
        served = Served(
            "Flask example app (examples/flask_app/app.py)",
            url, process.pid, f"gunicorn {' '.join(options)} --chdir examples/flask_app "
            f'"{shown}"', log,
        )  # fmt: skip
        served.notes.append(
            "shared state: Redis (BILLFLOW_REDIS_URL)"
            if redis_url
            else "shared state: none (each worker's memory; no BILLFLOW_REDIS_URL)"
        )
        yield served


@contextmanager
def serve_wagtail(
    sandbox: Sandbox, args: argparse.Namespace, folder: Path, redis_url: str | None
) -> Iterator[Served]:
    """examples/wagtail_site on SQLite, migrated, with its demo's Billing page, under its
    own settings plus the sandbox's address (a settings module written in `folder`)."""
    site = folder / "wagtail"
    site.mkdir()
    (site / "bench_load_settings.py").write_text(WAGTAIL_SETTINGS)
    env = _environment(
        sandbox,
        DJANGO_SETTINGS_MODULE="bench_load_settings",
        PYTHONPATH=os.pathsep.join([str(site), str(WAGTAIL_SITE)]),
        EXAMPLE_DATABASE=str(site / "db.sqlite3"),
        BILLFLOW_STRIPE_API_BASE=sandbox.url,
        BILLFLOW_STRIPE_JS_URL=f"{sandbox.url}/v3/",
    )
    if redis_url:
        env["BENCH_REDIS_URL"] = f"{redis_url}/1"
    made = subprocess.run(
        [sys.executable, "-c", WAGTAIL_SETUP],
        cwd=WAGTAIL_SITE, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if made.returncode:
        raise RuntimeError(f"setting up the Wagtail site failed:\n{made.stdout}{made.stderr}")
    log = folder / "wagtail-gunicorn.log"
    app = "django.core.wsgi:get_wsgi_application()"
    with gunicorn(
        app, chdir=WAGTAIL_SITE, env=env, workers=args.workers, threads=args.threads, log=log
    ) as (url, process, options):
        check_wagtail_page(url)
        served = Served(
            "Wagtail example site (examples/wagtail_site)",
            url, process.pid, f"gunicorn {' '.join(options)} --chdir examples/wagtail_site "
            f'"{app}"', log,
        )  # fmt: skip
        served.notes.append(
            "settings: example.settings + BILLFLOW_STRIPE_API_BASE, DEBUG = False, SQLite, "
            + ("cache: Redis (Django's RedisCache)" if redis_url else "cache: the example's "
               "LocMemCache (one per worker)")
        )  # fmt: skip
        yield served


def check_flask_page(url: str) -> None:
    """Ada signs in with the example's form and her account page carries her portal."""
    with requests.Session() as browser:
        form = {"email": DEMO_EMAIL, "password": FLASK_PASSWORD}
        page = browser.post(f"{url}/login", data=form, timeout=60)
    _expect_portal(page, f"{url}/account")


def check_wagtail_page(url: str) -> None:
    """Ada signs in to the Wagtail site and its Billing page carries her portal."""
    login = f"{url}/accounts/login/"
    with requests.Session() as browser:
        form = browser.get(f"{login}?next=/billing/", timeout=60)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if not token:
            raise RuntimeError(f"no sign-in form at {login} (HTTP {form.status_code})")
        fields = {"username": WAGTAIL_USER[0], "password": WAGTAIL_USER[1], "next": "/billing/",
                  "csrfmiddlewaretoken": token[1]}  # fmt: skip
        page = browser.post(login, data=fields, headers={"Referer": login}, timeout=60)
    _expect_portal(page, f"{url}/billing/")


def _expect_portal(page: requests.Response, where: str) -> None:
    if page.url != where or f'"email":"{DEMO_EMAIL}"' not in page.text:
        raise RuntimeError(
            f"{where} did not show {DEMO_EMAIL} her portal (HTTP {page.status_code} at {page.url})"
        )


# -- the client ---------------------------------------------------------------------------


# A keep-alive connection the server closed while it sat idle (gunicorn's --keep-alive is
# 2 s): the request fails before any answer, and a browser sends it again on a new one.
_STALE = (ConnectionResetError, BrokenPipeError)  # RemoteDisconnected is a reset


class Browser:
    """One customer's browser tab: two keep-alive connections, as a browser uses for the
    page's two requests at once."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        host, port = url.removeprefix("http://").split(":")
        self._address = (host, int(port))
        self._headers = headers
        self._connections = [self._connect() for _ in PAGE_ROUTES]
        self._reused = [False for _ in PAGE_ROUTES]
        self.resent = 0  # requests sent again after a stale connection, as a browser does

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(*self._address, timeout=CLIENT_TIMEOUT)

    def open_page(self) -> str | None:
        """Both requests sent, then both answers read: None when both are 200, else what
        went wrong."""
        problems = []
        try:
            for index in range(len(PAGE_ROUTES)):
                self._send(index)
            for index, route in enumerate(PAGE_ROUTES):
                status, body = self._answer(index)
                if status != 200:
                    problems.append(f"{route}: HTTP {status} {_error_code(body)}")
        except (OSError, http.client.HTTPException) as error:
            self.close()  # a connection may be mid-answer: start both afresh
            self._connections = [self._connect() for _ in PAGE_ROUTES]
            self._reused = [False for _ in PAGE_ROUTES]
            return f"{type(error).__name__}: {str(error)[:60]}"
        return "; ".join(problems) or None

    def _send(self, index: int) -> None:
        try:
            self._request(index)
        except _STALE as error:
            self._again(index, error)

    def _answer(self, index: int) -> tuple[int, bytes]:
        try:
            response = self._connections[index].getresponse()
        except _STALE as error:
            self._again(index, error)
            response = self._connections[index].getresponse()
        body = response.read()
        self._reused[index] = True
        return response.status, body

    def _request(self, index: int) -> None:
        path = PREFIX + PAGE_ROUTES[index]
        self._connections[index].request("GET", path, headers=self._headers)

    def _again(self, index: int, error: OSError) -> None:
        """Send the request again on a new connection, where the old one had served
        answers before (a new connection failing is an error)."""
        if not self._reused[index]:
            raise error
        self._connections[index].close()
        self._connections[index] = self._connect()
        self._reused[index] = False
        self.resent += 1
        self._request(index)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


def _error_code(body: bytes) -> str:
    """The API's error code (`{"error": {"code": …}}`), or the body's start."""
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return repr(body[:40])


def identity_headers() -> dict[str, str]:
    """What a hand-written page sends for the demo customer."""
    return {
        "Accept": "application/json",
        "X-Billflow-Identity": DEMO_EMAIL,
        "X-Billflow-Hash": user_hash(SECRET, DEMO_EMAIL),
    }


@dataclass
class _Driven:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0
    ended: float = 0.0
    resent: int = 0


@dataclass
class Phase:
    """Page opens from every browser for a fixed time."""

    seconds: float  # from the start to the last open's end
    latencies: list[float]  # of the opens with two 200s, sorted
    errors: Counter[str]
    client_cpu: float  # CPU seconds of the client threads
    resent: int  # requests sent again on a new connection after a stale one


class _Start:
    at = 0.0

    def mark(self) -> None:
        self.at = time.perf_counter()


def run_phase(browsers: Sequence[Browser], seconds: float, stop: threading.Event) -> Phase:
    """Every browser opens the page again and again until `seconds` have passed since they
    all started; an open under way then is finished and counted."""
    start = _Start()
    barrier = threading.Barrier(len(browsers) + 1, action=start.mark)
    driven = [_Driven() for _ in browsers]
    threads = [
        threading.Thread(target=_drive, args=(b, barrier, start, seconds, stop, d), daemon=True)
        for b, d in zip(browsers, driven, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        barrier.wait()
        for thread in threads:
            thread.join()
    except BaseException:
        stop.set()
        barrier.abort()
        raise
    errors: Counter[str] = Counter()
    for one in driven:
        errors.update(one.errors)
    return Phase(
        seconds=max(one.ended for one in driven) - start.at,
        latencies=sorted(t for one in driven for t in one.latencies),
        errors=errors,
        client_cpu=sum(one.cpu for one in driven),
        resent=sum(one.resent for one in driven),
    )


def _drive(
    browser: Browser,
    barrier: threading.Barrier,
    start: _Start,
    seconds: float,
    stop: threading.Event,
    out: _Driven,
) -> None:
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return
    deadline = start.at + seconds
    cpu = time.thread_time()
    resent = browser.resent
    while not stop.is_set() and time.perf_counter() < deadline:
        began = time.perf_counter()
        try:
            problem = browser.open_page()
        except Exception:
            if stop.is_set():  # interrupted: the bench is closing the connections
                return
            raise
        if problem is None:
            out.latencies.append(time.perf_counter() - began)
        else:
            out.errors[problem] += 1
    out.cpu = time.thread_time() - cpu
    out.resent = browser.resent - resent
    out.ended = time.perf_counter()


# -- cells and tables ---------------------------------------------------------------------


@dataclass
class Cell:
    latency: float  # seconds the sandbox adds per answer
    concurrency: int
    phase: Phase
    stripe: Counter[str]  # requests the sandbox received, by route
    rss: list[float]  # MB per worker after the cell
    cores: dict[str, float]  # CPU cores used: app, sandbox, client, redis

    @property
    def opens(self) -> int:
        return len(self.phase.latencies)

    @property
    def rate(self) -> float:
        return self.opens / self.phase.seconds


@dataclass
class _Usage:
    wall: float
    app: float
    process: float
    redis: float
    machine: float


def _usage(workers: Sequence[int], redis_pid: int | None) -> _Usage:
    return _Usage(
        wall=time.perf_counter(),
        app=sum(cpu_seconds(pid) for pid in workers),
        process=own_cpu(),
        redis=cpu_seconds(redis_pid) if redis_pid else 0.0,
        machine=machine_cpu(),
    )


def measure_cell(
    served: Served,
    sandbox: Sandbox,
    latency: float,
    concurrency: int,
    args: argparse.Namespace,
    redis_pid: int | None,
    stop: threading.Event,
) -> Cell:
    """A warm-up at the cell's concurrency (not counted), then the measured phase."""
    workers = children(served.master)
    headers = identity_headers()
    browsers = [Browser(served.url, headers) for _ in range(concurrency)]
    try:
        sandbox.reset()  # the request log, so it stays small; latency goes with it
        sandbox.latency = latency
        run_phase(browsers, args.warmup, stop)
        sandbox.reset()
        sandbox.latency = latency
        before = _usage(workers, redis_pid)
        phase = run_phase(browsers, args.seconds, stop)
        after = _usage(workers, redis_pid)
        stripe = Counter(sandbox.counts())
    finally:
        for browser in browsers:
            browser.close()
    wall = after.wall - before.wall
    process = after.process - before.process
    cores = {
        "app": (after.app - before.app) / wall,
        "sandbox": max(process - phase.client_cpu, 0.0) / wall,
        "client": phase.client_cpu / wall,
        "redis": (after.redis - before.redis) / wall,
    }
    ours = after.app - before.app + process + after.redis - before.redis
    cores["others"] = max(after.machine - before.machine - ours, 0.0) / wall
    now = children(served.master)
    if now != workers:
        served.notes.append(f"workers changed during a cell: {workers} → {now}")
    return Cell(latency, concurrency, phase, stripe, [rss_mb(pid) for pid in now], cores)


def percentile(ordered: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted values; nan when there are none."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


COLUMNS = (
    f"{'latency':>7} {'conc':>4} {'opens/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
    f"{'Stripe/open':>11} {'I/O limit':>9} {'ratio':>5} {'app CPU/open':>12}  "
    f"{'RSS MB/worker':>13}  CPU app/sandbox/client/redis/others"
)


def row(cell: Cell) -> str:
    errors = sum(cell.phase.errors.values())
    per_open = sum(cell.stripe.values()) / max(cell.opens + errors, 1)
    if cell.latency:
        limit = cell.concurrency / (ROUND_TRIPS * cell.latency)
        io = f"{limit:9.1f} {cell.rate / limit:5.2f}"
    else:
        io = f"{'n/a':>9} {'n/a':>5}"
    low, high = (f"{min(cell.rss):.0f}", f"{max(cell.rss):.0f}") if cell.rss else ("?", "?")
    rss = low if low == high else f"{low}–{high}"
    cores = cell.cores
    cpu = f"{cores['app']:.2f} / {cores['sandbox']:.2f} / {cores['client']:.2f} / "
    cpu += f"{cores['redis']:.2f} / {cores['others']:.2f}"
    own = cores["app"] / cell.rate * 1000 if cell.rate else float("nan")
    lat = cell.phase.latencies
    return (
        f"{cell.latency * 1000:4.0f} ms {cell.concurrency:4d} {cell.rate:8.1f} "
        f"{percentile(lat, 0.5) * 1000:8.1f} {percentile(lat, 0.99) * 1000:8.1f} {errors:6d} "
        f"{per_open:11.2f} {io} {own:9.1f} ms  {rss:>13}  {cpu}"
    )


def bench_app(
    served: Served,
    sandbox: Sandbox,
    args: argparse.Namespace,
    redis_pid: int | None,
    stop: threading.Event,
) -> None:
    workers = children(served.master)
    print(f"\n{served.name}, at {served.url}")
    print(f"  {served.command}")
    for note in served.notes:
        print(f"  {note}")
    booted = ", ".join(f"{rss_mb(pid):.0f}" for pid in workers)
    plural = "s" if len(workers) != 1 else ""
    print(f"  {len(workers)} worker{plural}, RSS after boot and one sign-in: {booted} MB")
    print(COLUMNS, flush=True)
    cells = []
    for latency in args.latencies:
        for concurrency in args.concurrency:
            cell = measure_cell(served, sandbox, latency, concurrency, args, redis_pid, stop)
            cells.append(cell)
            print(row(cell), flush=True)
    _footer(served, cells)


def _footer(served: Served, cells: Sequence[Cell]) -> None:
    errors: Counter[str] = Counter()
    routes: Counter[str] = Counter()
    for cell in cells:
        errors.update(cell.phase.errors)
        routes.update(cell.stripe)
    opens = sum(cell.opens for cell in cells) + sum(errors.values())
    print(
        "  Stripe requests per page open, all cells: "
        + ", ".join(f"{route} {n / max(opens, 1):.3f}" for route, n in routes.most_common())
    )
    resent = sum(cell.phase.resent for cell in cells)
    if resent:
        print(
            f"  requests sent again on a new connection after the server closed an idle "
            f"keep-alive one (not errors; a browser does the same): {resent}"
        )
    for problem, count in errors.most_common(8):
        print(f"  error ×{count}: {problem}")
    logged = [line for line in served.log.read_text(errors="replace").splitlines() if line]
    if logged:
        print(f"  gunicorn's log ({len(logged)} lines, warnings and up), first lines:")
        for line in logged[:5]:
            print(f"    {line[:160]}")
    for note in served.notes[1:]:
        print(f"  note: {note}")


# -- the command --------------------------------------------------------------------------


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """Ctrl+C, SIGTERM or SIGHUP: stop measuring, and let the shutdown run uninterrupted."""
    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, signal.SIG_IGN)
    raise KeyboardInterrupt


def _numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, help="measured seconds per cell (default 6)")
    parser.add_argument("--warmup", type=float, help="warm-up seconds per cell (default 1)")
    parser.add_argument("--quick", action="store_true", help="2 s per cell, 0.5 s warm-up")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=32, help="threads per worker (default 32)")
    parser.add_argument("--latencies", type=_numbers, default=[0, 150], help="ms, e.g. 0,150")
    parser.add_argument("--concurrency", type=_numbers, default=[1, 8, 32, 64])
    parser.add_argument("--apps", default="flask,wagtail", help="flask, wagtail or both")
    parser.add_argument(
        "--no-redis", action="store_true", help="no Redis for the Flask app, even with workers"
    )
    parser.add_argument(
        "--wagtail-redis", action="store_true", help="the Wagtail site's cache on Redis too"
    )
    args = parser.parse_args()
    args.seconds = args.seconds or (2.0 if args.quick else 6.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 1.0)
    args.latencies = [ms / 1000 for ms in args.latencies]
    args.apps = [name.strip() for name in args.apps.split(",") if name.strip()]
    if not set(args.apps) <= {"flask", "wagtail"} or not args.apps:
        parser.error("--apps takes flask, wagtail or flask,wagtail")
    if args.workers < 1 or args.threads < 1 or min(args.concurrency, default=0) < 1:
        parser.error("--workers, --threads and --concurrency must be at least 1")
    return args


def _preamble(args: argparse.Namespace, sandbox: Sandbox, redis_url: str | None) -> None:
    from importlib.metadata import version

    cells = len(args.latencies) * len(args.concurrency) * len(args.apps)
    estimate = cells * (args.seconds + args.warmup + 0.3) + 12 * len(args.apps)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"Billflow under gunicorn: {os.cpu_count()} cores, load average {load}, Python "
        f"{sys.version.split()[0]}, gunicorn {version('gunicorn')}; about {estimate:.0f} s"
    )
    print(
        f"each cell: {args.warmup:g} s warm-up, then {args.seconds:g} s measured; each client "
        "thread is a browser with 2 keep-alive connections (http.client), in this process"
    )
    print(
        f"sandbox: in this process at {sandbox.url}, latency "
        + " and ".join(f"{s * 1000:g} ms" for s in args.latencies)
        + f" per answer, up to {args.workers * args.threads + 64} connections at once; "
        f"Redis: {redis_url or 'none'}"
    )


def run(args: argparse.Namespace, stack: contextlib.ExitStack, stop: threading.Event) -> None:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="billflow-load-")))
    # Every app thread keeps a connection to Stripe: the sandbox's default cap (64) would
    # leave the last ones waiting for an idle connection to time out.
    sandbox = stack.enter_context(Sandbox(max_connections=args.workers * args.threads + 64))
    sandbox.seed("demo")
    wants_redis = ("flask" in args.apps and args.workers > 1 and not args.no_redis) or (
        "wagtail" in args.apps and args.wagtail_redis
    )
    redis_url, redis_pid = None, None
    if wants_redis:
        redis_url, redis_pid = stack.enter_context(throwaway_redis(folder))
    _preamble(args, sandbox, redis_url)
    for name in args.apps:
        if name == "flask":
            uses = redis_url if args.workers > 1 and not args.no_redis else None
            serving = serve_flask(sandbox, args, folder, uses)
        else:
            serving = serve_wagtail(
                sandbox, args, folder, redis_url if args.wagtail_redis else None
            )
        with serving as served:
            first = Browser(served.url, identity_headers())
            problem = first.open_page()
            first.close()
            if problem:
                raise RuntimeError(f"{served.name}: a page open failed: {problem}")
            bench_app(served, sandbox, args, redis_pid if redis_url else None, stop)


def main() -> int:
    args = parse_args()
    for each in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(each, _interrupted)
    stop = threading.Event()
    status = 0
    started = time.perf_counter()
    try:
        with contextlib.ExitStack() as stack:
            run(args, stack, stop)
    except KeyboardInterrupt:
        stop.set()
        print("\ninterrupted: gunicorn, Redis and the sandbox stopped", flush=True)
        status = 130
    left = children(os.getpid())
    print(
        f"\ndone in {time.perf_counter() - started:.0f} s; processes left running: "
        + (", ".join(map(str, left)) if left else "none")
    )
    return status


if __name__ == "__main__":
    sys.exit(main())
