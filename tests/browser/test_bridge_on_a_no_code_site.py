"""The bridge as a no-code site uses it, in Chromium: a static page on another origin whose
login (a stand-in for Outseta's, `Outseta.getAccessToken()`) gives an RS256 JWT pastes the
bridge's snippet, shows the customer's portal, changes plan, and the site's automation gets
the signed `change_plan` event."""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect
from standardwebhooks.webhooks import Webhook
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bridge"))
from receivers import Receiver
from stand_ins import JsonServer

from billflow_bridge import BridgeConfig, connect, create_app, migrate
from billflow_bridge._state import get_state
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

ISSUER = "https://acme.outseta.com"
SIGNING = "whsec_" + base64.b64encode(b"no-code-site-signing-secret-32b!").decode()


class StaticSite:
    """The no-code site: one page, served from its own loopback origin."""

    def __init__(self) -> None:
        self.html = ""
        site = self

        class Page(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = site.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def no_code_site(stripe_sandbox: Sandbox, tmp_path: Path) -> Iterator[dict[str, Any]]:
    ids = stripe_sandbox.seed("demo")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
                      "kid": "outseta-1"}]}  # fmt: skip
    site = StaticSite()
    with (
        Receiver() as receiver,
        JsonServer({("GET", "/.well-known/jwks"): lambda h, b: (200, jwks)}) as keys,
    ):
        config = BridgeConfig.from_mapping(
            {
                "BILLFLOW_SECRET_KEY": "no-code-site-secret-0123456789",
                "BILLFLOW_STRIPE_API_KEY": stripe_sandbox.secret_key,
                "BILLFLOW_STRIPE_API_BASE": stripe_sandbox.url,
                "BILLFLOW_STRIPE_PUBLISHABLE_KEY": stripe_sandbox.publishable_key,
                "BILLFLOW_STRIPE_JS_URL": f"{stripe_sandbox.url}/v3/",
                "BILLFLOW_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.sqlite3'}",
                "BILLFLOW_BRIDGE_ORIGINS": site.origin,
                "BILLFLOW_BRIDGE_SIGNING_SECRET": SIGNING,
                "BILLFLOW_BRIDGE_TARGETS": receiver.url,
                "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "127.0.0.0/8",
                "BILLFLOW_BRIDGE_JWT_PROVIDER": "outseta",
                "BILLFLOW_BRIDGE_JWT_ISSUER": ISSUER,
                "BILLFLOW_BRIDGE_JWT_JWKS_URL": f"{keys.url}/.well-known/jwks",
            }
        )
        migrate(connect(config.database_url))
        app = create_app(config, deliver=True)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        bridge = f"http://127.0.0.1:{server.server_port}"
        yield {"ids": ids, "key": key, "site": site, "bridge": bridge, "receiver": receiver}
        server.shutdown()
        worker = get_state(app).worker
        if worker is not None:
            worker.stop()
    site.close()


def login_token(key: Any, email: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "outseta-person-1", "email": email, "iat": now,
              "exp": now + 3600}  # fmt: skip
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "outseta-1"})


def snippet(bridge: str, token: str | None) -> str:
    """The page as the site builder makes it: its login's script, then the bridge's snippet
    (docs/bridge/outseta.md) pasted into an embed block."""
    given = json.dumps(token)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme</title>
<script>
  window.Outseta = {{getAccessToken: () => Promise.resolve({given})}};  // Outseta's login
</script></head><body><main><h1>Your account</h1>
<link rel="stylesheet" href="{bridge}/billflow/portal.css">
<div id="billflow-embed"></div>
<script>
  window.billflowEvents = [];
  window.billflowSettings = {{auth: "outseta",
    handleResponse: (e) => window.billflowEvents.push(e.event)}};
</script>
<script src="{bridge}/billflow/embed.js" defer></script>
</main></body></html>"""


def test_a_no_code_page_with_a_login_shows_the_portal_and_its_change_reaches_the_automation(
    no_code_site: dict[str, Any], browse: Callable[..., Page]
) -> None:
    site, receiver = no_code_site["site"], no_code_site["receiver"]
    site.html = snippet(no_code_site["bridge"], login_token(no_code_site["key"], DEMO_EMAIL))
    page = browse()
    page.goto(site.origin + "/account")

    team = page.get_by_role("article", name="Team")
    expect(team).to_contain_text("$29.00 per month")
    expect(page.get_by_text(re.compile("Signed in as"))).to_have_count(0)  # the site's login
    team.get_by_role("button", name="Change plan").click()
    dialog = page.get_by_role("dialog", name="Change plan")
    dialog.get_by_role("radio", name=re.compile("^Business")).check()
    dialog.get_by_role("button", name="Change plan").click()
    expect(page.get_by_role("status")).to_have_text("Your plan has been changed.")
    assert "change_plan" in page.evaluate("() => window.billflowEvents")

    [delivery] = receiver.wait_for(1)
    event = Webhook(SIGNING).verify(delivery.body, delivery.headers)
    assert event["type"] == "change_plan"
    assert event["data"]["customer_email"] == DEMO_EMAIL
    assert event["data"]["price_id"] == no_code_site["ids"]["prices"]["business_monthly"]
    assert event["data"]["product_name"] == "Business"


def test_a_visitor_the_login_does_not_know_is_asked_to_sign_in(
    no_code_site: dict[str, Any], browse: Callable[..., Page]
) -> None:
    site = no_code_site["site"]
    site.html = snippet(no_code_site["bridge"], None)  # Outseta: nobody is logged in
    page = browse()
    page.goto(site.origin + "/account")

    expect(page.get_by_role("alert")).to_have_text("Sign in to manage your billing.")
    expect(page.get_by_role("article")).to_have_count(0)
