"""A threaded WSGI server on the standard library's `wsgiref`, for the demo and the tests:
one thread per connection, so the page's parallel requests never queue behind each other."""

from __future__ import annotations

import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .wsgi import WSGIApp

__all__ = ["ThreadingWSGIServer", "start_server"]


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the demo prints its own lines."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        threading.Thread(target=self._serve, args=(request, client_address), daemon=True).start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def start_server(app: WSGIApp, host: str = "127.0.0.1", port: int = 0) -> ThreadingWSGIServer:
    """Serve `app` from a background thread; `server.shutdown()` stops it."""
    server = make_server(
        host, port, app, server_class=ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server
