"""Finishing an action Stripe may have half done.

An action reads the customer's subscriptions, decides (the rules: "not cancelling yet"),
then writes, each write with an idempotency key derived from the page's key. When Stripe
applies a write but its answer is lost, or answers too late, and the retries run out, the
page hears 503 and sends the same request again. Read afresh, the subscription would show
the write already made ("already cancelling") and the retry would be refused, though the
customer's intent was never answered.

So a failed attempt keeps what it decided on: the subscriptions and customer as it read
them, and its clock. The retry with the same `Idempotency-Key` decides on those again,
sends the same writes with the same keys, and Stripe answers the ones it applied with its
first answer and applies the rest: the action completes once. This holds for `within`
seconds (an hour), well inside the day Stripe keeps its idempotency keys; a retry after
that reads afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..billing.catalog import Catalog
from ..billing.promotion_codes import PromotionCodeCache
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
    at: float  # when the attempt was made, on the portal's clock

    @classmethod
    def of(cls, context: ActionContext, now: int, at: float) -> Interrupted:
        """Taken as the context is opened, before any write replaces what it read."""
        return cls(context.customer_id, dict(context.subscriptions), context.customer,
                   context.only_subscription, now, at)  # fmt: skip

    def usable(self, clock_now: float) -> bool:
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
