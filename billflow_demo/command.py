"""`billflow demo`: start the demo site and print where to find its parts.

The `billflow` command finds this through the `billflow.commands` entry point group, so the
core's command line never imports the demo or the sandbox behind it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from billflow_sandbox.command import exposure_refused, serve_until_stopped

__all__ = ["add_command"]

_EXPOSES = (
    "anyone who can reach it can open any customer's portal with ?as=, read the sign-in "
    "emails at /mail and use the Stripe sandbox behind it"
)


def _run(args: argparse.Namespace) -> int:
    from .site import PAUSE_PAGE, DemoError, start_demo

    if exposure_refused("demo", args, _EXPOSES):
        return 2
    site: list[str] = []

    def on_mail(mail: Any) -> None:  # the message's link is for the mailbox page, not a log
        to = ", ".join(mail.recipients)
        print(f"  mail             to {to}: {mail.subject!r}, at {site[0]}/mail", flush=True)

    try:
        demo = start_demo(args.host, args.port, environ=os.environ, on_mail=on_mail)
    except DemoError as error:
        print(f"billflow demo: {error}", file=sys.stderr)
        return 1
    site.append(demo.url)
    where = "the built-in Stripe sandbox" if demo.sandbox else "your Stripe test account"
    print(f"Billflow demo: open {demo.url}/ in a browser", flush=True)
    print(f"  signed in as     {demo.customer_email} (add ?as=someone@example.com to switch)")
    if demo.portal.settings.email_sign_in:
        print(f"  email sign-in    {demo.url}/billing (a page with no login: sign in by email)")
    if demo.mailbox is not None:
        print(f"  mailbox          {demo.url}/mail (the sign-in emails, from an SMTP server on "
              f"{demo.mailbox.host}:{demo.mailbox.port})")  # fmt: skip
    elif not demo.portal.settings.email_sign_in:
        print("  email sign-in    pip install 'billflow[demo]' to try it (needs aiosmtpd)")
    print(f"  pausing          {demo.url}{PAUSE_PAGE} (a pause instead of cancelling)")
    print(f"  portal API       {demo.url}/billflow/api/openapi.json (its OpenAPI document)")
    print(f"  Stripe           {where}" + (f" at {demo.sandbox.url}" if demo.sandbox else ""))
    print("  test cards       4242 4242 4242 4242 (works), 4000 0000 0000 0002 (declined),")
    print("                   4000 0027 6000 3184 (asks for authentication)")
    print()
    serve_until_stopped(demo.stop)
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `billflow demo` to the subcommands of the `billflow` command line."""
    demo = commands.add_parser(
        "demo",
        help="run the portal on a sample site, with the sandbox behind it",
        description="Start the Stripe sandbox with a demo account and a sample site with the "
        "portal embedded for its signed-in customer. With BILLFLOW_STRIPE_API_KEY set to a "
        "test key (sk_test_...), use that Stripe account instead; live keys are refused.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    demo.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    demo.add_argument(
        "--expose-test-data",
        action="store_true",
        help="allow a --host beyond loopback, where anyone who reaches it opens any "
        "customer's portal (?as=), reads the sign-in emails (/mail) and uses the sandbox",
    )
    demo.set_defaults(run=_run)
