"""`billflow demo`: the portal as a customer meets it, in one command.

The sandbox starts with a believable account (three tiers monthly and yearly, seats with
quantity on, a promotion code, Ada Lovelace with a year of invoices), and a small sample site
serves a page with the portal embedded for its signed-in customer, the portal's API under
`/billflow`, and Stripe's webhooks delivered to it. With `BILLFLOW_STRIPE_API_KEY` set to a
test key, the same site runs against that Stripe account instead; live keys are refused.

A second page, `/billing`, is the portal on a site with no login of its own: the visitor
signs in by email. The sign-in emails go to the sandbox's SMTP server on loopback, and
`/mail` shows what it received (unless `BILLFLOW_SMTP_HOST` names a real mail server).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from billflow_core.doctor import NEEDED_EVENTS
from billflow_core.portal import Portal
from billflow_core.stripe.gateway import is_live_key
from billflow_core.web.framing import with_frame_ancestors

__all__ = ["DEMO_OPTIONS", "PAUSE_PAGE", "Demo", "DemoError", "start_demo"]

# What the demo switches on beyond the defaults, so every action can be tried. The
# environment's BILLFLOW_* options still win.
DEMO_OPTIONS: Mapping[str, Any] = {
    "BILLFLOW_COUPONS": True,
    "BILLFLOW_CHANGE_PLAN_ON_RESUBSCRIBE": True,
    "BILLFLOW_COUPONS_ON_RESUBSCRIBE": True,
    "BILLFLOW_PLAN_PICKER": True,
    "BILLFLOW_RETENTION_OFFER": '{"coupon": "WELCOME20", "reasons": ["too_expensive"]}',
    "BILLFLOW_BILLING_DETAILS": True,
    "BILLFLOW_TAX_IDS": True,
}

# Email sign-in on the `/billing` page; the environment's BILLFLOW_* options still win.
_SIGN_IN_OPTIONS: Mapping[str, Any] = {
    "BILLFLOW_EMAIL_SIGN_IN": True,
    "BILLFLOW_COMPANY_NAME": "Acme Analytics",
    "BILLFLOW_SIGN_IN_FROM_ADDRESS": "billing@acme.example",
}

# The events the portal acts on (Stripe has no `promotion_code.deleted`: codes are switched
# off, not deleted).
_WEBHOOK_EVENTS = list(NEEDED_EVENTS)


class DemoError(Exception):
    """The demo cannot start; the message says why and what to do."""


@dataclass
class Demo:
    url: str
    portal: Portal
    sandbox: Any  # the Sandbox, or None against a Stripe test account
    server: Any
    customer_email: str
    mailbox: Any = None  # the sandbox's Mailbox the sign-in emails go to, if it runs

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.mailbox is not None:
            self.mailbox.stop()
        if self.sandbox is not None:
            self.sandbox.stop()


def start_demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    environ: Mapping[str, str],
    on_mail: Callable[[Any], None] | None = None,
) -> Demo:
    """Start the sandbox (unless a Stripe test key is given), its mail server (unless
    `BILLFLOW_SMTP_HOST` is set, or aiosmtpd is not installed) and the sample site.
    `on_mail` hears of each message the mail server takes."""
    from billflow_core.web import PortalAPI, make_wsgi_app
    from billflow_core.web.serve import start_server

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
    # On loopback whatever the host: anyone who opens /mail reads what it received.
    mailbox = None if "BILLFLOW_SMTP_HOST" in environ else _mailbox("127.0.0.1", on_mail)
    if mailbox is not None:
        config.update(BILLFLOW_SMTP_HOST=mailbox.host, BILLFLOW_SMTP_PORT=str(mailbox.port))
    if mailbox is not None or "BILLFLOW_SMTP_HOST" in environ:
        for name, value in _SIGN_IN_OPTIONS.items():
            config.setdefault(name, value)
        config.setdefault("BILLFLOW_SIGN_IN_REDIRECT_URL", f"{url}/billing")
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
        if mailbox is not None:
            mailbox.stop()
        if sandbox is not None:
            sandbox.stop()
        raise
    api = PortalAPI(portal)
    server.set_app(make_wsgi_app(api, fallback=_site(portal, customer_email, mailbox)))
    return Demo(url, portal, sandbox, server, customer_email, mailbox)


def _sandbox(host: str) -> Any:
    from billflow_sandbox import Sandbox

    sandbox = Sandbox(host, 0)
    sandbox.start()
    sandbox.seed("demo")
    return sandbox


def _mailbox(host: str, on_mail: Callable[[Any], None] | None) -> Any:
    """The sandbox's SMTP server, or None without aiosmtpd (`billflow[demo]`)."""
    from billflow_sandbox.mailbox import Mailbox, MailboxUnavailable

    try:
        return Mailbox(host, 0, on_mail=on_mail).start()
    except MailboxUnavailable:
        return None


