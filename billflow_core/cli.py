"""The `billflow` command."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

from . import __version__

DEFAULT_SANDBOX_PORT = 12111


def _sandbox(args: argparse.Namespace) -> int:
    from .sandbox import Sandbox

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
    print("Press Ctrl+C to stop.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


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
    sandbox.set_defaults(run=_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `billflow`; returns the exit status."""
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
