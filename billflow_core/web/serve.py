"""A threaded WSGI server on the standard library's `wsgiref`, for the demo and the tests:
a thread per connection, so the page's parallel requests never queue behind each other.

Two bounds keep idle or slow clients from pinning it: a connection that sends nothing for
`idle_timeout` seconds is closed, and at most `max_connections` are served at once. Past
that, new connections wait in the listen backlog (no thread, only the kernel's queue) and
are taken as soon as a slot frees, rather than being refused: a burst of a page's parallel
requests is answered late instead of failing, and idle connections free their slots within
`idle_timeout` anyway.
"""

from __future__ import annotations

import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from .wsgi import WSGIApp

__all__ = ["IDLE_TIMEOUT", "MAX_CONNECTIONS", "ThreadingWSGIServer", "start_server"]

IDLE_TIMEOUT = 5.0  # seconds a connection may stay silent
MAX_CONNECTIONS = 32  # connections served at once


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the demo prints its own lines), and a silent client is
    dropped after the server's `idle_timeout`."""

    server: ThreadingWSGIServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def handle(self) -> None:
        try:
            super().handle()
        except TimeoutError:  # an idle client: nothing to answer, nothing to log
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadingWSGIServer(WSGIServer):
    """`WSGIServer` with a thread per connection, at most `max_connections` at once."""

    daemon_threads = True
    request_queue_size = 128  # where connections past the cap wait

    def __init__(
        self,
        server_address: tuple[str, int],
        handler_class: type[WSGIRequestHandler] = _QuietHandler,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if idle_timeout <= 0 or max_connections < 1:
            raise ValueError("idle_timeout must be positive and max_connections at least 1")
        self.idle_timeout = idle_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()
        super().__init__(server_address, handler_class)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Waiting here holds up the accept loop, so further connections stay in the backlog.
        while not self._slots.acquire(timeout=0.1):
            if self._stopping.is_set():
                self.shutdown_request(request)
                return
        try:
            threading.Thread(
                target=self._serve, args=(request, client_address), daemon=True
            ).start()
        except BaseException:
            self._slots.release()
            raise

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()


def start_server(
    app: WSGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    idle_timeout: float = IDLE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> ThreadingWSGIServer:
    """Serve `app` from a background thread; `server.shutdown()` stops it. A connection
    silent for `idle_timeout` seconds is closed; at most `max_connections` are served at
    once, the others wait to be accepted."""
    server = ThreadingWSGIServer(
        (host, port), idle_timeout=idle_timeout, max_connections=max_connections
    )
    server.set_app(app)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server
