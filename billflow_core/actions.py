"""What a customer can do to a subscription, each action checked by the rules before its
first Stripe write, and keyed so that a retry of the same intent writes once.

An action runs in a `Session`: the customer the request was authenticated as, their
subscriptions (read once, and reused for the refreshed state), and the action's key, which
the page makes once per user intent and sends as `Idempotency-Key`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .catalog import Catalog, Plan
from .errors import BadInput, Conflict, NotFound
from .gateway import SUBSCRIPTION_EXPAND, StripeGateway
from .promotions import PromotionCodeCache
from .rules import (
    SCHEDULE_MARK,
    SubscriptionFacts,
    change_timing,
    check_cancel,
    check_change_plan,
    check_change_quantity,
    check_code,
    check_coupon,
    check_coupon_action,
    check_feature,
    check_not_subscribed,
    check_owner,
    check_pause,
    check_resubscribe,
    check_resume,
    check_retention_offer,
    check_subscribe,
    check_undo_cancel,
    check_undo_downgrade,
)
from .settings import STRIPE_FEEDBACK, PortalSettings

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # parameter types only: the gateway alone calls Stripe
    from stripe import params as sp

__all__ = [
    "Session",
    "accept_retention_offer",
    "apply_coupon",
    "cancel",
    "change_plan",
    "change_quantity",
    "finish_card_update",
    "pause",
    "resubscribe",
    "resume",
    "start_card_update",
    "subscribe",
    "undo_cancel",
    "undo_downgrade",
]

# Where hosted Billflow keeps the cancellation survey's answers on the subscription.
REASON_KEY = "cancellation_reason"
COMMENT_KEY = "cancellation_comment"
# Where Billflow remembers that a subscription took the retention offer (its coupon id).
OFFER_KEY = "billflow_retention_offer"

# What a write returns with the subscription, so the refreshed state needs no other read.
_EXPAND = SUBSCRIPTION_EXPAND


@dataclass
class Session:
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
    ) -> Session:
        """A session with the customer's subscriptions read (one Stripe request)."""
        found = {s.id: s for s in gateway.subscriptions(customer_id)}
        return cls(gateway, settings, catalog, customer_id, action_key, only_subscription, found)

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
            {**params, "expand": list(_EXPAND)},
            key=self.key(f"{step}:{subscription_id}"),
        )
        self.subscriptions[subscription_id] = updated
        return updated


def change_plan(session: Session, subscription_id: Any, price_id: Any) -> Any:
    """Move the subscription to another plan of its service, keeping its item and quantity,
    prorated as the site chooses. A change billed now takes effect once paid: when the card
    needs the customer (3-D Secure, a decline), Stripe holds it as the subscription's
    `pending_update` and its latest invoice waits for the page to confirm the payment.
    A downgrade may instead wait for the period end (`downgrade_at_period_end`)."""
    subscription, facts = session.facts(subscription_id)
    plan = check_change_plan(session.settings, session.catalog, facts, price_id)
    timing = change_timing(session.settings, session.catalog, facts, plan.price_id, facts.quantity)
    if timing == "period_end":
        return _schedule_change(session, subscription, plan, facts.quantity)
    if facts.schedule_ours:  # an upgrade now replaces Billflow's downgrade schedule
        subscription = _release(session, subscription)
    item = subscription["items"].data[0]
    return session.update(
        subscription.id,
        {
            "items": [{"id": item.id, "price": plan.price_id}],
            "proration_behavior": session.settings.proration_behavior,
            "payment_behavior": _paid_first(subscription),
        },
        step="change_plan",
    )


