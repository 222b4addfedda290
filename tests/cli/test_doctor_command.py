"""`billflow doctor` against the sandbox: a sound configuration passes, each kind of
mistake is named plainly and makes the command fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import stripe

from billflow_core.sandbox import Sandbox
from billflow_core.sandbox.seed import DEMO_SERVICE

BILLFLOW = Path(sys.executable).parent / "billflow"


def doctor(sandbox: Sandbox, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BILLFLOW_", "STRIPE_"))}
    return subprocess.run(
        [str(BILLFLOW), "doctor", "--api-base", sandbox.url],
        capture_output=True,
        text=True,
        env={**clean, "BILLFLOW_STRIPE_API_KEY": sandbox.secret_key, **env},
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
    assert any(line.startswith("warning  BILLFLOW_STRIPE_WEBHOOK_SECRET is not") for line in lines)
    assert any(line.startswith("problem  no enabled webhook endpoint receives") for line in lines)


def test_a_missing_or_refused_key_is_said_plainly(stripe_sandbox: Sandbox) -> None:
    missing = subprocess.run(
        [str(BILLFLOW), "doctor"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        timeout=60,
    )
    assert missing.returncode == 1
    assert "BILLFLOW_STRIPE_API_KEY (or STRIPE_API_KEY) is not set" in missing.stdout

    refused = doctor(stripe_sandbox, BILLFLOW_STRIPE_API_KEY="sk_test_" + "w" * 24)
    assert refused.returncode == 1
    assert "Stripe refused to list prices: The site's Stripe key was refused." in refused.stdout
    assert "w" * 24 not in refused.stdout + refused.stderr

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
    assert "problem  Stripe refused to list webhook endpoints:" in result.stdout
    assert "Traceback" not in result.stderr


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
