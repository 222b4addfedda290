"""The `billflow` command."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from . import __version__

DEFAULT_SANDBOX_PORT = 12111


def _is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine: 127.0.0.0/8, ::1 or localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _exposure_refused(command: str, args: argparse.Namespace, what: str) -> bool:
    """Say why `--host` beyond loopback needs `--expose-test-data`; True when refused."""
    if _is_loopback(args.host):
        return False
    if args.expose_test_data:
        print(f"billflow {command}: listening on {args.host}: {what}", file=sys.stderr)
        return False
    print(
        f"billflow {command}: --host {args.host} is not a loopback address, so {what}. "
        "Pass --expose-test-data to listen there anyway.",
        file=sys.stderr,
    )
    return True


_SANDBOX_EXPOSES = (
    "anyone who can reach it can read and change every object in the sandbox with its "
    "printed secret key"
)
_DEMO_EXPOSES = (
    "anyone who can reach it can open any customer's portal with ?as=, read the sign-in "
    "emails at /mail and use the Stripe sandbox behind it"
)


def _sandbox(args: argparse.Namespace) -> int:
    from billflow_sandbox import Sandbox

    if _exposure_refused("sandbox", args, _SANDBOX_EXPOSES):
        return 2
    sandbox = Sandbox(
        args.host,
        args.port,
        state_file=args.state,
        secret_key=os.environ.get("BILLFLOW_SANDBOX_SECRET_KEY", "sk_test_billflow_sandbox"),
        publishable_key=os.environ.get(
            "BILLFLOW_SANDBOX_PUBLISHABLE_KEY", "pk_test_billflow_sandbox"
        ),
    )
    try:
        sandbox.start()
    except OSError as error:
        print(
            f"billflow sandbox: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 1
    fresh = not sandbox.state.objects
    if args.seed and fresh:
        sandbox.seed(args.seed)
    url = sandbox.url
    print(f"Billflow Stripe sandbox listening on {url}")
    print(f"  secret key       {sandbox.secret_key}")
    print(f"  publishable key  {sandbox.publishable_key}")
    print(f"  Stripe.js        {url}/v3/")
    if args.state:
        print(f"  state file       {args.state}" + ("" if fresh else " (loaded)"))
    if args.seed and not fresh:
        print(f"  seed '{args.seed}' skipped: the state file already holds objects")
    print()
    print("  import stripe")
    print(f'  client = stripe.StripeClient("{sandbox.secret_key}",')
    print(f'                               base_addresses={{"api": "{url}"}})')
    print()
    _serve_until_stopped(sandbox.stop)
    return 0


def _serve_until_stopped(stop: Callable[[], None]) -> None:
    """Wait for Ctrl+C or SIGTERM, then `stop` what was started."""
    print("Press Ctrl+C to stop.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _secret_key() -> str:
    """The secret from BILLFLOW_SECRET_KEY, else asked for without echo. Never from the
    command line, where other users of the machine can read it."""
    secret = os.environ.get("BILLFLOW_SECRET_KEY", "")
    if not secret and sys.stdin.isatty():
        secret = getpass.getpass("BILLFLOW_SECRET_KEY: ")
    return secret


def _hash(args: argparse.Namespace) -> int:
    from .hashing import expiring_hash, hash_problem, user_hash
    from .settings import PortalSettings, SettingsError

    secret = _secret_key()
    if not secret:
        print(
            "billflow hash: set BILLFLOW_SECRET_KEY (or run in a terminal to be asked)",
            file=sys.stderr,
        )
        return 2
    refused = _hash_refusal(secret, args.identity)
    if refused:
        print(f"billflow hash: {refused}", file=sys.stderr)
        return 2
    if args.check is not None:
        # Checked as the portal checks it: the same environment says whether only the
        # expiring form is accepted.
        try:
            settings = PortalSettings.from_mapping(os.environ)
        except SettingsError as error:
            print(f"billflow hash: {error}", file=sys.stderr)
            return 2
        problem = hash_problem(
            secret, args.identity, args.check, require_expiring=settings.require_expiring_hash
        )
        if problem is None:
            print(f"valid for {args.identity!r}")
            return 0
        print(f"not valid for {args.identity!r}: {_HASH_PROBLEMS[problem]}")
        return 1
    if args.expires_in is not None:
        print(expiring_hash(secret, args.identity, int(time.time()) + args.expires_in))
    else:
        print(user_hash(secret, args.identity))
    return 0


def _hash_refusal(secret: str, identity: str) -> str | None:
    """Why no hash should be made or checked for `identity` with `secret`, or None. A
    hash made with a secret the portal refuses, or for an identity no page can pass,
    would only fail later, at a customer's page."""
    from .hashing import user_hash
    from .portal import check_secret_key
    from .settings import SettingsError

    try:
        check_secret_key(secret)
    except SettingsError as error:
        return str(error)
    if not identity.strip():
        return (
            "the identity is empty: give the customer's email or Stripe customer id "
            "(cus_...), exactly as the page passes it"
        )
    try:
        user_hash(secret, identity)
    except ValueError as error:  # control characters, which no page can pass
        return f"{error}: give the email or customer id exactly as the page passes it"
    return None


