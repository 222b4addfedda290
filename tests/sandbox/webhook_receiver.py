"""A site's webhook route on loopback, for tests that check what the sandbox delivers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe


@dataclass
class Delivery:
    payload: bytes
    signature: str
    answered: int


class Receiver(ThreadingHTTPServer):
    """A site's webhook route on loopback: records each delivery, and answers 500 to the
    first `failures` of them."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.deliveries: list[Delivery] = []
        self.failures = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/stripe/webhook"

    def events(self, secret: str) -> list[stripe.Event]:
        """Every delivery, verified as a site verifies it."""
        with self.lock:
            received = list(self.deliveries)
        return [
            stripe.Webhook.construct_event(d.payload.decode(), d.signature, secret)
            for d in received
        ]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            status = 500 if self.server.failures > 0 else 200
            self.server.failures -= status == 500
            self.server.deliveries.append(
                Delivery(payload, self.headers["Stripe-Signature"], status)
            )
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass
