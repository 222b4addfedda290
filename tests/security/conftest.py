"""The site an attacker meets: the core's WSGI app on loopback, the sandbox behind it.
`attack_site.py` beside this file is importable from the tests."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app
from billflow_core.web.serve import ThreadingWSGIServer, start_server
from billflow_sandbox import Sandbox

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from attack_site import SECRET, Target  # noqa: E402


@pytest.fixture
def target(stripe_sandbox: Sandbox) -> Iterator[Callable[..., Target]]:
    servers: list[ThreadingWSGIServer] = []
    ids = stripe_sandbox.seed("demo")

    def start(**options: Any) -> Target:
        portal = Portal(
            PortalSettings(**options),
            secret_key=SECRET,
            stripe_api_key=stripe_sandbox.secret_key,
            stripe_api_base=stripe_sandbox.url,
        )
        server = start_server(make_wsgi_app(PortalAPI(portal)))
        servers.append(server)
        return Target(f"http://127.0.0.1:{server.server_address[1]}", portal, stripe_sandbox, ids)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
