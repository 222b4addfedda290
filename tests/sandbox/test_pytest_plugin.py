"""The pytest plugin installed with Billflow loads in every pytest run on the machine, so on
its own it loads no more of the sandbox than the plugin module; the fixtures import the rest."""

from __future__ import annotations

import subprocess
import sys

import stripe

from billflow_sandbox import Sandbox
from billflow_sandbox.mailbox import Mailbox


def test_loading_the_plugin_loads_neither_the_server_nor_the_mailbox() -> None:
    probe = (
        "import sys\n"
        "import billflow_sandbox.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith('billflow_sandbox')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['billflow_sandbox', 'billflow_sandbox.pytest_plugin']"


def test_the_fixtures_still_give_a_running_sandbox_and_a_client_for_it(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient
) -> None:
    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
    assert stripe_sandbox.state.objects["customer"][customer.id]["email"] == "ada@example.com"


def test_the_mailbox_fixture_is_a_running_mailbox(smtp_mailbox: Mailbox) -> None:
    assert smtp_mailbox.port > 0