def change_quantity(session: Session, subscription_id: Any, quantity: Any) -> Any:
    """Set the number of units, within the product's bounds; fewer units may wait for the
    period end, as a downgrade does."""
    subscription, facts = session.facts(subscription_id)
    checked = check_change_quantity(session.settings, session.catalog, facts, quantity)
    timing = change_timing(session.settings, session.catalog, facts, facts.price_id, checked)
    if timing == "period_end":
        plan = session.catalog.plan(facts.price_id)
        assert plan is not None  # a quantity change needs an offered plan
        return _schedule_change(session, subscription, plan, checked)
    item = subscription["items"].data[0]
    return session.update(
        subscription.id,
        {
            "items": [{"id": item.id, "quantity": checked}],
            "proration_behavior": session.settings.proration_behavior,
            "payment_behavior": _paid_first(subscription),
        },
        step="change_quantity",
    )


def _paid_first(subscription: Any) -> Literal["pending_if_incomplete", "allow_incomplete"]:
    """Charged automatically, a change waits for its payment. Stripe offers no such wait for
    a subscription billed by sent invoice: its change applies and the invoice is sent."""
    if subscription.collection_method == "send_invoice":
        return "allow_incomplete"
    return "pending_if_incomplete"


def undo_downgrade(session: Session, subscription_id: Any) -> Any:
    """Keep the current plan after all: the downgrade waiting for the period end is
    dropped."""
    subscription, facts = session.facts(subscription_id)
    check_undo_downgrade(facts)
    return _release(session, subscription)


def _schedule_change(session: Session, subscription: Any, plan: Plan, quantity: int) -> Any:
    """Schedule `plan` × `quantity` from the end of the current period, with Stripe's
    subscription schedules: the current phase keeps what is paid for, the next starts the
    new plan with no proration and ends a day later, releasing the subscription. Discounts
    carry over to both phases."""
    facts = SubscriptionFacts.of(subscription)
    schedule = subscription.schedule
    if facts.schedule_ours and not facts.downgrade_pending and len(schedule.phases) > 1:
        # The last downgrade has begun; its schedule is let go before a new one is made.
        subscription = _release(session, subscription)
        schedule = None
    elif schedule is not None and not facts.schedule_ours:
        raise Conflict("This subscription follows a schedule the site set; contact them to "
                       "change it.", code="managed_by_schedule")  # fmt: skip
    if schedule is None:
        schedule = session.gateway.schedule_subscription(
            subscription.id, key=session.key(f"schedule:{subscription.id}")
        )
    item = subscription["items"].data[0]
    kept: list[sp.SubscriptionScheduleUpdateParamsPhaseDiscount] = [
        {"discount": d if isinstance(d, str) else d.id} for d in subscription.discounts or ()
    ]
    key, value = SCHEDULE_MARK
    updated = session.gateway.update_schedule(
        schedule.id,
        {
            "end_behavior": "release",
            "metadata": {key: value},
            "phases": [
                {
                    "items": [{"price": item.price.id, "quantity": item.quantity}],
                    "start_date": schedule.phases[0].start_date,
                    "end_date": item.current_period_end,
                    "discounts": kept,
                    "proration_behavior": "none",
                },
                {
                    "items": [{"price": plan.price_id, "quantity": quantity}],
                    # A day is enough: the schedule lets go of the subscription then,
                    # leaving it on the new plan with its billing cycle as it was.
                    "duration": {"interval": "day", "interval_count": 1},
                    "discounts": kept,
                    "proration_behavior": "none",
                },
            ],
        },
        key=session.key(f"downgrade:{subscription.id}"),
    )
    session.subscriptions[subscription.id] = updated
    return updated


def _release(session: Session, subscription: Any) -> Any:
    """Drop Billflow's downgrade schedule; the subscription goes on as it is now."""
    session.gateway.release_schedule(
        subscription.schedule.id, key=session.key(f"release:{subscription.id}")
    )
    subscription["schedule"] = None  # releasing changes nothing else
    session.subscriptions[subscription.id] = subscription
    return subscription


