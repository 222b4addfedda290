"""One authenticated request: who acts, on what, under which key.

An `ActionContext` holds the customer the request was authenticated as, their subscriptions (read
once, and reused for the refreshed state), and the action's key, which the page makes once
per user intent and sends as `Idempotency-Key`. Every Stripe write of an action derives its
idempotency key from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..billing.catalog import Catalog
from ..billing.customer_ids import CustomerIds, customer_and_subscriptions
from ..billing.promotion_codes import PromotionCodeCache
from ..billing.rules import SubscriptionFacts, check_owner
from ..errors import NotFound
from ..identity.visitors import Visitor
from ..settings import PortalSettings
from ..stripe.gateway import SUBSCRIPTION_EXPAND, StripeGateway

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = ["ActionContext"]


@dataclass
class ActionContext:
    """One authenticated request: who acts, on what, under which key."""

    gateway: StripeGateway
    settings: PortalSettings
    catalog: Catalog
    customer_id: str
    action_key: str
    only_subscription: str | None = None
    subscriptions: dict[str, Any] = field(default_factory=dict)
    customer: Any = None  # the customer as last read or written, for the refreshed state
    promotions: PromotionCodeCache | None = None  # else each typed code is looked up

    @classmethod
    def open(
        cls,
        gateway: StripeGateway,
        settings: PortalSettings,
        catalog: Catalog,
        customer_id: str,
        action_key: str,
        *,
        only_subscription: str | None = None,
    ) -> ActionContext:
        """A context with the customer's subscriptions read (one Stripe request)."""
        found = {s.id: s for s in gateway.subscriptions(customer_id)}
        return cls(gateway, settings, catalog, customer_id, action_key, only_subscription, found)

    @classmethod
    def for_visitor(
        cls,
        gateway: StripeGateway,
        settings: PortalSettings,
        catalog: Catalog,
        visitor: Visitor,
        action_key: str,
        *,
        promotions: PromotionCodeCache | None,
        customer_ids: CustomerIds | None = None,
        may_be_new: bool = False,
    ) -> ActionContext:
        """The context of `visitor`'s request: their customer and subscriptions read (one
        Stripe request when `customer_ids` remembers the customer, else two).
        `may_be_new`: a visitor who is no customer yet gets an empty context (to
        subscribe) instead of `NotFound`."""
        customer, subscriptions = customer_and_subscriptions(
            gateway, settings, visitor.identity, customer_ids
        )
        if customer is None:
            if not may_be_new:
                raise NotFound("You are not a customer yet.", code="customer_not_found")
            return cls(gateway, settings, catalog, "", action_key, promotions=promotions)
        return cls(
            gateway,
            settings,
            catalog,
            customer.id,
            action_key,
            visitor.only_subscription,
            {s.id: s for s in subscriptions},
            customer=customer,
            promotions=promotions,
        )

    def facts(self, subscription_id: Any) -> tuple[Any, SubscriptionFacts]:
        """The customer's own subscription and its facts; someone else's is unknown."""
        if not isinstance(subscription_id, str) or subscription_id not in self.subscriptions:
            raise NotFound("No such subscription.", code="subscription_not_found",
                           field="subscription")  # fmt: skip
        subscription = self.subscriptions[subscription_id]
        facts = SubscriptionFacts.of(subscription)
        check_owner(facts, self.customer_id, self.only_subscription)
        return subscription, facts

    def key(self, step: str) -> str:
        return self.gateway.idempotency_key(self.customer_id, self.action_key, step)

    def update(
        self, subscription_id: str, params: sp.SubscriptionUpdateParams, *, step: str
    ) -> Any:
        """Update the subscription and keep the answer as its new state. `step` names the
        write within the action, so one key never covers two different writes."""
        updated = self.gateway.update_subscription(
            subscription_id,
            {**params, "expand": list(SUBSCRIPTION_EXPAND)},
            key=self.key(f"{step}:{subscription_id}"),
        )
        self.subscriptions[subscription_id] = updated
        return updated
