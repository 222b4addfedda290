"""A small site that embeds the portal, for the browser tests: its pages and the portal's API
behind them, served by one WSGI app on loopback, with the sandbox as Stripe.

`/` is a page made with `embed_snippet` for the demo customer (or `?as=` someone else,
`?only=` one subscription); `/hosted` is the snippet hosted Billflow documents, with
`window.billflowSettings` and only our script tag; `/app` has the script and an empty
`<div id="app">` for a test to call `Billflow.mount` on, as a single-page app does;
`/strict` is the snippet alone under docs/embedding.md's Content-Security-Policy. Each but
the last records the events the script sends to `handleResponse` in `window.billflowEvents`; one
named in `window.stopAt` throws.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from markupsafe import escape

from billflow_core import user_hash
from billflow_core.portal import Portal
from billflow_core.settings import PortalSettings
from billflow_core.web import PortalAPI, make_wsgi_app
from billflow_core.web.embed import embed_snippet, settings_json
from billflow_core.web.serve import ThreadingWSGIServer, start_server
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_EMAIL

SECRET = "browser-test-secret-0123456789"

# What a site's own script does with the events: here, keep them for the test to read.
RECORDER = """<script>
window.billflowEvents = [];
window.billflowSettings = Object.assign(window.billflowSettings || {}, {
  handleResponse: (e) => {
    window.billflowEvents.push(JSON.parse(JSON.stringify(e)));
    if (e.event === window.stopAt) throw new Error('The site says no.');
  },
});
</script>"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your account</title>
<link rel="icon" href="data:,">
</head>
<body>
<main>
<h1>Your account</h1>
{body}
</main>
</body>
</html>
"""


@dataclass
class PortalSite:
    url: str
    portal: Portal
    sandbox: Sandbox
    ids: dict[str, Any]
    server: ThreadingWSGIServer

    @property
    def team(self) -> str:
        """The demo customer's subscription to the Team plan (monthly)."""
        return str(self.ids["subscriptions"][0])

    @property
    def seats(self) -> str:
        """The demo customer's subscription to three seats."""
        return str(self.ids["subscriptions"][1])

    def price(self, lookup: str) -> str:
        return str(self.ids["prices"][lookup])

    def page(self, path: str = "/", **query: str) -> str:
        return f"{self.url}{path}" + (f"?{urlencode(query)}" if query else "")

    def subscription(self, subscription_id: str) -> Any:
        return self.sandbox.client().v1.subscriptions.retrieve(
            subscription_id, {"expand": ["discounts.source.coupon"]}
        )

    def subscription_writes(self, subscription_id: str) -> list[Any]:
        return [
            w for w in self.sandbox.writes() if w.path == f"/v1/subscriptions/{subscription_id}"
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def open_site(sandbox: Sandbox, ids: dict[str, Any], options: dict[str, Any]) -> PortalSite:
    """Serve a site embedding a portal with `options` (as a Wagtail settings row names them)."""
    template_dirs = options.pop("template_dirs", ())
    mailer = options.pop("mailer", None)  # for email sign-in
    portal = Portal(
        PortalSettings.from_mapping(options, prefix=None),
        mailer=mailer,
        secret_key=SECRET,
        stripe_api_key=sandbox.secret_key,
        stripe_api_base=sandbox.url,
        stripe_publishable_key=sandbox.publishable_key,
        stripe_js_url=f"{sandbox.url}/v3/",
    )
    api = PortalAPI(portal, template_dirs=template_dirs)
    server = start_server(make_wsgi_app(api, fallback=_host(portal, sandbox.url)))
    return PortalSite(f"http://127.0.0.1:{server.server_address[1]}", portal, sandbox, ids, server)


def strict_policy(stripe: str) -> str:
    """docs/embedding.md's Content-Security-Policy for a page with the portal, with the
    sandbox's origin where Stripe's are (Stripe.js, its frames and its API)."""
    return (
        f"default-src 'self'; script-src 'self' {stripe}; style-src 'self'; "
        f"connect-src 'self' {stripe}; frame-src {stripe}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'"
    )


def _host(portal: Portal, stripe: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        identity = query.get("as", DEMO_EMAIL)
        path = environ.get("PATH_INFO", "/")
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/strict":  # the snippet alone, under the documented policy
            body = str(embed_snippet(portal, identity))
            headers.append(("Content-Security-Policy", strict_policy(stripe)))
        elif path == "/":
            snippet = embed_snippet(portal, identity, subscription=query.get("only"))
            body = RECORDER + str(snippet)
        elif path == "/app":
            body = RECORDER + '<div id="app"></div><script src="/billflow/embed.js"></script>'
        elif path == "/hosted":
            body = _hosted(identity, query.get("only"), query.get("var", "billflowSettings"))
            if "inject" in query:  # markup a visitor left in the page (a comment, a profile)
                body = f'<div data-billflow data-api="{escape(query["inject"])}"></div>' + body
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", headers)
        return [PAGE.format(body=body).encode()]

    return app


def _hosted(identity: str, only: str | None, name: str) -> str:
    """Hosted Billflow's snippet, word for word but for the script's address. `name` is the
    settings' variable: `billflowSettings`, or `servicebotSettings` as older sites have it."""
    settings: dict[str, Any] = {"email": identity, "hash": user_hash(SECRET, identity)}
    if only:
        settings["subscription_id"] = only
    return (
        '<div id="billflow-embed"></div>\n'
        f"<script>window.{name} = {settings_json(settings)};</script>\n"
        f"{RECORDER}\n"
        f'<script src="/billflow/embed.js"></script>'
    )
