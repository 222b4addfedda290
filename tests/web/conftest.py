"""A live portal API on loopback, the sandbox behind it: what the web tests talk to."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from billflow_core import user_hash
from billflow_core.portal import Portal
from billflow_core.sandbox import Sandbox
from billflow_core.sandbox.seed import DEMO_EMAIL
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app

SECRET = "web-test-secret-0123456789"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_one, args=(request, client_address), daemon=True
        )
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        finally:
            self.shutdown_request(request)


@dataclass
class LiveAPI:
    url: str  # the site's origin; the API is under url + "/billflow"
    portal: Portal
    sandbox: Sandbox
    ids: dict[str, Any]

    def headers(self, identity: str = DEMO_EMAIL, **extra: str) -> dict[str, str]:
        return {
            "X-Billflow-Identity": identity,
            "X-Billflow-Hash": user_hash(SECRET, identity),
            **extra,
        }


@pytest.fixture
def serve(stripe_sandbox: Sandbox) -> Iterator[Callable[..., LiveAPI]]:
    """Start the portal API with the given options, the demo account behind it."""
    servers: list[WSGIServer] = []
    ids = stripe_sandbox.seed("demo")

    def start(**options: Any) -> LiveAPI:
        portal = Portal(
            PortalSettings(**options),
            secret_key=SECRET,
            stripe_api_key=stripe_sandbox.secret_key,
            stripe_api_base=stripe_sandbox.url,
            stripe_webhook_secret=options.pop("webhook_secret", None),
        )
        server = make_server(
            "127.0.0.1",
            0,
            make_wsgi_app(PortalAPI(portal)),
            server_class=_ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
        servers.append(server)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()  # fmt: skip
        return LiveAPI(f"http://127.0.0.1:{server.server_address[1]}", portal, stripe_sandbox, ids)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