def cancel(session: Session, subscription_id: Any, reason: Any = None, comment: Any = None) -> Any:
    """Cancel at the end of the paid period (or now, as the site chooses), keeping the
    customer's reason and comment in the subscription's metadata, as hosted Billflow does,
    and in Stripe's `cancellation_details`."""
    subscription, facts = session.facts(subscription_id)
    reason, comment = check_cancel(session.settings, facts, reason, comment)
    details: sp.SubscriptionUpdateParamsCancellationDetails = {"comment": comment or ""}
    if reason in STRIPE_FEEDBACK:
        details["feedback"] = reason
    survey = {REASON_KEY: reason or "", COMMENT_KEY: comment or ""}
    if facts.schedule_ours:  # leaving makes the downgrade schedule moot
        subscription = _release(session, subscription)
    if not session.settings.cancel_immediately:
        return session.update(
            subscription.id,
            {"cancel_at_period_end": True, "cancellation_details": details, "metadata": survey},
            step="cancel",
        )
    # Stripe's cancel call takes no metadata: the survey is written first, then the end.
    session.update(
        subscription.id, {"metadata": survey, "cancellation_details": details}, step="survey"
    )
    ended = session.gateway.cancel_subscription(
        subscription.id,
        {"cancellation_details": details, "expand": list(_EXPAND)},
        key=session.key(f"cancel:{subscription.id}"),
    )
    session.subscriptions[subscription.id] = ended
    return ended


def undo_cancel(session: Session, subscription_id: Any) -> Any:
    """Take back a cancellation scheduled for the period end."""
    subscription, facts = session.facts(subscription_id)
    check_undo_cancel(session.settings, facts)
    return session.update(
        subscription.id,
        {
            "cancel_at_period_end": False,
            "cancellation_details": {"comment": "", "feedback": ""},
            "metadata": {REASON_KEY: "", COMMENT_KEY: ""},
        },
        step="undo_cancel",
    )


def apply_coupon(session: Session, subscription_id: Any, code: Any) -> Any:
    """Add a promotion code, as customers type it, to the subscription, keeping the
    discounts it already has."""
    subscription, facts = session.facts(subscription_id)
    promotion = _promotion_code_id(session, check_coupon_action(session.settings, facts, code))
    discounts = _kept_discounts(subscription)
    discounts.append({"promotion_code": promotion})
    with _code_refusals(session, code):
        return session.update(subscription.id, {"discounts": discounts}, step="apply_coupon")


@contextmanager
def _code_refusals(session: Session, typed: Any) -> Iterator[None]:
    """Stripe refusing a code the cache still had (expired, used up, someone else's since
    it was read) is the customer's code refused, not a malformed request."""
    try:
        yield
    except BadInput as refused:
        if not (refused.field or "").startswith("discounts"):
            raise
        if session.promotions is not None and isinstance(typed, str):
            session.promotions.forget(typed.strip())
        raise BadInput("That code can no longer be used.", code="coupon_invalid",
                       field="coupon") from None  # fmt: skip


def _promotion_code_id(session: Session, code: Any) -> str:
    """The id of the redeemable promotion code a customer typed. Only promotion codes: a
    raw coupon id (a staff discount, a retention offer) is not something to type in."""
    typed = check_code(code)
    promotion = (
        session.promotions.find(typed)
        if session.promotions is not None
        else session.gateway.promotion_code(typed)
    )
    coupon = promotion.promotion.coupon if promotion is not None else None
    if isinstance(coupon, str):  # not expanded: never with the gateway's own lookup
        coupon = session.gateway.coupon(coupon)
    check_coupon(coupon)
    assert promotion is not None
    return str(promotion.id)


def _kept_discounts(subscription: Any) -> list[sp.SubscriptionUpdateParamsDiscount]:
    """The subscription's discounts as `discounts[]` entries that keep them: Stripe's
    update replaces the whole list."""
    return [{"discount": d if isinstance(d, str) else d.id} for d in subscription.discounts or ()]


