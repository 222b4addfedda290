"""What the sandbox's HTTP server logs: each request's method, path and status, never its
query string, which can carry a secret (`?client_secret=…`, as Stripe.js sends it)."""

from __future__ import annotations

import logging
import socket

import pytest
import stripe

from billflow_sandbox import Sandbox

LOGGER = "billflow_sandbox.server"


def test_request_log_lines_leave_out_query_strings(
    stripe_sandbox: Sandbox, stripe_client: stripe.StripeClient, caplog: pytest.LogCaptureFixture
) -> None:
    customer = stripe_client.v1.customers.create({"email": "ada@example.com"})
    intent = stripe_client.v1.setup_intents.create({"customer": customer.id})
    secret = intent.client_secret
    assert secret

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        stripe_client.v1.setup_intents.retrieve(intent.id, {"client_secret": secret})

    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any(f"GET /v1/setup_intents/{intent.id} 200" in line for line in lines)
    assert not any(secret in line or "client_secret" in line for line in lines)


def test_a_malformed_request_line_is_logged_without_its_query_string(
    stripe_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    host, port = stripe_sandbox.url.removeprefix("http://").split(":")

    with (
        caplog.at_level(logging.DEBUG, logger=LOGGER),
        socket.create_connection((host, int(port)), timeout=5) as connection,
    ):
        connection.sendall(b"GET /v1/setup_intents/seti_1?client_secret=hush HTTP/1.1 x\r\n\r\n")
        answer = connection.makefile("rb").read()

    # A request line of four words is not HTTP/1.x: http.server answers its error page bare.
    assert b"400 - Bad request syntax" in answer
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert any("Bad request" in line for line in lines)
    assert not any("hush" in line for line in lines)
