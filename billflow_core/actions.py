"""What a customer can do to a subscription, each action checked by the rules before its
first Stripe write, and keyed so that a retry of the same intent writes once.

An action runs in a `Session` (session.py). Coming back and subscribing are in
comebacks.py, downgrades held for the period end in downgrades.py, typed codes in codes.py;
this module holds the rest and is where callers find them all.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from .codes import PROMOTION_KEY, code_refusals, coupons_held, kept_discounts, typed_promotion
from .comebacks import resubscribe, subscribe
from .downgrades import release_schedule, schedule_change, undo_downgrade
from .errors import BadInput, Conflict, NotFound
from .facts import LIVE, OFFER_KEY, own_card_id
from .gateway import SUBSCRIPTION_EXPAND
from .pauses import PAUSES_KEY, pauses_in_year, with_pause
from .rules import (
    change_timing,
    check_cancel,
    check_change_plan,
    check_change_quantity,
    check_coupon_action,
    check_coupon_not_held,
    check_feature,
    check_pause,
    check_pause_allowance,
    check_resume,
    check_retention_offer,
    check_undo_cancel,
)
from .session import Session
from .settings import STRIPE_FEEDBACK

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
    "finish_payment",
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
        return schedule_change(session, subscription, plan, facts.quantity)
    if facts.schedule_ours:  # an upgrade now replaces Billflow's downgrade schedule
        subscription = release_schedule(session, subscription)
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
        return schedule_change(session, subscription, plan, checked)
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
        subscription = release_schedule(session, subscription)
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
        {"cancellation_details": details, "expand": list(SUBSCRIPTION_EXPAND)},
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
    """Put a promotion code, as customers type it, on the subscription. It replaces the
    code the customer typed before and keeps the site's own discounts (a retention offer,
    a staff coupon); a code whose coupon the subscription already has is refused, so codes
    never stack."""
    subscription, facts = session.facts(subscription_id)
    typed = check_coupon_action(session.settings, facts, code)
    promotion, coupon = typed_promotion(session, typed)
    check_coupon_not_held(coupons_held(subscription), coupon)
    discounts = kept_discounts(subscription, but_typed=True)
    discounts.append({"promotion_code": promotion})
    with code_refusals(session, code):
        return session.update(
            subscription.id,
            {"discounts": discounts, "metadata": {PROMOTION_KEY: promotion}},
            step="apply_coupon",
        )


def accept_retention_offer(session: Session, subscription_id: Any, reason: Any) -> Any:
    """Take the site's retention offer instead of cancelling: its coupon is added to the
    subscription, once in the subscription's life (the metadata remembers it). Only the
    coupon the site configured for `reason` can be had this way."""
    subscription, facts = session.facts(subscription_id)
    coupon_id = check_retention_offer(session.settings, facts, reason)
    try:
        return session.update(
            subscription.id,
            {
                "discounts": [*kept_discounts(subscription), {"coupon": coupon_id}],
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
    """Pause collecting payments until `resumes_at`, as the site's pause behaviour says,
    at most `pause_limit_per_year` times in any 365 days (counted in the metadata)."""
    subscription, facts = session.facts(subscription_id)
    until = check_pause(session.settings, facts, resumes_at, now)
    recent = pauses_in_year(subscription, now)
    check_pause_allowance(session.settings, len(recent))
    return session.update(
        subscription.id,
        {
            "pause_collection": {"behavior": session.settings.pause_behavior, "resumes_at": until},
            "metadata": {PAUSES_KEY: with_pause(recent, now)},
        },
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
        own = own_card_id(subscription)
        limited = session.only_subscription not in (None, subscription.id)
        ended = subscription.status in ("canceled", "incomplete_expired")
        if own is not None and own != payment_method_id and not ended and not limited:
            session.update(
                subscription.id, {"default_payment_method": payment_method_id}, step="card"
            )
    return customer


def finish_payment(session: Session, subscription_id: Any) -> Any:
    """After the page confirmed a subscription's payment: a card checkout saved to the
    subscription (`save_default_payment_method`) becomes the customer's default where they
    have none, so the card section names it and later subscriptions are charged to it.
    Stripe saves it to the subscription alone. One write at most, once the payment went
    through: the customer has a default afterwards, so a retry or a second call writes
    nothing. Returns the subscription, as it is now."""
    subscription, facts = session.facts(subscription_id)
    own = own_card_id(subscription)
    if own is None or not _is_card(subscription.default_payment_method):
        return subscription  # a bank debit or a method staff set is not the page's to spread
    if facts.status not in LIVE and not _first_invoice_paid(subscription):
        return subscription
    customer = session.customer or session.gateway.customer(session.customer_id)
    settings = getattr(customer, "invoice_settings", None)
    if getattr(settings, "default_payment_method", None) is not None:
        return subscription
    session.customer = session.gateway.set_default_card(
        session.customer_id, own, key=session.key(f"checkout_card:{subscription.id}")
    )
    return subscription


def _is_card(payment_method: Any) -> bool:
    """Whether the (expanded) payment method is a card: one read as an id cannot be told."""
    return getattr(payment_method, "type", None) == "card"


def _first_invoice_paid(subscription: Any) -> bool:
    """A subscription Stripe still calls `incomplete` a moment after its first invoice was
    paid (its status follows the payment asynchronously)."""
    invoice = getattr(subscription, "latest_invoice", None)
    return (
        subscription.status == "incomplete"
        and invoice is not None
        and not isinstance(invoice, str)
        and invoice.status == "paid"
    )