def resubscribe(
    session: Session, subscription_id: Any, price_id: Any = None, code: Any = None
) -> Any:
    """Start a canceled subscription again, as a new subscription on its plan (or another
    of its service, where the site allows), charged to the customer's card at once.

    The answer is the new subscription. When its first payment needs the customer (a card
    that asks for authentication, or a decline), it is `incomplete` and its latest invoice
    carries the `confirmation_secret` the page confirms with Stripe.js.
    """
    subscription, facts = session.facts(subscription_id)
    price = check_resubscribe(session.settings, session.catalog, facts, price_id, code)
    waiting = _waiting_first_payment(session, price)
    if waiting is not None:  # made by an earlier try: the page pays that one
        return waiting
    others = [SubscriptionFacts.of(s) for s in session.subscriptions.values() if s["items"].data]
    check_not_subscribed(session.catalog, others, price)
    discounts: list[sp.SubscriptionCreateParamsDiscount] = []
    if code not in (None, ""):
        discounts.append({"promotion_code": _promotion_code_id(session, code)})
    quantity = _comeback_quantity(session.catalog.plan(price), facts)
    with _code_refusals(session, code):
        created = session.gateway.create_subscription(
            {
                "customer": session.customer_id,
                "items": [{"price": price, "quantity": quantity}],
                "discounts": discounts,
                "payment_behavior": "allow_incomplete",
                "expand": ["latest_invoice.confirmation_secret", "discounts.source.coupon"],
            },
            key=session.key(f"resubscribe:{subscription.id}"),
        )
    session.subscriptions[created.id] = created
    return created


def _comeback_quantity(plan: Plan | None, facts: SubscriptionFacts) -> int:
    """The quantity a returning customer had, kept within the plan's bounds; a plan whose
    quantity customers do not choose keeps what the site set, unless it is another plan."""
    if plan is not None and plan.quantity is not None:
        rule = plan.quantity
        return min(max(facts.quantity, rule.minimum), rule.maximum)
    return facts.quantity if plan is None or plan.price_id == facts.price_id else 1


def _waiting_first_payment(session: Session, price_id: Any) -> Any | None:
    """A subscription to `price_id` still waiting for its first payment: what an earlier
    try of this intent made (its answer lost) or a payment the customer walked away from.
    Either way the page pays that one, rather than a second subscription being made."""
    for subscription in session.subscriptions.values():
        items = subscription["items"].data
        if subscription.status == "incomplete" and items and items[0].price.id == price_id:
            return subscription
    return None


def subscribe(session: Session, email: str | None, price_id: Any, code: Any = None) -> Any:
    """Subscribe from the plan picker. A session without a customer is someone who is not
    one yet: a customer with `email` is made first. The first invoice waits for the page to
    confirm its payment with Stripe.js (`default_incomplete`): the answer is the new
    subscription, its latest invoice carrying the `confirmation_secret`."""
    waiting = _waiting_first_payment(session, price_id)
    if waiting is not None:
        return waiting
    others = [SubscriptionFacts.of(s) for s in session.subscriptions.values() if s["items"].data]
    plan = check_subscribe(session.settings, session.catalog, others, price_id, code)
    discounts: list[sp.SubscriptionCreateParamsDiscount] = []
    if code not in (None, ""):
        discounts.append({"promotion_code": _promotion_code_id(session, code)})
    if session.customer is None:
        if email is None:  # a `cus_` identity that names no customer
            raise NotFound("No such customer.", code="customer_not_found", field="identity")
        # Keyed by the email: a retry finds this customer and carries on from here.
        session.customer = session.gateway.create_customer(
            email, key=session.gateway.idempotency_key(email, session.action_key, "customer")
        )
        session.customer_id = session.customer.id
    minimum = plan.quantity.minimum if plan.quantity is not None else 1
    with _code_refusals(session, code):
        created = session.gateway.create_subscription(
            {
                "customer": session.customer_id,
                "items": [{"price": plan.price_id, "quantity": minimum}],
                "discounts": discounts,
                "payment_behavior": "default_incomplete",
                "payment_settings": {"save_default_payment_method": "on_subscription"},
                "expand": ["latest_invoice.confirmation_secret", "discounts.source.coupon"],
            },
            key=session.key("subscribe"),
        )
    session.subscriptions[created.id] = created
    return created


