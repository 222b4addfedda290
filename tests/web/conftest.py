"""A live portal API on loopback, the sandbox behind it: what the web tests talk to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from billflow_core import user_hash
from billflow_core.portal import Portal
from billflow_core.sandbox import Sandbox
from billflow_core.sandbox.seed import DEMO_EMAIL
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app
from billflow_core.web.serve import ThreadingWSGIServer, start_server

SECRET = "web-test-secret-0123456789"


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
    servers: list[ThreadingWSGIServer] = []
    ids = stripe_sandbox.seed("demo")

    def start(**options: Any) -> LiveAPI:
        template_dirs = options.pop("template_dirs", ())
        portal = Portal(
            PortalSettings(**options),
            secret_key=SECRET,
            stripe_api_key=stripe_sandbox.secret_key,
            stripe_api_base=stripe_sandbox.url,
            stripe_webhook_secret=options.pop("webhook_secret", None),
        )
        server = start_server(make_wsgi_app(PortalAPI(portal, template_dirs=template_dirs)))
        servers.append(server)
        return LiveAPI(f"http://127.0.0.1:{server.server_address[1]}", portal, stripe_sandbox, ids)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
