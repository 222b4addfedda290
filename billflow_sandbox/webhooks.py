"""Deliver events to webhook endpoints, signed as Stripe signs them, with retries.

Stripe's signature: header `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<raw body>" keyed with the endpoint's whsec_ secret>`, which
`stripe.Webhook.construct_event` verifies.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from .engine.event_records import wants
from .state import State

log = logging.getLogger(__name__)

JSON = dict[str, Any]


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe would send for `payload` at `timestamp`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    event: JSON = field(compare=False)
    endpoint_id: str = field(compare=False)
    attempt: int = field(compare=False, default=0)


@dataclass
class DeliveryRecord:
    """One attempt to deliver an event to an endpoint (`status` None: no answer)."""

    event_id: str
    event_type: str
    endpoint_id: str
    attempt: int
    status: int | None
    error: str | None


class Deliverer:
    """A background thread that posts events to matching endpoints, retrying failures
    after each of `retry_delays` seconds, then giving up as Stripe eventually does."""

    def __init__(self, state: State, *, retry_delays: tuple[float, ...], timeout: float = 10.0):
        self.state = state
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.history: list[DeliveryRecord] = []
        self._queue: list[_Delivery] = []
        self._sequence = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._sending = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the delivery thread."""
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="billflow-sandbox-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the delivery thread; deliveries still queued are dropped."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def enqueue(self, events: list[JSON]) -> None:
        """Queue `events` for every enabled endpoint that wants their type."""
        with self.state.lock:
            endpoints = list(self.state.all("webhook_endpoint"))
        with self._wake:
            for event in events:
                for endpoint in endpoints:
                    if wants(endpoint, event["type"]):
                        heapq.heappush(
                            self._queue,
                            _Delivery(
                                time.monotonic(), next(self._sequence), event, endpoint["id"]
                            ),
                        )
            self._wake.notify_all()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is due now (retries scheduled later don't count)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._wake:
                busy = bool(self._queue) and self._queue[0].due <= time.monotonic()
                if not busy and not self._sending:
                    return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (
                    not self._queue or self._queue[0].due > time.monotonic()
                ):
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._wake.wait(timeout=wait)
                if self._stopping:
                    return
                delivery = heapq.heappop(self._queue)
                self._sending = True
            try:
                self._deliver(delivery)
            finally:
                self._sending = False

    def _deliver(self, delivery: _Delivery) -> None:
        """One attempt. Nothing an endpoint holds (a URL urllib refuses, say) may escape: an
        exception here would end the thread, and with it every later delivery."""
        try:
            outcome = self._post(delivery)
        except Exception as failure:
            log.exception(
                "webhook %s to %s could not be sent", delivery.event["id"], delivery.endpoint_id
            )
            outcome = None, f"{type(failure).__name__}: {failure}"
        if outcome is not None:
            self._settle(delivery, *outcome)

    def _post(self, delivery: _Delivery) -> tuple[int | None, str | None] | None:
        """Post the event; returns the status and error, or None when the endpoint is gone."""
        with self.state.lock:
            endpoint = self.state.find("webhook_endpoint", delivery.endpoint_id)
            secret = self.state.secret(delivery.endpoint_id).get("secret") if endpoint else None
        if endpoint is None or secret is None:
            return None
        payload = json.dumps(delivery.event, indent=2).encode()
        request = urllib.request.Request(
            endpoint["url"],
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, secret, int(time.time())),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, None
        except urllib.error.HTTPError as failure:
            return failure.code, f"HTTP {failure.code}"
        except (OSError, ValueError) as failure:
            return None, str(failure)

    def _settle(self, delivery: _Delivery, status: int | None, error: str | None) -> None:
        """Record an attempt and, unless it succeeded, schedule the next one."""
        self.history.append(
            DeliveryRecord(
                delivery.event["id"],
                delivery.event["type"],
                delivery.endpoint_id,
                delivery.attempt,
                status,
                error,
            )
        )
        if status is not None and 200 <= status < 300:
            return
        # The endpoint's id, not its URL: a URL can carry a token.
        log.info("webhook %s to %s failed (%s)", delivery.event["id"], delivery.endpoint_id, error)
        if delivery.attempt < len(self.retry_delays):
            with self._wake:
                heapq.heappush(
                    self._queue,
                    _Delivery(
                        time.monotonic() + self.retry_delays[delivery.attempt],
                        next(self._sequence),
                        delivery.event,
                        delivery.endpoint_id,
                        delivery.attempt + 1,
                    ),
                )
                self._wake.notify_all()