def accept_retention_offer(session: Session, subscription_id: Any, reason: Any) -> Any:
    """Take the site's retention offer instead of cancelling: its coupon is added to the
    subscription, once in the subscription's life (the metadata remembers it). Only the
    coupon the site configured for `reason` can be had this way."""
    subscription, facts = session.facts(subscription_id)
    coupon_id = check_retention_offer(session.settings, facts, reason)
    metadata = subscription.metadata
    if metadata is not None and OFFER_KEY in metadata and metadata[OFFER_KEY]:
        raise Conflict("This offer has already been taken.", code="offer_already_taken")
    try:
        return session.update(
            subscription.id,
            {
                "discounts": [*_kept_discounts(subscription), {"coupon": coupon_id}],
                "cancel_at_period_end": False,
                "metadata": {OFFER_KEY: coupon_id},
            },
            step="retention_offer",
        )
    except BadInput as refused:
        if not (refused.field or "").startswith("discounts"):
            raise
        # The site's coupon is gone or spent: a setting to fix, not the customer's doing.
        log.error("the retention offer's coupon %s cannot be redeemed", coupon_id)
        raise Conflict("This offer is no longer available.", code="offer_unavailable") from None


def pause(session: Session, subscription_id: Any, resumes_at: Any, *, now: int) -> Any:
    """Pause collecting payments until `resumes_at`, as the site's pause behaviour says."""
    subscription, facts = session.facts(subscription_id)
    until = check_pause(session.settings, facts, resumes_at, now)
    return session.update(
        subscription.id,
        {"pause_collection": {"behavior": session.settings.pause_behavior, "resumes_at": until}},
        step="pause",
    )


def resume(session: Session, subscription_id: Any) -> Any:
    """Collect payments again from the next invoice."""
    subscription, facts = session.facts(subscription_id)
    check_resume(session.settings, facts)
    return session.update(subscription.id, {"pause_collection": ""}, step="resume")


def start_card_update(session: Session) -> Any:
    """A setup intent for the page to confirm a new card with Stripe.js."""
    check_feature(session.settings, "update_payment_method")
    return session.gateway.create_setup_intent(session.customer_id, key=session.key("setup"))


def finish_card_update(session: Session, payment_method_id: Any) -> Any:
    """Make the card the page just confirmed (the `payment_method` of its succeeded setup
    intent) the customer's default, and the default of each subscription that named its own
    card, so every renewal uses it. Stripe refuses a card not attached to this customer,
    which a card only is once its setup succeeded. Returns the updated customer."""
    check_feature(session.settings, "update_payment_method")
    if (
        not isinstance(payment_method_id, str)
        or not payment_method_id.startswith("pm_")
        or len(payment_method_id) > 255
    ):
        raise BadInput("No such card.", code="payment_method_invalid", field="payment_method")
    try:
        customer = session.gateway.set_default_card(
            session.customer_id, payment_method_id, key=session.key("default")
        )
    except (BadInput, NotFound):
        raise BadInput(
            "That card was not confirmed for this customer.",
            code="payment_method_invalid",
            field="payment_method",
        ) from None
    session.customer = customer
    for subscription in list(session.subscriptions.values()):
        own = subscription.default_payment_method
        limited = session.only_subscription not in (None, subscription.id)
        ended = subscription.status in ("canceled", "incomplete_expired")
        if own is not None and own != payment_method_id and not ended and not limited:
            session.update(
                subscription.id, {"default_payment_method": payment_method_id}, step="card"
            )
    return customer
