"""Finishing an action Stripe may have half done.

An action reads the customer's subscriptions, decides (the rules: "not cancelling yet"),
then writes, each write with an idempotency key derived from the page's key. When Stripe
applies a write but its answer is lost, or answers too late, and the retries run out, the
page hears 503 and sends the same request again. Read afresh, the subscription would show
the write already made ("already cancelling") and the retry would be refused, though the
customer's intent was never answered.

So a failed attempt keeps what it decided on: the subscriptions and customer as it read
them, its clock, and what it was asked. The retry with the same `Idempotency-Key` decides
on those again, sends the same writes with the same keys, and Stripe answers the ones it
applied with their first answer and applies the rest: the action completes once.

Only that retry: the same key with another request is a 409 `idempotency_conflict`, as for
a kept answer. And only while nothing else happened: once another action of the customer's
is applied, or `RESUME_WITHIN` seconds (an hour, well inside the day Stripe keeps its
idempotency keys) have passed since the first attempt, the retry reads afresh and the rules
judge it on what is true now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..billing.catalog import Catalog
from ..billing.promotion_codes import PromotionCodeCache
from ..errors import Conflict
from ..settings import PortalSettings
from ..stripe.gateway import StripeGateway
from .context import ActionContext

__all__ = ["RESUME_WITHIN", "Interrupted"]

RESUME_WITHIN = 3600.0


@dataclass(frozen=True)
class Interrupted:
    """What an attempt decided on, kept with the answers under its intent's key."""

    customer_id: str
    subscriptions: dict[str, Any]
    customer: Any
    only_subscription: str | None
    now: int  # the attempt's clock, which some writes carry (a pause's dates)
    at: float  # when the first attempt was made, on the portal's clock
    request: str  # `answers.request_digest` of what it was asked

    @classmethod
    def of(cls, context: ActionContext, now: int, at: float, request: str) -> Interrupted:
        """Taken as the context is opened, before any write replaces what it read."""
        return cls(context.customer_id, dict(context.subscriptions), context.customer,
                   context.only_subscription, now, at, request)  # fmt: skip

    def usable(self, clock_now: float, request: str, last_applied: float | None) -> bool:
        """Whether the retry may decide on these reads. Raises `Conflict` for another
        request under the same key."""
        if request != self.request:
            raise Conflict(
                "This Idempotency-Key was used for another request.", code="idempotency_conflict"
            )
        if last_applied is not None and last_applied >= self.at:
            return False  # the customer has done something since: decide on what is true now
        return 0 <= clock_now - self.at <= RESUME_WITHIN

    def reopened(
        self,
        gateway: StripeGateway,
        settings: PortalSettings,
        catalog: Catalog,
        action_key: str,
        promotions: PromotionCodeCache | None,
    ) -> ActionContext:
        """The attempt's context again, as it was opened, without asking Stripe."""
        return ActionContext(gateway, settings, catalog, self.customer_id, action_key,
                             self.only_subscription, dict(self.subscriptions),
                             customer=self.customer, promotions=promotions)  # fmt: skip
