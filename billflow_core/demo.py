"""`billflow demo`: the portal as a customer meets it, in one command.

The sandbox starts with a believable account (three tiers monthly and yearly, seats with
quantity on, a promotion code, Ada Lovelace with a year of invoices), and a small sample site
serves a page with the portal embedded for its signed-in customer, the portal's API under
`/billflow`, and Stripe's webhooks delivered to it. With `BILLFLOW_STRIPE_API_KEY` set to a
test key, the same site runs against that Stripe account instead; live keys are refused.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from .doctor import NEEDED_EVENTS
from .gateway import is_live_key
from .portal import Portal

__all__ = ["DEMO_OPTIONS", "Demo", "DemoError", "start_demo"]

# What the demo switches on beyond the defaults, so every action can be tried. The
# environment's BILLFLOW_* options still win.
DEMO_OPTIONS: Mapping[str, Any] = {
    "BILLFLOW_COUPONS": True,
    "BILLFLOW_CHANGE_PLAN_ON_RESUBSCRIBE": True,
    "BILLFLOW_COUPONS_ON_RESUBSCRIBE": True,
    "BILLFLOW_PLAN_PICKER": True,
    "BILLFLOW_RETENTION_OFFER": '{"coupon": "WELCOME20", "reasons": ["too_expensive"]}',
}

# The events the portal acts on: the catalog's, and the promotion codes' (Stripe has no
# `promotion_code.deleted`: codes are switched off, not deleted).
_WEBHOOK_EVENTS = [
    *NEEDED_EVENTS,
    "promotion_code.created",
    "promotion_code.updated",
    "coupon.created",
    "coupon.updated",
    "coupon.deleted",
]


class DemoError(Exception):
    """The demo cannot start; the message says why and what to do."""


@dataclass
class Demo:
    url: str
    portal: Portal
    sandbox: Any  # the Sandbox, or None against a Stripe test account
    server: Any
    customer_email: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.sandbox is not None:
            self.sandbox.stop()


def start_demo(host: str = "127.0.0.1", port: int = 8000, *, environ: Mapping[str, str]) -> Demo:
    """Start the sandbox (unless a Stripe test key is given) and the sample site."""
    from .web import PortalAPI, make_wsgi_app
    from .web.serve import start_server

    api_key = environ.get("BILLFLOW_STRIPE_API_KEY") or environ.get("STRIPE_API_KEY")
    if api_key and is_live_key(api_key):
        raise DemoError(
            "billflow demo refuses live Stripe keys: set BILLFLOW_STRIPE_API_KEY to a test "
            "key (sk_test_…), or unset it to use the built-in sandbox"
        )
    try:
        server = start_server(_not_ready, host, port)
    except OSError as error:
        raise DemoError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    url = f"http://{host}:{server.server_address[1]}"
    sandbox = None
    config: dict[str, Any] = {**DEMO_OPTIONS, **environ}
    config.setdefault("BILLFLOW_SECRET_KEY", secrets.token_urlsafe(32))
    customer_email = environ.get("BILLFLOW_DEMO_EMAIL", "ada@example.com")
    if not api_key:
        sandbox = _sandbox(host)
        client = sandbox.client()
        endpoint = client.v1.webhook_endpoints.create(
            {"url": f"{url}/billflow/stripe/webhook", "enabled_events": _WEBHOOK_EVENTS}
        )
        config.update(
            BILLFLOW_STRIPE_API_KEY=sandbox.secret_key,
            BILLFLOW_STRIPE_API_BASE=sandbox.url,
            BILLFLOW_STRIPE_PUBLISHABLE_KEY=sandbox.publishable_key,
            BILLFLOW_STRIPE_JS_URL=f"{sandbox.url}/v3/",
            BILLFLOW_STRIPE_WEBHOOK_SECRET=endpoint.secret,
        )
    try:
        portal = Portal.from_config(config)
    except Exception:
        server.server_close()
        if sandbox is not None:
            sandbox.stop()
        raise
    api = PortalAPI(portal)
    server.set_app(make_wsgi_app(api, fallback=_site(portal, customer_email)))
    return Demo(url, portal, sandbox, server, customer_email)


def _sandbox(host: str) -> Any:
    from .sandbox import Sandbox

    sandbox = Sandbox(host, 0)
    sandbox.start()
    sandbox.seed("demo")
    return sandbox


def _not_ready(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _site(portal: Portal, default_email: str) -> Any:
    """The sample site: one account page, its customer chosen by `?as=` (a stand-in for
    the site's own sign-in), the portal embedded for them."""
    from .web.embed import embed_snippet

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "/") != "/":
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not found"]
        chosen = parse_qs(environ.get("QUERY_STRING", "")).get("as", [default_email])[0]
        email = chosen if "@" in chosen and len(chosen) <= 254 else default_email
        page = _PAGE.format(
            email=html.escape(email),
            default=html.escape(default_email),
            portal=embed_snippet(portal, email),
        )
        body = page.encode()
        start_response(
            "200 OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Analytics · Billing</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2433; }}
  header {{ background: #1d2433; color: #fff; padding: .75rem 1.25rem; display: flex;
           flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center;
           justify-content: space-between; }}
  header a {{ color: #cfe0ff; }}
  main {{ max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; }}
  form {{ display: inline; }}
</style>
</head>
<body>
<header>
  <strong>Acme Analytics</strong>
  <span>Signed in as {email}
    <form method="get" action="/"><label>Switch to
      <input name="as" type="email" placeholder="someone@example.com" size="18"></label>
      <button>Go</button></form>
    <a href="/?as={default}">back to {default}</a></span>
</header>
<main>
  <h1>Billing</h1>
  {portal}
</main>
</body>
</html>
"""
