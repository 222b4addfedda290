"""Stripe's webhooks into Billflow: checked, each event acted on once, caches refreshed.

Stripe signs the raw body; the check needs those exact bytes and refuses a signature older
than the replay window. Stripe delivers at least once, so events already seen are skipped by
id; the memory of ids is bounded and belongs to the object the host creates.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Literal

import stripe

from .catalog import CatalogCache
from .errors import BadInput
from .promotions import PromotionCodeCache

log = logging.getLogger(__name__)

__all__ = ["CATALOG_EVENTS", "PROMOTION_EVENTS", "StripeWebhooks"]

# The events whose objects the catalog is built from, and those the cached promotion codes
# are read from.
CATALOG_EVENTS = ("product.", "price.")
PROMOTION_EVENTS = ("promotion_code.", "coupon.")

Outcome = Literal["processed", "duplicate", "ignored"]


class StripeWebhooks:
    """Receives the events of one Stripe webhook endpoint (`whsec_` secret)."""

    def __init__(
        self,
        secret: str,
        catalog: CatalogCache,
        *,
        promotions: PromotionCodeCache | None = None,
        tolerance: int = 300,
        remember: int = 10_000,
    ) -> None:
        if not secret.startswith("whsec_"):
            raise ValueError("BILLFLOW_STRIPE_WEBHOOK_SECRET must be the endpoint's whsec_ secret")
        self._secret = secret
        self._catalog = catalog
        self._promotions = promotions
        self._tolerance = tolerance
        self._remember = remember
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def handle(self, payload: bytes, signature: str | None) -> Outcome:
        """Check and act on one delivery. Raises `BadInput` (answer 400) for a payload
        whose signature is missing, wrong or older than the replay window."""
        if not signature:
            raise BadInput("Missing Stripe-Signature header.", code="webhook_signature_missing")
        try:
            event = stripe.Webhook.construct_event(
                payload.decode("utf-8"), signature, self._secret, tolerance=self._tolerance
            )
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
            log.warning("refused a Stripe webhook with a bad signature")
            raise BadInput(
                "The Stripe signature does not match this payload.",
                code="webhook_signature_invalid",
            ) from None
        with self._lock:
            if event.id in self._seen:
                return "duplicate"
            self._seen[event.id] = None
            while len(self._seen) > self._remember:
                self._seen.popitem(last=False)
        if event.type.startswith(CATALOG_EVENTS):
            self._catalog.invalidate()
            log.info("catalog refreshed after %s", event.type)
            return "processed"
        if event.type.startswith(PROMOTION_EVENTS) and self._promotions is not None:
            self._promotions.invalidate()
            log.info("promotion codes refreshed after %s", event.type)
            return "processed"
        return "ignored"
