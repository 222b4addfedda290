"""`flask billflow hash` and `flask billflow doctor`, for any app that set Billflow up."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from billflow_core import expiring_hash, user_hash
from billflow_core.doctor import run_checks

from .extension import BillflowConfigError, BillflowState, state

__all__ = ["billflow_cli"]


@click.group("billflow", help="Billflow's customer portal: hashes and configuration checks.")
def billflow_cli() -> None:
    pass


@billflow_cli.command("hash")
@click.argument("identity")
@click.option(
    "--expires-in",
    type=int,
    default=None,
    help="Seconds the hash works (the expiring form); default: the plain form.",
)
@with_appcontext
def hash_command(identity: str, expires_in: int | None) -> None:
    """The identity hash of IDENTITY (an email or a cus_… id) with the app's secret key."""
    _state()  # the app set Billflow up, so its secret key was checked
    secret = str(current_app.config["BILLFLOW_SECRET_KEY"])
    if expires_in is None:
        click.echo(user_hash(secret, identity))
    else:
        click.echo(expiring_hash(secret, identity, int(time.time()) + expires_in))


@billflow_cli.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the app's configuration against its Stripe account."""
    portal = _state().portal
    findings = run_checks(
        portal.gateway,
        portal.settings,
        webhook_secret=current_app.config.get("BILLFLOW_STRIPE_WEBHOOK_SECRET"),
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
