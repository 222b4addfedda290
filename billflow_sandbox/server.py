"""The sandbox as a real HTTP server on loopback, and the `Sandbox` object tests hold."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .api import API_VERSION, Api, Response
from .controls import Controls, Fault, LoggedRequest
from .hosted_pages import page_for
from .routes import all_routes
from .state import State, random_token
from .webhooks import Deliverer

if TYPE_CHECKING:
    import stripe

log = logging.getLogger(__name__)

JSON = dict[str, Any]
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Stripe-Version",
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Max-Age": "600",
}
_QUERY = re.compile(r"\?[^\s'\"]*")
IDLE_TIMEOUT = 5.0  # seconds a connection may stay silent
MAX_CONNECTIONS = 64  # connections served at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on, the second waits
    # for the client's delayed ACK and every answer takes 40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        # A keep-alive connection silent this long is closed (http.server catches the
        # timeout and ends the connection), so idle clients cannot hold every slot.
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The method, path and status only: a query string can carry a secret (Stripe.js
        # sends `?client_secret=…`).
        path = urlsplit(getattr(self, "path", None) or "").path
        status = getattr(code, "value", code)
        log.debug("%s %s %s %s", self.address_string(), self.command, path, status)

    def log_message(self, format: str, *args: Any) -> None:
        # What else http.server logs (a malformed request, say) can quote the request line.
        log.debug("%s %s", self.address_string(), _QUERY.sub("", format % args))

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._write(Response(204, b"", dict(_CORS)))

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        if parts.path.startswith("/_sandbox/"):
            response = sandbox._control(self.command, parts.path, body, dict(self.headers.items()))
        elif parts.path.startswith("/v1/"):
            response = sandbox.api.handle(
                self.command, parts.path, parts.query, body, dict(self.headers.items()), sandbox.url
            )
        else:
            response = page_for(sandbox.state, self.command, parts.path)
        held = response.held
        if held is not None:  # a held slow fault: until the test releases it (a minute at most)
            held.release.wait(60)
        if response.delay:  # the latency, held or not (the log says so)
            time.sleep(response.delay)
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self._write(response)
        except (BrokenPipeError, ConnectionResetError):
            # The client stopped waiting (a `slow` fault beyond its timeout): as with Stripe,
            # the request was still carried out; only the answer is lost.
            self.close_connection = True
        finally:
            if held is not None:
                held.answered.set()

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        headers = {**_CORS, "Stripe-Version": API_VERSION, **response.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)


class _Server(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` at once. Connections past that
    wait in the listen backlog (no thread, only the kernel's queue) until a slot frees,
    rather than being refused: a test's burst of parallel requests is answered late instead
    of failing, and idle connections give their slots back within `idle_timeout`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # where connections past the cap wait
    sandbox: Sandbox

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        idle_timeout: float,
        max_connections: int,
    ) -> None:
        self.idle_timeout = idle_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Waiting here holds up the accept loop, so further connections stay in the backlog.
        while not self._slots.acquire(timeout=0.1):
            if self._stopping.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()


class Sandbox:
    """A stateful, Stripe-compatible HTTP server for tests, demos and benchmarks.

    Use it as a context manager; it listens on a free loopback port unless told otherwise::

        with Sandbox() as sb:
            client = sb.client()
            customer = client.v1.customers.create({"email": "ada@example.com"})

    It is a test double: nothing in Billflow's runtime path imports it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_file: str | Path | None = None,
        secret_key: str | None = None,
        publishable_key: str | None = None,
        webhook_retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0, 120.0),
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        """`idle_timeout`: seconds a connection may stay silent before it is closed;
        `max_connections`: connections served at once (the others wait to be accepted)."""
        if idle_timeout <= 0 or max_connections < 1:
            raise ValueError("idle_timeout must be positive and max_connections at least 1")
        self._idle_timeout = idle_timeout
        self._max_connections = max_connections
        token = random_token(24)
        self.secret_key = secret_key or f"sk_test_sandbox{token}"
        self.publishable_key = publishable_key or f"pk_test_sandbox{token}"
        for name, key, prefix in (
            ("secret_key", self.secret_key, "sk_test_"),
            ("publishable_key", self.publishable_key, "pk_test_"),
        ):
            if not key.startswith(prefix):
                raise ValueError(f"{name} must start with {prefix!r}: the sandbox is test mode")
        self.state = State(Path(state_file) if state_file else None)
        self.controls = Controls()
        self.deliverer = Deliverer(self.state, retry_delays=webhook_retry_delays)
        self.api = Api(
            self.state,
            self.controls,
            all_routes(),
            secret_key=self.secret_key,
            publishable_key=self.publishable_key,
            on_events=self.deliverer.enqueue,
        )
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Listen and serve in a background thread; returns the sandbox for chaining."""
        server = _Server(
            (self._host, self._port),
            _Handler,
            idle_timeout=self._idle_timeout,
            max_connections=self._max_connections,
        )
        server.sandbox = self
        self._server = server
        # `stop()` waits for the serving loop to notice; the default half-second poll would
        # add that much to every test's teardown.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="billflow-sandbox",
            daemon=True,
        )
        self._thread.start()
        self.deliverer.start()
        return self

    def stop(self) -> None:
        """Stop serving and delivering webhooks, and save the state file if there is one."""
        self.controls.release_holds()
        self.deliverer.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.state.lock:
            self.state.save()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, the address to give stripe-python as its API base."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running; call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def client(self, **options: Any) -> stripe.StripeClient:
        """A `stripe.StripeClient` pointed at this sandbox (options pass through)."""
        import stripe

        base = self.url
        options.setdefault("base_addresses", {"api": base, "files": base, "connect": base})
        return stripe.StripeClient(self.secret_key, **options)

    # -- controls -------------------------------------------------------------------------
    @property
    def latency(self) -> float:
        """Seconds added before every API answer (0 by default)."""
        return self.controls.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        """Seconds added before every API answer, so benchmarks can tell Stripe time apart."""
        if seconds < 0:
            raise ValueError("latency must be zero or more seconds")
        self.controls.latency = seconds

    def fault(
        self, pattern: str, kind: str, *, times: int = 1, seconds: float = 0.0, hold: bool = False
    ) -> Fault:
        """Answer the next `times` requests matching `pattern` with a fault: "500", "429",
        "drop" (close the connection before acting), "drop_answer" (act, then close the
        connection unanswered: the lost answer a retry must not repeat) or "slow" (act,
        then wait `seconds` before answering; with `hold`, wait until the returned fault's
        `release` is set, and its `answered` says when the answer went). A "429" names
        `seconds` in `Retry-After`."""
        return self.controls.add_fault(pattern, kind, times=times, seconds=seconds, hold=hold)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every API request received so far, oldest first, with its status and parameters."""
        with self.controls.lock:
            return list(self.controls.log)

    def writes(self) -> list[LoggedRequest]:
        """Requests that changed state: what a refusal test asserts is empty."""
        return [entry for entry in self.requests if entry.is_write]

    def fingerprint(self) -> str:
        """A digest of every object and private fact (events aside): equal before and after
        a request exactly when the request changed nothing. Refusal tests compare it."""
        with self.state.lock:
            objects = {k: v for k, v in self.state.objects.items() if k != "event" and v}
            facts = {k: v for k, v in self.state.private.items() if v}
            text = json.dumps([objects, facts], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        """Requests received per route name, such as `GET /v1/customers/{id}`."""
        return dict(self.controls.counts())

    def reset(self, *, state: bool = False) -> None:
        """Forget the request log, faults and latency; with `state=True`, every object too."""
        self.controls.reset()
        if state:
            with self.state.lock:
                self.state.restore({"objects": {}, "private": {}, "order": {}, "idempotency": {}})

    def seed(self, name: str = "demo") -> JSON:
        """Create a named catalog through the API itself; returns the ids it made."""
        from .seed import seed

        return seed(self.client(max_network_retries=0), name)

    def _control(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Response:
        from .control_api import handle_control

        return handle_control(self, method, path, body, headers)
