"""`billflow sandbox`: serve the sandbox on loopback until stopped.

The `billflow` command finds this through the `billflow.commands` entry point group, so the
core's command line never imports the sandbox. `is_loopback`, `exposure_refused` and
`serve_until_stopped` are shared with `billflow demo`, which starts the sandbox too.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Callable

__all__ = [
    "DEFAULT_PORT",
    "add_command",
    "exposure_refused",
    "is_loopback",
    "serve_until_stopped",
]

DEFAULT_PORT = 12111

_EXPOSES = (
    "anyone who can reach it can read and change every object in the sandbox with its "
    "printed secret key"
)


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine: 127.0.0.0/8, ::1 or localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_refused(command: str, args: argparse.Namespace, what: str) -> bool:
    """Say why `--host` beyond loopback needs `--expose-test-data`; True when refused."""
    if is_loopback(args.host):
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


def serve_until_stopped(stop: Callable[[], None]) -> None:
    """Wait for Ctrl+C or SIGTERM, then `stop` what was started."""
    print("Press Ctrl+C to stop.", flush=True)
    stopped = threading.Event()
    # Both set explicitly: a process started in the background inherits SIGINT ignored,
    # and Ctrl+C (or a test's SIGINT) would then never reach it.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        stop()


def _run(args: argparse.Namespace) -> int:
    from .server import Sandbox

    if exposure_refused("sandbox", args, _EXPOSES):
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
    serve_until_stopped(sandbox.stop)
    return 0


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `billflow sandbox` to the subcommands of the `billflow` command line."""
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
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
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
    sandbox.set_defaults(run=_run)
