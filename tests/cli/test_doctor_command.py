"""`billflow doctor` against the sandbox: a sound configuration passes, each kind of
mistake is named plainly and makes the command fail."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import stripe

from billflow_demo.site import DEMO_OPTIONS
from billflow_sandbox import Sandbox
from billflow_sandbox.seed import DEMO_SERVICE

BILLFLOW = Path(sys.executable).parent / "billflow"
SECRET = "a site's secret key, long enough"
SHORT_SECRET = "BILLFLOW_SECRET_KEY must be a random string of at least 16 characters"


def doctor(sandbox: Sandbox, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_"))}
    return subprocess.run(
        [str(BILLFLOW), "doctor", "--api-base", sandbox.url],
        capture_output=True,
        text=True,
        env={
            **clean,
            "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key,
            "BILLFLOW_SECRET_KEY": SECRET,
            **env,
        },
        timeout=60,
    )


def test_a_sound_configuration_passes(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.seed("demo")
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {"url": "https://example.com/billflow/stripe/webhook", "enabled_events": ["*"]}
    )
    result = doctor(
        stripe_sandbox,
        BILLFLOW_SERVICE=DEMO_SERVICE,
        BILLFLOW_STRIPE_WEBHOOK_SECRET=endpoint.secret,
    )
    assert result.returncode == 0, result.stdout
    assert "ok       test mode key" in result.stdout
    assert f"6 plans in 1 service(s): {DEMO_SERVICE}" in result.stdout
    assert "problem" not in result.stdout and "warning" not in result.stdout
    assert result.stderr == ""


def test_mistakes_are_named_and_fail_the_command(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.seed("demo")
    odd = stripe_client.v1.products.create(
        {
            "name": "Odd",
            "metadata": {
                "sb_service": "odd",
                "sb_quantity_enabled": "true",
                "sb_quantity_min": "9",
                "sb_quantity_max": "three",
            },
        }
    )
    stripe_client.v1.prices.create(
        {
            "product": odd.id,
            "currency": "usd",
            "unit_amount": 100,
            "recurring": {"interval": "month"},
        }
    )
    result = doctor(stripe_sandbox, BILLFLOW_SERVICE="no-such-service")

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    no_plans = (
        "problem  no plans to offer: no active recurring prices of products with "
        "sb_service=no-such-service"
    )
    bad_bound = (
        f"problem  product {odd.id}: sb_quantity_max='three' must be a whole number of at least 1"
    )
    assert no_plans in lines
    assert bad_bound in lines
    # Without webhooks the portal still works, its catalog a little late: one warning.
    webhook = [line for line in lines if "webhook" in line]
    assert len(webhook) == 1 and webhook[0].startswith(
        "warning  BILLFLOW_STRIPE_WEBHOOK_SECRET is not set and no webhook endpoint receives"
    )


def test_a_missing_or_refused_key_is_said_plainly(stripe_sandbox: Sandbox) -> None:
    missing = subprocess.run(
        [str(BILLFLOW), "doctor"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        timeout=60,
    )
    assert missing.returncode == 1
    assert missing.stdout.splitlines() == [
        "problem  BILLFLOW_STRIPE_API_KEY is not set (the Stripe secret key)"
    ]

    refused = doctor(stripe_sandbox, BILLFLOW_STRIPE_API_KEY="sk_test_" + "w" * 24)
    assert refused.returncode == 1
    assert (
        "problem  Stripe refused the API key sk_test_…wwww: set BILLFLOW_STRIPE_API_KEY to a "
        "secret key of the account (Stripe dashboard, Developers, API keys)"
    ) in refused.stdout.splitlines()
    assert "w" * 24 not in refused.stdout + refused.stderr
    assert refused.stderr == ""  # no log line repeating it

    typo = doctor(stripe_sandbox, BILLFLOW_CHANGE_PLNA="true")
    assert typo.returncode == 1
    assert "BILLFLOW_CHANGE_PLNA is not a Billflow option" in typo.stdout


def test_an_outage_halfway_through_is_a_finding_not_a_traceback(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.seed("demo")
    stripe_sandbox.fault("GET /v1/webhook_endpoints", "500", times=5)
    result = doctor(stripe_sandbox, BILLFLOW_SERVICE=DEMO_SERVICE)
    assert result.returncode == 1
    assert (
        f"problem  could not list webhook endpoints: {stripe_sandbox.url} answered HTTP 500 "
        "(a server error)"
    ) in result.stdout.splitlines()
    assert result.stderr == ""


def test_emails_several_customers_share_are_listed(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    stripe_sandbox.seed("demo")
    endpoint = stripe_client.v1.webhook_endpoints.create(
        {"url": "https://example.com/billflow/stripe/webhook", "enabled_events": ["*"]}
    )
    first = stripe_client.v1.customers.create({"email": "bob@example.com"})
    second = stripe_client.v1.customers.create({"email": "bob@example.com"})
    stripe_client.v1.customers.create({"email": "carol@example.com"})
    result = doctor(
        stripe_sandbox,
        BILLFLOW_SERVICE=DEMO_SERVICE,
        BILLFLOW_STRIPE_WEBHOOK_SECRET=endpoint.secret,
    )

    assert result.returncode == 0, result.stdout  # a warning: the portal still works
    ids = ", ".join(sorted([first.id, second.id]))
    assert f"warning  2 customers share the email bob@example.com: {ids}" in result.stdout
    assert "carol@example.com" not in result.stdout


def test_the_secret_key_is_checked_as_the_portal_checks_it(stripe_sandbox: Sandbox) -> None:
    stripe_sandbox.seed("demo")
    for secret in ("", "abc"):
        result = doctor(stripe_sandbox, BILLFLOW_SECRET_KEY=secret, BILLFLOW_SERVICE=DEMO_SERVICE)
        assert result.returncode == 1
        named = [line for line in result.stdout.splitlines() if SHORT_SECRET in line]
        assert len(named) == 1 and named[0].startswith("problem  "), result.stdout
        assert "ok       test mode key" in result.stdout  # Stripe is still checked


def test_every_setting_the_portal_refuses_is_a_problem(stripe_sandbox: Sandbox) -> None:
    stripe_sandbox.seed("demo")
    rotated = doctor(stripe_sandbox, BILLFLOW_SECRET_KEY_PREVIOUS=SECRET)
    assert rotated.returncode == 1
    assert "problem  BILLFLOW_SECRET_KEY_PREVIOUS must be the secret key before" in rotated.stdout
    sign_in = {
        "BILLFLOW_EMAIL_SIGN_IN": "true",
        "BILLFLOW_COMPANY_NAME": "Acme",
        "BILLFLOW_SIGN_IN_FROM_ADDRESS": "billing@acme.example",
        "BILLFLOW_SIGN_IN_REDIRECT_URL": "https://acme.example/billing",
    }
    no_mail = doctor(stripe_sandbox, **sign_in)
    assert no_mail.returncode == 1
    assert "problem  email_sign_in needs a mailer: set BILLFLOW_SMTP_HOST" in no_mail.stdout
    swapped = doctor(stripe_sandbox, BILLFLOW_STRIPE_PUBLISHABLE_KEY=stripe_sandbox.secret_key)
    assert swapped.returncode == 1
    assert "problem  BILLFLOW_STRIPE_PUBLISHABLE_KEY must be the pk_ key" in swapped.stdout


def test_an_unreachable_stripe_is_told_from_a_refused_key(stripe_sandbox: Sandbox) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = subprocess.run(
        [str(BILLFLOW), "doctor", "--api-base", closed],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "BILLFLOW_SECRET_KEY": SECRET,
             "BILLFLOW_STRIPE_API_KEY": "sk_test_" + "w" * 24},
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        f"problem  could not list prices: cannot connect to {closed}: Connection refused"
    ) in result.stdout.splitlines()
    assert "refused the API key" not in result.stdout
    assert result.stderr == ""  # no "Stripe unavailable: APIConnectionError"

    odd = doctor(stripe_sandbox, BILLFLOW_STRIPE_API_KEY="sk_test_short")
    assert odd.returncode == 1 and odd.stderr == ""
    assert (
        "problem  Stripe refused the API key (not shown: it is not shaped like a Stripe secret "
        "key): set BILLFLOW_STRIPE_API_KEY"
    ) in odd.stdout


def test_the_webhook_advice_names_the_sites_own_path(stripe_sandbox: Sandbox) -> None:
    stripe_sandbox.seed("demo")
    result = doctor(stripe_sandbox, BILLFLOW_URL_PREFIX="/account/billing")
    assert result.returncode == 0, result.stdout
    assert "at your site's /account/billing/stripe/webhook for product.created" in result.stdout
    assert "{" not in result.stdout


def test_the_demos_configuration_passes(stripe_sandbox: Sandbox) -> None:
    """`billflow demo` against a Stripe test account (here the sandbox, freshly seeded, no
    webhook endpoint): what works in the demo passes the doctor."""
    stripe_sandbox.seed("demo")
    options = {name: str(value) for name, value in DEMO_OPTIONS.items()}
    result = doctor(stripe_sandbox, **options)
    assert result.returncode == 0, result.stdout
    assert "problem" not in result.stdout and result.stderr == ""
