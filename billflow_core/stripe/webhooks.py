"""Stripe's webhooks into Billflow: checked, each event acted on once, caches refreshed.

Stripe signs the raw body; the check needs those exact bytes and refuses a signature older
than the replay window. Stripe delivers at least once, so events already seen are skipped by
id; the memory of ids is bounded and belongs to the object the host creates. A `customer.*`
event about a customer makes the portal forget which customer that customer's id and
emails (old and new) name, so the next page looks them up again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

import stripe

from ..billing.catalog import CatalogCache
from ..billing.customer_ids import CustomerIds
from ..billing.promotion_codes import PromotionCodeCache
from ..errors import BadInput, SettingsError

log = logging.getLogger(__name__)

__all__ = ["CATALOG_EVENTS", "CUSTOMER_EVENTS", "PROMOTION_EVENTS", "StripeWebhooks"]

# The events whose objects the catalog is built from (coupons: the retention offer's terms),
# and those the cached promotion codes are read from.
CATALOG_EVENTS = ("product.", "price.", "coupon.")
PROMOTION_EVENTS = ("promotion_code.", "coupon.")
CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.deleted")

Outcome = Literal["processed", "duplicate", "ignored"]
# Called with each new event once it is checked: its id, type and `data.object`.
Verified = Callable[[str, str, dict[str, Any]], None]


class StripeWebhooks:
    """Receives the events of one Stripe webhook endpoint (`whsec_` secret)."""

    def __init__(
        self,
        secret: str,
        catalog: CatalogCache,
        *,
        promotions: PromotionCodeCache | None = None,
        customer_ids: CustomerIds | None = None,
        tolerance: int = 300,
        remember: int = 10_000,
        on_verified: Verified | None = None,
    ) -> None:
        """`on_verified`: told of each new event (the portal relays it to its listeners);
        when it raises, the event is forgotten, so Stripe's retry is acted on again."""
        if not secret.startswith("whsec_"):
            raise SettingsError(
                "BILLFLOW_STRIPE_WEBHOOK_SECRET must be the endpoint's whsec_ secret",
                param="BILLFLOW_STRIPE_WEBHOOK_SECRET",
            )
        self._secret = secret
        self._catalog = catalog
        self._promotions = promotions
        self._customer_ids = customer_ids
        self._tolerance = tolerance
        self._remember = remember
        self._on_verified = on_verified
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def handle(self, payload: bytes, signature: str | None) -> Outcome:
        """Check and act on one delivery. Raises `BadInput` (answer 400) for a payload
        whose signature is missing, wrong or older than the replay window
        (`webhook_signature_*`), and for a signed payload that is not an event
        (`webhook_payload_invalid`)."""
        if not signature:
            raise BadInput("Missing Stripe-Signature header.", code="webhook_signature_missing")
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text, signature, self._secret, tolerance=self._tolerance
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError):
            log.warning("refused a Stripe webhook with a bad signature")
            raise BadInput(
                "The Stripe signature does not match this payload.",
                code="webhook_signature_invalid",
            ) from None
        event_id, event_type, obj, previous = _event_of(text)
        with self._lock:
            if event_id in self._seen:
                return "duplicate"
            self._seen[event_id] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        outcome: Outcome = "ignored"
        if event_type.startswith(CATALOG_EVENTS):
            self._catalog.invalidate()
            log.info("catalog refreshed after %s", event_type)
            outcome = "processed"
        if event_type.startswith(PROMOTION_EVENTS) and self._promotions is not None:
            self._promotions.invalidate()
            log.info("promotion codes refreshed after %s", event_type)
            outcome = "processed"
        if event_type in CUSTOMER_EVENTS and self._customer_ids is not None:
            self._customer_ids.forget_customer(obj, previous)
            outcome = "processed"
        if self._on_verified is not None:
            try:
                self._on_verified(event_id, event_type, obj)
            except Exception:
                with self._lock:
                    self._seen.pop(event_id, None)  # Stripe retries it: act on it then
                raise
        return outcome


def _event_of(text: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """The id, type, object and previous attributes ({} when none) of a signed payload,
    when it is shaped as Stripe's events are: a signature proves who sent the bytes, not
    that they are an event this code can read."""
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        event = None
    data = event.get("data") if isinstance(event, dict) else None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
        or not isinstance(data, dict)
        or not isinstance(data.get("object"), dict)
    ):
        log.warning("refused a signed Stripe webhook that is not an event")
        raise BadInput(
            "The payload is not a Stripe event with an id, a type and a data object.",
            code="webhook_payload_invalid",
        )
    previous = data.get("previous_attributes")
    return (
        event["id"],
        event["type"],
        data["object"],
        previous if isinstance(previous, dict) else {},
    )
