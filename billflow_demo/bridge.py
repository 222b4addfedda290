"""`billflow bridge demo`: the webhook bridge as a no-code site uses it, offline.

It starts the Stripe sandbox (the demo catalog, Ada with two subscriptions), the bridge on a
fresh SQLite file, and a sample "no-code" site on another origin: a page with a stand-in
login (it signs an RS256 token, as Outseta or Clerk would, checked by the bridge against the
site's JWKS), the bridge's snippet pasted in, and a receiver page that shows each signed
delivery as it arrives, its signature checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

__all__ = ["BridgeDemo", "start_bridge_demo"]

ISSUER_PATH = "/login"
AUDIENCE = "billflow-bridge-demo"
PEOPLE = ("ada@example.com", "grace@example.com")


@dataclass
class Received:
    """One delivery the demo's receiver got."""

    at: float
    event_type: str
    webhook_id: str
    verified: bool
    body: str


@dataclass
class BridgeDemo:
    site_url: str
    bridge_url: str
    sandbox: Any
    servers: list[Any]
    workers: list[Any]
    received: list[Received] = field(default_factory=list)
    folder: tempfile.TemporaryDirectory[str] | None = None
    admin_key: str = ""  # signs in to the bridge's admin page

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.sandbox.stop()
        if self.folder is not None:
            self.folder.cleanup()


def start_bridge_demo(host: str = "127.0.0.1", port: int = 8000) -> BridgeDemo:
    """Start the sandbox, the bridge (on `port` + 1) and the sample site (on `port`)."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from billflow_bridge import BridgeConfig, connect, create_app, migrate
    from billflow_bridge._state import get_state
    from billflow_core.web.serve import start_server
    from billflow_sandbox import Sandbox

    site = start_server(_not_ready, host, port)
    site_url = f"http://{host}:{site.server_address[1]}"
    bridge_server = start_server(_not_ready, host, 0 if port == 0 else port + 1)
    bridge_url = f"http://{host}:{bridge_server.server_address[1]}"
    sandbox = Sandbox(host, 0)
    sandbox.start()
    sandbox.seed("demo")
    endpoint = sandbox.client().v1.webhook_endpoints.create(
        {"url": f"{bridge_url}/billflow/stripe/webhook", "enabled_events": ["*"]}
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())),
                      "kid": "demo-login", "use": "sig"}]}  # fmt: skip
    signing = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    folder = tempfile.TemporaryDirectory(prefix="billflow-bridge-demo-")
    admin_key = secrets.token_urlsafe(32)
    config = BridgeConfig.from_mapping(
        {
            "BILLFLOW_SECRET_KEY": secrets.token_urlsafe(32),
            "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
            "BILLFLOW_STRIPE_API_BASE": sandbox.url,
            "BILLFLOW_STRIPE_PUBLISHABLE_KEY": sandbox.publishable_key,
            "BILLFLOW_STRIPE_JS_URL": f"{sandbox.url}/v3/",
            "BILLFLOW_STRIPE_WEBHOOK_SECRET": endpoint.secret,
            "BILLFLOW_PLAN_PICKER": True,
            "BILLFLOW_BRIDGE_DATABASE_URL": f"sqlite:///{Path(folder.name) / 'bridge.sqlite3'}",
            "BILLFLOW_BRIDGE_API_KEY": secrets.token_urlsafe(32),
            "BILLFLOW_BRIDGE_ADMIN_KEY": admin_key,
            "BILLFLOW_BRIDGE_ORIGINS": site_url,
            "BILLFLOW_BRIDGE_SIGNING_SECRET": signing,
            "BILLFLOW_BRIDGE_TARGETS": [
                {"name": "The site's automation", "url": f"{site_url}/hooks"}
            ],
            "BILLFLOW_BRIDGE_ALLOW_TARGETS_IN": "127.0.0.0/8",
            "BILLFLOW_BRIDGE_JWT_PROVIDER": "custom",
            "BILLFLOW_BRIDGE_JWT_ISSUER": site_url + ISSUER_PATH,
            "BILLFLOW_BRIDGE_JWT_AUDIENCE": AUDIENCE,
            "BILLFLOW_BRIDGE_JWT_JWKS_URL": f"{site_url}/.well-known/jwks.json",
        }
    )
    migrate(connect(config.database_url))
    app = create_app(config, deliver=True)
    worker = get_state(app).worker
    bridge_server.set_app(app)
    demo = BridgeDemo(site_url, bridge_url, sandbox, [site, bridge_server],
                      [worker] if worker else [], folder=folder, admin_key=admin_key)  # fmt: skip
    login = _Login(key, site_url + ISSUER_PATH)
    site.set_app(_site_app(demo, login, jwks, signing))
    return demo


class _Login:
    """The site's stand-in login: who is logged in (a cookie) and their signed token."""

    def __init__(self, key: Any, issuer: str) -> None:
        self.key = key
        self.issuer = issuer
        self.sessions: dict[str, str] = {}
        self.lock = threading.Lock()

    def token_for(self, email: str) -> str:
        import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": email, "email": email,
                  "email_verified": True, "iat": now, "exp": now + 600}  # fmt: skip
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "demo-login"})


