"""A live portal API on loopback, the sandbox behind it: what the web tests talk to."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from billflow_core import user_hash
from billflow_core.mail import Mailer, SMTPMailer
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app
from billflow_core.web.serve import ThreadingWSGIServer, start_server
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

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


@contextmanager
def _serving(sandbox: Sandbox) -> Iterator[Callable[..., LiveAPI]]:
    """Seed the demo account, and start portal APIs in front of it until the block ends."""
    servers: list[ThreadingWSGIServer] = []
    ids = sandbox.seed("demo")

    def start(
        *,
        webhook_secret: str | None = None,
        template_dirs: Any = (),
        smtp: tuple[str, int] | None = None,
        mailer: Mailer | None = None,
        clock: Callable[[], float] = time.time,
        **options: Any,
    ) -> LiveAPI:
        """`smtp`: the (host, port) of a mail server the sign-in emails go to; `clock`: the
        portal's time, for tests that move it."""
        portal = Portal(
            PortalSettings(**options),
            secret_key=SECRET,
            stripe_api_key=sandbox.secret_key,
            stripe_api_base=sandbox.url,
            stripe_webhook_secret=webhook_secret,
            mailer=mailer if smtp is None else SMTPMailer(*smtp),
            clock=clock,
        )
        server = start_server(make_wsgi_app(PortalAPI(portal, template_dirs=template_dirs)))
        servers.append(server)
        return LiveAPI(f"http://127.0.0.1:{server.server_address[1]}", portal, sandbox, ids)

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def serve(stripe_sandbox: Sandbox) -> Iterator[Callable[..., LiveAPI]]:
    """Start the portal API with the given options, the demo account behind it."""
    with _serving(stripe_sandbox) as start:
        yield start


@pytest.fixture(scope="module")
def serve_module() -> Iterator[Callable[..., LiveAPI]]:
    """`serve` shared by a module's tests: one sandbox for them all, so its state carries
    from test to test. For long runs (the API's contract) that assert nothing about it."""
    with Sandbox(webhook_retry_delays=(0.05, 0.1, 0.2)) as sandbox, _serving(sandbox) as start:
        yield start