_HASH_PROBLEMS = MappingProxyType(
    {
        "malformed": "it is neither a 64-digit hex hash nor an '<expiry>.<hash>' expiring hash",
        "mismatch": "it was made with another secret key or for another identity "
        "(identities must match exactly, case included)",
        "expired": "it has expired",
        "expiring_required": "it is a plain hash, and the site requires the expiring form",
    }
)


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import check_config, quiet_stripe_logs

    with quiet_stripe_logs():
        findings = check_config(os.environ, api_base=args.api_base)
    for finding in findings:
        print(f"{finding.level:<8} {finding.message}")
    return 1 if any(f.level == "problem" for f in findings) else 0


def _demo(args: argparse.Namespace) -> int:
    from billflow_demo.site import PAUSE_PAGE, DemoError, start_demo

    if _exposure_refused("demo", args, _DEMO_EXPOSES):
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
    _serve_until_stopped(demo.stop)
    return 0


def _positive(text: str) -> int:
    """A number of seconds above zero. argparse names a type's own ValueError after the
    function ("invalid _positive value"), so every refusal here is a sentence of its own."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of seconds above zero, such as 3600, not {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The `billflow` command line, one subcommand per job."""
    parser = argparse.ArgumentParser(
        prog="billflow", description="Billflow: a self-hosted customer portal for Stripe."
    )
    parser.add_argument("--version", action="version", version=f"billflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sandbox = commands.add_parser(
        "sandbox",
        help="run the Stripe-compatible sandbox for offline tests and demos",
        description="Serve a stateful, Stripe-compatible API on loopback. stripe-python "
        "talks to it with StripeClient(key, base_addresses={'api': URL}).",
    )
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sandbox.add_argument(
        "--port",
        type=int,
        default=DEFAULT_SANDBOX_PORT,
        help=f"port (default {DEFAULT_SANDBOX_PORT}; 0 picks a free one)",
    )
    sandbox.add_argument(
        "--seed",
        choices=("demo", "empty"),
        default=None,
        help="create a catalog at start (skipped when --state already has one)",
    )
    sandbox.add_argument(
        "--state",
        metavar="FILE",
        default=None,
        help="load state from FILE if it exists, and save every change to it",
    )
    sandbox.add_argument(
        "--expose-test-data",
        action="store_true",
        help="allow a --host beyond loopback, where anyone who reaches it reads and "
        "changes the sandbox's data",
    )
    sandbox.set_defaults(run=_sandbox)

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
    demo.set_defaults(run=_demo)

    hashing = commands.add_parser(
        "hash",
        help="print or check the identity hash of an email or customer id",
        description="Print the identity hash a page needs for IDENTITY, or check one when "
        "debugging a 403. The secret key comes from BILLFLOW_SECRET_KEY, or a prompt.",
    )
    hashing.add_argument("identity", help="the customer's email or Stripe customer id (cus_...)")
    form = hashing.add_mutually_exclusive_group()
    form.add_argument(
        "--expires-in",
        type=_positive,
        metavar="SECONDS",
        help="print the expiring form, valid for SECONDS from now",
    )
    form.add_argument("--check", metavar="HASH", help="check HASH instead of printing one")
    hashing.set_defaults(run=_hash)

    doctor = commands.add_parser(
        "doctor",
        help="check the configuration against the Stripe account",
        description="Check the key's mode, the plans on offer, quantity metadata and the "
        "webhook endpoint, reading the same BILLFLOW_* environment as the portal. Exits 1 "
        "when something would break the portal.",
    )
    doctor.add_argument(
        "--api-base",
        metavar="URL",
        default=None,
        help="talk to this Stripe-compatible API (the sandbox) instead of Stripe",
    )
    doctor.set_defaults(run=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `billflow`; returns the exit status."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