def _not_ready(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    given = [part.partition(",")[2] for part in headers.get("webhook-signature", "").split()]
    return any(hmac.compare_digest(expected, signature) for signature in given)


def _site_app(
    demo: BridgeDemo, login: _Login, jwks: dict[str, Any], signing: str
) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        sid = cookie["demo_login"].value if "demo_login" in cookie else ""
        with login.lock:
            who = login.sessions.get(sid)

        def answer(status: str, body: str | bytes, kind: str = "text/html; charset=utf-8",
                   extra: list[tuple[str, str]] | None = None) -> Iterable[bytes]:  # fmt: skip
            data = body.encode() if isinstance(body, str) else body
            headers = [("Content-Type", kind), ("Cache-Control", "no-store"),
                       ("Content-Length", str(len(data))), *(extra or [])]  # fmt: skip
            start_response(status, headers)
            return [data]

        if path == "/.well-known/jwks.json":
            return answer("200 OK", json.dumps(jwks), "application/json")
        if path == "/login/token":
            return answer("200 OK", login.token_for(who) if who else "", "text/plain")
        if path == "/login" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            asked = environ["wsgi.input"].read(length).decode()
            email = asked.partition("email=")[2].replace("%40", "@")
            if email not in PEOPLE:
                return answer("400 Bad Request", "Pick one of the demo's people.")
            sid = secrets.token_urlsafe(16)
            with login.lock:
                login.sessions[sid] = email
            cookie_set = f"demo_login={sid}; Path=/; HttpOnly; SameSite=Lax"
            return answer(
                "303 See Other", "", extra=[("Location", "/"), ("Set-Cookie", cookie_set)]
            )
        if path == "/logout" and method == "POST":
            with login.lock:
                login.sessions.pop(sid, None)
            return answer("303 See Other", "", extra=[("Location", "/"),
                          ("Set-Cookie", "demo_login=; Path=/; Max-Age=0")])  # fmt: skip
        if path == "/hooks" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                       if k.startswith("HTTP_")}  # fmt: skip
            try:
                event_type = str(json.loads(body).get("type"))
            except ValueError:
                event_type = "?"
            verified = _verified(signing, headers, body)
            webhook_id = headers.get("webhook-id", "")
            demo.received.append(
                Received(time.time(), event_type, webhook_id, verified, body.decode())
            )
            return answer("200 OK", "ok", "text/plain")
        if path == "/deliveries.json":
            rows = [
                {"at": r.at, "type": r.event_type, "webhook_id": r.webhook_id,
                 "verified": r.verified, "body": r.body}
                for r in reversed(demo.received)
            ]  # fmt: skip
            return answer("200 OK", json.dumps(rows), "application/json")
        if path == "/deliveries":
            return answer("200 OK", _RECEIVER_PAGE)
        if path == "/":
            return answer("200 OK", _site_page(demo.bridge_url, who))
        return answer("404 Not Found", "Not found")

    return app


_STYLE = """body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1f2330;background:#f6f7fb}
header{background:#fff;border-bottom:1px solid #e3e5ec;padding:12px 24px;display:flex;
gap:16px;align-items:center;justify-content:space-between;flex-wrap:wrap}
main{max-width:760px;margin:24px auto;padding:0 16px}
.note{font-size:14px;color:#5b6070}button{font:inherit;padding:6px 14px;border-radius:8px;
border:1px solid #c9ccd6;background:#fff;cursor:pointer}a{color:#3b3fd8}"""


def _site_page(bridge: str, who: str | None) -> str:
    if who:
        account = (f"<span>Logged in as {html.escape(who)}</span><form method='post' "
                   "action='/logout'><button>Log out</button></form>")  # fmt: skip
    else:
        buttons = "".join(f"<button name='email' value='{html.escape(p)}'>Log in as "
                          f"{html.escape(p)}</button> " for p in PEOPLE)  # fmt: skip
        account = f"<form method='post' action='/login'>{buttons}</form>"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Analytics (a no-code site)</title><style>{_STYLE}</style>
<link rel="stylesheet" href="{bridge}/billflow/portal.css"></head><body>
<header><strong>Acme Analytics</strong><div>{account}</div></header>
<main><h1>Billing</h1>
<p class="note">A page as a no-code builder makes it: its login gives a signed token, and
the bridge's snippet below was pasted in. Deliveries to the site's automation show on
<a href="/deliveries" target="_blank">the receiver page</a>.</p>
<div id="billflow-embed"></div>
<script>
  window.billflowSettings = {{token: () => fetch("/login/token").then((r) => r.text())}};
</script>
<script src="{bridge}/billflow/embed.js" defer></script>
</main></body></html>"""


_RECEIVER_PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Deliveries received</title><style>{_STYLE}
li{{background:#fff;border:1px solid #e3e5ec;border-radius:10px;padding:12px;margin:8px 0;
list-style:none}}pre{{white-space:pre-wrap;word-break:break-all;font-size:13px;margin:6px 0 0}}
ul{{padding:0}}.ok{{color:#0a7a3d}}.bad{{color:#b3261e}}</style></head><body>
<header><strong>The site's automation: deliveries received</strong></header>
<main><p class="note">Each portal event the bridge delivers, newest first, with its
Standard Webhooks signature checked here.</p><ul id="rows" aria-live="polite"></ul>
<p id="none" class="note">Nothing yet: change a plan on the site's billing page.</p></main>
<script>
const show = (rows) => {{
  document.getElementById('none').hidden = rows.length > 0;
  const list = document.getElementById('rows');
  list.replaceChildren(...rows.map((row) => {{
    const item = document.createElement('li');
    const title = document.createElement('strong');
    title.textContent = row.type;
    const mark = document.createElement('span');
    mark.className = row.verified ? 'ok' : 'bad';
    mark.textContent = row.verified ? ' · signature verified' : ' · signature NOT verified';
    const when = document.createElement('div');
    when.className = 'note';
    when.textContent = new Date(row.at * 1000).toLocaleTimeString() + ' · ' + row.webhook_id;
    const body = document.createElement('pre');
    body.textContent = JSON.stringify(JSON.parse(row.body), null, 2);
    item.append(title, mark, when, body);
    return item;
  }}));
}};
const poll = () => fetch('/deliveries.json').then((r) => r.json()).then(show).catch(() => {{}});
poll(); setInterval(poll, 1000);
</script></body></html>"""
