"""`flask billflow hash` and `flask billflow doctor`, for any app that set Billflow up."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import ScriptInfo

from billflow_core import expiring_hash, user_hash
from billflow_core.doctor import quiet_stripe_logs, run_checks
from billflow_core.errors import SettingsError
from billflow_core.web import DEFAULT_PREFIX

from ._state import BillflowConfigError, BillflowState, state

__all__ = ["billflow_cli"]

F = TypeVar("F", bound=Callable[..., Any])


def _with_app(command: F) -> F:
    """Flask's `with_appcontext`, with one difference: an app whose factory Billflow
    refuses (no Stripe key, a short secret key) is one line naming the setting, exit 1,
    instead of a traceback through Flask's loader."""

    @click.pass_context
    def run(context: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        if not current_app:
            try:
                app = context.ensure_object(ScriptInfo).load_app()
            except SettingsError as error:  # BillflowConfigError is one
                raise click.ClickException(str(error)) from None
            context.with_resource(app.app_context())
        return context.invoke(command, *args, **kwargs)

    return functools.update_wrapper(run, command)  # type: ignore[return-value]


def _identity(context: click.Context, parameter: click.Parameter, value: str) -> str:
    """A hash for an empty identity would never match a page's: refuse it here."""
    if not value.strip():
        raise click.BadParameter(
            "it is empty: give the customer's email or Stripe customer id (cus_...), exactly "
            "as the page passes it"
        )
    return value


def _seconds(context: click.Context, parameter: click.Parameter, value: int | None) -> int | None:
    """A lifetime of zero or less makes a hash expired before it is used."""
    if value is not None and value <= 0:
        raise click.BadParameter(
            f"must be a whole number of seconds above zero, such as 3600, not {value}"
        )
    return value


@click.group("billflow", help="Billflow's customer portal: hashes and configuration checks.")
def billflow_cli() -> None:
    pass


@billflow_cli.command("hash")
@click.argument("identity", callback=_identity)
@click.option(
    "--expires-in",
    type=int,
    default=None,
    callback=_seconds,
    help="Seconds the hash works (the expiring form); default: the plain form.",
)
@_with_app
def hash_command(identity: str, expires_in: int | None) -> None:
    """The identity hash of IDENTITY (an email or a cus_… id) with the app's secret key."""
    _state()  # the app set Billflow up, so its secret key was checked
    secret = str(current_app.config["BILLFLOW_SECRET_KEY"])
    try:
        if expires_in is None:
            made = user_hash(secret, identity)
        else:
            made = expiring_hash(secret, identity, int(time.time()) + expires_in)
    except ValueError as error:  # control characters, which no page can pass
        raise click.BadParameter(str(error), param_hint="IDENTITY") from None
    click.echo(made)


@billflow_cli.command("doctor")
@_with_app
def doctor_command() -> None:
    """Check the app's configuration against its Stripe account."""
    portal = _state().portal
    with quiet_stripe_logs():
        findings = run_checks(
            portal.gateway,
            portal.settings,
            webhook_secret=current_app.config.get("BILLFLOW_STRIPE_WEBHOOK_SECRET"),
            prefix=str(current_app.config.get("BILLFLOW_URL_PREFIX") or DEFAULT_PREFIX).rstrip("/"),
        )
    for finding in findings:
        click.echo(f"{finding.level:<8} {finding.message}")
    if any(f.level == "problem" for f in findings):
        raise SystemExit(1)


def _state() -> BillflowState:
    try:
        return state()
    except BillflowConfigError as error:
        raise click.ClickException(str(error)) from None
