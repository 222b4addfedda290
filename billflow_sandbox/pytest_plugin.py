"""pytest fixtures for testing against the sandbox, installed with Billflow.

    def test_subscribe(stripe_sandbox, stripe_client):
        customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
        ...
        assert stripe_sandbox.writes() == [...]

`stripe_sandbox` is a fresh, running `Sandbox` per test (no state leaks between tests);
`stripe_client` is a `stripe.StripeClient` pointed at it, with retries off so injected
faults surface as they happen; `smtp_mailbox` is an SMTP server on loopback that keeps the
mail it gets (it needs aiosmtpd).

Every pytest run on a machine with Billflow installed loads this plugin, so it imports the
sandbox only inside the fixtures, when a test asks for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import stripe

    from .mailbox import Mailbox
    from .server import Sandbox


@pytest.fixture
def stripe_sandbox() -> Iterator[Sandbox]:
    from .server import Sandbox

    with Sandbox(webhook_retry_delays=(0.05, 0.1, 0.2)) as sandbox:
        yield sandbox


@pytest.fixture
def stripe_client(stripe_sandbox: Sandbox) -> stripe.StripeClient:
    return stripe_sandbox.client(max_network_retries=0)


@pytest.fixture
def smtp_mailbox() -> Iterator[Mailbox]:
    """A running `Mailbox`: an SMTP server on loopback keeping what it receives."""
    from .mailbox import Mailbox

    with Mailbox() as mailbox:
        yield mailbox
