"""The sandbox's HTTP server: idle keep-alive connections are closed after a short timeout,
and no more than `max_connections` are served (each by a thread) at once."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from billflow_sandbox import Sandbox

IDLE = 60  # idle connections opened
CAP = 8


def _serving() -> int:
    """The server threads serving a connection now (socketserver names them after their
    target): counting only these keeps threads other parts of the run start or finish (a
    webhook delivery, an earlier test's server winding down) out of the figure."""
    return sum("process_request_thread" in t.name for t in threading.enumerate())


class _ThreadPeak:
    """The most connection-serving threads this process ran while the block was open."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _serving())

    def __enter__(self) -> _ThreadPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _idle_sockets(port: int) -> list[socket.socket]:
    """IDLE connections that never send a byte; connecting does not wait to be accepted."""
    opened = []
    for _ in range(IDLE):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        opened.append(sock)
    return opened


def _closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(True)
    sock.settimeout(60)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    finally:
        sock.close()


def test_idle_connections_hold_at_most_max_connections_threads_and_are_closed() -> None:
    with Sandbox(idle_timeout=0.2, max_connections=CAP) as sandbox:
        port = int(sandbox.url.rsplit(":", 1)[1])
        client = sandbox.client(max_network_retries=0)
        # Connections an earlier test's server was still serving finish first.
        deadline = time.monotonic() + 10
        while _serving() and time.monotonic() < deadline:
            time.sleep(0.01)
        before = _serving()
        with _ThreadPeak() as threads:
            idle = _idle_sockets(port)
            # Queued behind the idle connections: answered once they time out.
            customer = client.v1.customers.create({"email": "ada@example.com"})
        assert client.v1.customers.retrieve(customer.id).email == "ada@example.com"
        assert threads.peak - before == CAP
        assert all(_closed_by_server(sock) for sock in idle)


def test_the_bounds_must_be_usable() -> None:
    for bad in ({"idle_timeout": 0}, {"max_connections": 0}):
        with pytest.raises(ValueError, match="idle_timeout must be positive"):
            Sandbox(**bad)  # type: ignore[arg-type]