def _not_ready(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting"]


def _site(portal: Portal, default_email: str, mailbox: Any) -> Any:
    """The sample site: an account page for its signed-in customer (chosen by `?as=`, a
    stand-in for the site's own login), a billing page for visitors it does not know (email
    sign-in), and the mailbox of the demo's mail server."""
    from billflow_core.web.embed import embed_snippet

    sign_in = portal.settings.email_sign_in

    def account(query: str) -> str:
        asked = parse_qs(query)
        chosen = asked.get("as", [default_email])[0]
        email = chosen if "@" in chosen and len(chosen) <= 254 else default_email
        header = _SWITCH.format(email=html.escape(email), default=html.escape(default_email))
        snippet = embed_snippet(portal, email, overrides=_page_options(asked))
        return _page("Billing", header, str(snippet), sign_in, mailbox)

    def billing(query: str) -> str | None:
        if not sign_in:
            return None
        return _page("Billing", _NO_LOGIN, str(embed_snippet(portal, None)), sign_in, mailbox)

    def mail(query: str) -> str | None:
        if mailbox is None:
            return None
        return _page("Mailbox", "", _mail_list(mailbox.messages), sign_in, mailbox)

    pages: dict[str, Callable[[str], str | None]] = {
        "/": account, "/billing": billing, "/mail": mail
    }  # fmt: skip

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        found = pages.get(environ.get("PATH_INFO", "/"))
        page = found(environ.get("QUERY_STRING", "")) if found else None
        if page is None:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"Not found"]
        body = page.encode()
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "private, no-store"),
                ("Content-Security-Policy", with_frame_ancestors(None)),
                ("Referrer-Policy", "no-referrer"),
            ],
        )
        return [body]

    return app


# The account page's address with pausing on: Stripe's pause_collection instead of
# cancelling, a page option, so the plain page still shows cancelling and the retention offer.
PAUSE_PAGE = "/?pause=on"


def _page_options(asked: Mapping[str, list[str]]) -> dict[str, Any]:
    """The account page's own options: `?pause=on` offers a pause instead of cancelling."""
    return {"pause_instead_of_cancel": True} if asked.get("pause") == ["on"] else {}


def _page(title: str, header: str, main: str, sign_in: bool, mailbox: Any) -> str:
    links = ['<a href="/">Account</a>', f'<a href="{PAUSE_PAGE}">Pausing</a>']
    if sign_in:
        links.append('<a href="/billing">Billing without a login</a>')
    if mailbox is not None:
        links.append('<a href="/mail">Mailbox</a>')
    return _PAGE.format(title=title, nav=" ".join(links), header=header, main=main)


_URL = re.compile(r"https?://[^\s<>\"']+")


def _mail_list(messages: list[Any]) -> str:
    """The mail server's messages, newest first, their plain text with its links live."""
    if not messages:
        return (
            "<p>No mail yet. Ask for a sign-in link on the "
            '<a href="/billing">billing page</a>; it arrives here.</p>'
        )
    items = []
    for mail in reversed(messages):
        sent = dt.datetime.fromtimestamp(mail.received_at).strftime("%H:%M:%S")
        text = html.escape(mail.text())
        text = _URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', text)
        items.append(
            f"<article><h2>{html.escape(mail.subject)}</h2>"
            f"<p class=meta>To {html.escape(', '.join(mail.recipients))} · "
            f"from {html.escape(str(mail.message.get('From', '')))} · {sent}</p>"
            f"<pre>{text}</pre></article>"
        )
    return "".join(items)


_SWITCH = """<span>Signed in as {email}
    <form method="get" action="/"><label>Switch to
      <input name="as" type="email" placeholder="someone@example.com" size="18"></label>
      <button>Go</button></form>
    <a href="/?as={default}">back to {default}</a></span>"""

_NO_LOGIN = """<span>No login here: the portal signs visitors in by email
    (try ada@example.com)</span>"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Analytics · {title}</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2433; }}
  header {{ background: #1d2433; color: #fff; padding: .75rem 1.25rem; display: flex;
           flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center;
           justify-content: space-between; }}
  header a {{ color: #cfe0ff; }}
  nav {{ display: flex; gap: 1rem; }}
  main {{ max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; }}
  form {{ display: inline; }}
  article {{ background: #fff; border: 1px solid #c9cdd5; border-radius: 8px;
            padding: 1rem; margin-block: 1rem; }}
  article h2 {{ font-size: 1.1rem; margin: 0; }}
  .meta {{ color: #535a69; margin: .25rem 0 .75rem; }}
  pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font: inherit; margin: 0; }}
</style>
</head>
<body>
<header>
  <strong>Acme Analytics</strong>
  <nav>{nav}</nav>
  {header}
</header>
<main>
  <h1>{title}</h1>
  {main}
</main>
</body>
</html>
"""
