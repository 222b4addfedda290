"""What a customer's portal shows: who they are, their card, each subscription with the card
it is charged to and what it may do next, and the plans on offer. Built from one Stripe
request when the customer's id is remembered and the catalog is warm: every subscription with
its discounts, its own card and its customer (with their card). A customer not yet
remembered costs a lookup first; a cold catalog adds the prices, and the retention offer's
coupon when the site makes one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..settings import PortalSettings
from ..stripe.gateway import StripeGateway
from .allowed import allowed_actions
from .billing_details import BillingDetails, details_of
from .catalog import Catalog, CatalogCache, Plan
from .customer_ids import CustomerIds, customer_and_subscriptions, identity_kind
from .pauses import pauses_in_year
from .rules import SubscriptionFacts, picker_plans, trial_days
from .subscription_facts import ENDED

__all__ = [
    "Card",
    "Discount",
    "PlannedChange",
    "PortalState",
    "SubscriptionView",
    "build_state",
    "card_secret",
    "identity_kind",
    "load_state",
    "payment_secret",
]


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Discount:
    """A coupon in force on a subscription: `percent_off` or `amount_off` (minor units)."""

    name: str | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    ends_at: int | None


@dataclass(frozen=True)
class PlannedChange:
    """A change not in force yet: a downgrade scheduled for `at` (the period end), or a
    change Stripe holds until its payment succeeds (by `at`, or it lapses)."""

    price_id: str
    plan: Plan | None
    quantity: int
    at: int


@dataclass(frozen=True)
class SubscriptionView:
    """One subscription as the page shows it; amounts in minor units, times in epoch
    seconds. `plan` is None for a price the catalog does not offer."""

    id: str
    status: str
    price_id: str
    product_name: str | None
    plan: Plan | None
    amount: int | None  # None for a price the portal cannot show simply (tiered)
    currency: str
    interval: str
    interval_count: int
    quantity: int
    unit_label: str | None
    discount: Discount | None
    current_period_end: int
    cancel_at: int | None
    canceled_at: int | None
    ended_at: int | None
    paused_until: int | None
    paused: bool
    allowed: frozenset[str]
    # The client secret of a payment waiting for the customer (3-D Secure, or a new card
    # after a decline), which the page confirms with Stripe.js.
    payment_secret: str | None = None
    # What that payment asks, in the subscription's currency (minor units).
    amount_due: int | None = None
    # The card its payments are charged to: its own (`default_payment_method`, as a card
    # saved at checkout is), else the customer's default; None when it has neither.
    card: Card | None = None
    scheduled_change: PlannedChange | None = None  # a downgrade at the period end
    awaiting_payment: PlannedChange | None = None  # a change held until paid
    unit_forms: tuple[tuple[str, str], ...] = ()  # the unit's plural forms (catalog.py)
    # The client secret of the card setup a trial with no card to charge waits on (its
    # `pending_setup_intent`): without a card the trial ends the subscription.
    card_secret: str | None = None

    @property
    def has_ended(self) -> bool:
        """Whether it is over (canceled, or expired before its first payment)."""
        return self.status in ENDED


@dataclass(frozen=True)
class PortalState:
    """The whole portal for one identity; `customer_id` None means "not a customer"."""

    identity: str
    customer_id: str | None
    name: str | None
    card: Card | None
    subscriptions: tuple[SubscriptionView, ...]
    plans: tuple[Plan, ...]  # what the plan picker offers (empty when it is not shown)
    details: BillingDetails | None = None  # what goes on their invoices
    trials: tuple[tuple[str, int], ...] = ()  # (price id, days) a picker plan's trial gives
    limited: bool = False  # a page limited to one subscription: no account-wide parts

    @property
    def is_customer(self) -> bool:
        return self.customer_id is not None

    @property
    def card_on_file(self) -> Card | None:
        """The card the page names as the customer's: their default, else the card the
        newest live subscription is charged to (one saved at checkout, before it was made
        the customer's default), so a customer who pays is never told they have none."""
        if self.card is not None:
            return self.card
        live = (s for s in self.subscriptions if s.status not in ENDED)
        return next((s.card for s in live if s.card is not None), None)


def load_state(
    gateway: StripeGateway,
    catalog_cache: CatalogCache,
    settings: PortalSettings,
    identity: str,
    *,
    customer_ids: CustomerIds | None = None,
    only_subscription: str | None = None,
    now: int | None = None,
) -> PortalState:
    """The portal of `identity` (an email or a `cus_` id, as the settings identify
    customers): one Stripe request when the catalog is warm and the customer's id is
    remembered in `customer_ids` (`customer_ids.py`), two in a row when it is not. With
    `only_subscription`, the page was limited to that one subscription."""
    customer, subscriptions = customer_and_subscriptions(gateway, settings, identity,
                                                         customer_ids)  # fmt: skip
    catalog = catalog_cache.get()
    return build_state(
        settings, catalog, identity, customer, subscriptions, only_subscription, now=now
    )


def build_state(
    settings: PortalSettings,
    catalog: Catalog,
    identity: str,
    customer: Any,
    subscriptions: Iterable[Any],
    only_subscription: str | None = None,
    *,
    now: int | None = None,
) -> PortalState:
    """The portal from objects already read: an action's answer reuses what it read and
    wrote instead of asking Stripe again. `now`: the portal's clock (the pause allowance
    is counted back from it, as the pause action counts it)."""
    now = int(time.time()) if now is None else now
    if customer is None:
        plans = picker_plans(settings, catalog, [])
        return PortalState(
            identity, None, None, None, (), plans, trials=_trials(catalog, [], plans)
        )
    # A subscription without items has nothing the portal can show or change.
    every = [s for s in subscriptions if s["items"].data]
    others = [SubscriptionFacts.of(s) for s in every]  # the picker's and the trials' rules
    shown = [s for s in every if only_subscription in (None, s.id)]
    shown.sort(key=lambda s: (s.created, s.id), reverse=True)  # newest first, as Stripe lists
    card = _card(getattr(customer.invoice_settings, "default_payment_method", None))
    views = tuple(_view(settings, catalog, s, card, now) for s in shown)
    return PortalState(
        identity=identity,
        customer_id=customer.id,
        name=customer.name,
        card=card,
        subscriptions=views,
        plans=(
            plans := picker_plans(settings, catalog, others, getattr(customer, "currency", None))
        ),
        details=details_of(customer)
        if settings.billing_details and not only_subscription
        else None,
        trials=_trials(catalog, others, plans),
        limited=only_subscription is not None,
    )


def _trials(
    catalog: Catalog, others: list[SubscriptionFacts], plans: tuple[Plan, ...]
) -> tuple[tuple[str, int], ...]:
    """The picker's plans that would start a free trial, with its days."""
    found = ((plan.price_id, trial_days(catalog, others, plan)) for plan in plans)
    return tuple((price, days) for price, days in found if days)


def _card(payment_method: Any) -> Card | None:
    card = getattr(payment_method, "card", None)
    if card is None:
        return None
    return Card(card.brand, card.last4, card.exp_month, card.exp_year)


def _charged_card(subscription: Any, customer_card: Card | None) -> Card | None:
    """The card Stripe charges the subscription's invoices to: its own default payment
    method comes before the customer's (Stripe's order). An own method that is not a card,
    or was read unexpanded, shows as the customer's card rather than as a wrong one."""
    own = getattr(subscription, "default_payment_method", None)
    return _card(own) or customer_card


def _discount(subscription: Any) -> Discount | None:
    for discount in subscription.discounts or ():
        coupon = getattr(getattr(discount, "source", None), "coupon", None)
        if coupon is None or isinstance(coupon, str):
            continue
        return Discount(
            coupon.name, coupon.percent_off, coupon.amount_off, coupon.currency, discount.end
        )
    return None


def _view(
    settings: PortalSettings,
    catalog: Catalog,
    subscription: Any,
    customer_card: Card | None,
    now: int,
) -> SubscriptionView:
    item = subscription["items"].data[0]
    price = item.price
    product = price.product
    pause = subscription.pause_collection
    plan = catalog.plan(price.id)
    card = _charged_card(subscription, customer_card)
    return SubscriptionView(
        id=subscription.id,
        status=subscription.status,
        price_id=price.id,
        product_name=plan.name if plan else getattr(product, "name", None),
        plan=plan,
        amount=price.unit_amount,
        currency=price.currency,
        interval=price.recurring.interval,
        interval_count=price.recurring.interval_count,
        quantity=item.quantity,
        unit_label=plan.quantity.unit_label if plan and plan.quantity else None,
        discount=_discount(subscription),
        current_period_end=item.current_period_end,
        cancel_at=subscription.cancel_at,
        canceled_at=subscription.canceled_at,
        ended_at=subscription.ended_at,
        paused_until=pause.resumes_at if pause is not None else None,
        paused=pause is not None,
        allowed=allowed_actions(
            settings,
            catalog,
            SubscriptionFacts.of(subscription),
            recent_pauses=len(pauses_in_year(subscription, now)),
        ),
        payment_secret=payment_secret(subscription),
        amount_due=_amount_due(subscription),
        card=card,
        card_secret=card_secret(subscription) if card is None else None,
        scheduled_change=_scheduled_change(catalog, subscription),
        awaiting_payment=_held_change(catalog, subscription, item),
        unit_forms=plan.quantity.unit_forms if plan and plan.quantity else (),
    )


def _scheduled_change(catalog: Catalog, subscription: Any) -> PlannedChange | None:
    """The next phase of Billflow's own downgrade schedule, if one is pending."""
    facts = SubscriptionFacts.of(subscription)
    if not facts.downgrade_pending:
        return None
    current, following = subscription.schedule.phases[0], subscription.schedule.phases[1]
    item = following["items"][0]
    price = item.price if isinstance(item.price, str) else item.price.id
    return PlannedChange(price, catalog.plan(price), item.quantity or 1, current.end_date)


def _held_change(catalog: Catalog, subscription: Any, item: Any) -> PlannedChange | None:
    pending = getattr(subscription, "pending_update", None)
    if pending is None:
        return None
    held = next((i for i in pending.subscription_items or () if i.id == item.id), None)
    if held is None:
        return None
    return PlannedChange(
        held.price.id, catalog.plan(held.price.id), held.quantity, pending.expires_at
    )


def _waiting_invoice(subscription: Any) -> Any | None:
    """The open invoice whose payment the subscription waits on the customer for, if any."""
    if subscription.status not in ("incomplete", "past_due") and not getattr(
        subscription, "pending_update", None
    ):
        return None
    invoice = subscription.latest_invoice
    if invoice is None or isinstance(invoice, str) or invoice.status != "open":
        return None
    return invoice


def payment_secret(subscription: Any) -> str | None:
    """The client secret of the payment the subscription waits on the customer for, if any."""
    invoice = _waiting_invoice(subscription)
    secret = getattr(invoice, "confirmation_secret", None)
    return None if secret is None else str(secret.client_secret)


def card_secret(subscription: Any) -> str | None:
    """The client secret of the card setup a trial still waits on, if any. Only a trial
    ends for want of a card (`trial_settings`): one cancelled at its end, or a subscription
    free today for another reason (a full discount), asks for none."""
    if subscription.status != "trialing" or subscription.cancel_at_period_end:
        return None
    if getattr(subscription, "cancel_at", None):
        return None
    intent = getattr(subscription, "pending_setup_intent", None)
    if intent is None or isinstance(intent, str) or intent.status in ("succeeded", "canceled"):
        return None
    return str(intent.client_secret)


def _amount_due(subscription: Any) -> int | None:
    """What the waiting payment asks, so the page can name it before the customer pays."""
    invoice = _waiting_invoice(subscription)
    if invoice is None or getattr(invoice, "confirmation_secret", None) is None:
        return None
    return int(invoice.amount_remaining)
