"""The WSGI server the demo and the tests run: idle connections are closed after a short
timeout, and no more than `max_connections` are served (each by a thread) at once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from billflow_core.web.serve import start_server

IDLE = 60  # idle connections opened
CAP = 8


def _hello(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return iter([b"hello"])


def _serving() -> int:
    """The server threads serving a connection now (named after their target, `_serve`):
    counting only these keeps threads other parts of the run start or finish out of it."""
    return sum("(_serve)" in t.name for t in threading.enumerate())


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
    server = start_server(_hello, idle_timeout=0.2, max_connections=CAP)
    port = server.server_address[1]
    try:
        # Connections an earlier test's server was still serving finish first.
        deadline = time.monotonic() + 10
        while _serving() and time.monotonic() < deadline:
            time.sleep(0.01)
        before = _serving()
        with _ThreadPeak() as threads:
            idle = _idle_sockets(port)
            # Queued behind the idle connections: answered once they time out.
            answer = requests.get(f"http://127.0.0.1:{port}/", timeout=60)
        assert answer.status_code == 200 and answer.text == "hello"
        assert threads.peak - before == CAP
        assert all(_closed_by_server(sock) for sock in idle)
    finally:
        server.shutdown()
        server.server_close()


def test_the_bounds_must_be_usable() -> None:
    for bad in ({"idle_timeout": 0}, {"max_connections": 0}):
        with pytest.raises(ValueError, match="idle_timeout must be positive"):
            start_server(_hello, **bad)
