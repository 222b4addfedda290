"""The `billflow` command.

Its own subcommands are `hash` and `doctor`; others come from the `billflow.commands` entry
point group, each a callable that adds its subparser, so the core never imports what they
run. Billflow's distribution plugs in `sandbox` (from `billflow_sandbox`) and `demo` (from
`billflow_demo`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from types import MappingProxyType

from .version import __version__

COMMANDS_GROUP = "billflow.commands"

# The commands Billflow plugs in itself, in the order `billflow --help` lists them, before
# its own; a command another distribution plugs in comes after these, by name.
_FIRST = ("sandbox", "demo")


def _plugged_commands() -> list[metadata.EntryPoint]:
    found = {ep.name: ep for ep in metadata.entry_points(group=COMMANDS_GROUP)}
    first = [found.pop(name) for name in _FIRST if name in found]
    return first + [found[name] for name in sorted(found)]


def _add_plugged(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    entry_point: metadata.EntryPoint,
) -> None:
    """Add the subcommand `entry_point` names; one whose code cannot be imported (an extra
    not installed) is still listed, and says what to install when run."""
    try:
        add_command = entry_point.load()
    except ImportError as error:
        refusal = _unavailable(entry_point, error)
        unavailable = commands.add_parser(entry_point.name, help=refusal, add_help=False)
        unavailable.set_defaults(run=lambda _: _refuse(entry_point.name, refusal), loose=True)
        return
    add_command(commands)


def _unavailable(entry_point: metadata.EntryPoint, error: ImportError) -> str:
    """What to install for a command whose code failed to import with `error`, in a
    sentence: the extra the entry point names, or the one that requires the missing module."""
    extra = entry_point.extras[0] if entry_point.extras else _extra_with(error.name)
    if extra is not None:
        return f"needs the '{extra}' extra: pip install 'billflow[{extra}]'"
    return f"cannot be loaded ({error}): reinstall Billflow"


def _extra_with(module: str | None) -> str | None:
    """The extra of Billflow's that installs `module`, if one does (never `dev` or `all`)."""
    if not module:
        return None
    wanted = _normal(module.partition(".")[0])
    try:
        requirements = metadata.requires("billflow") or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
        if name and extra and _normal(name[0]) == wanted and extra[1] not in ("dev", "all"):
            return extra[1]
    return None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _refuse(command: str, refusal: str) -> int:
    print(f"billflow {command}: {refusal}", file=sys.stderr)
    return 1


def _secret_key() -> str:
    """The secret from BILLFLOW_SECRET_KEY, else asked for without echo. Never from the
    command line, where other users of the machine can read it."""
    secret = os.environ.get("BILLFLOW_SECRET_KEY", "")
    if not secret and sys.stdin.isatty():
        secret = getpass.getpass("BILLFLOW_SECRET_KEY: ")
    return secret


def _hash(args: argparse.Namespace) -> int:
    from .errors import SettingsError
    from .identity.hashing import expiring_hash, hash_problem, user_hash
    from .settings import PortalSettings

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
    from .config import check_secret_key
    from .errors import SettingsError
    from .identity.hashing import user_hash

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
    for entry_point in _plugged_commands():
        _add_plugged(commands, entry_point)

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
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "loose", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
