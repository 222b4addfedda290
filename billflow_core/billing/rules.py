"""Every check of what a customer may do, in one place, whatever the page sends.

Rules are pure: they look at the settings, the catalog and the facts of a subscription, and
either say what is allowed or raise the `BillflowError` a refusal answers with. Actions call
them before any Stripe write, so a refused action writes nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from ..actions.table import ACTIONS
from ..errors import BadInput, Conflict, Forbidden, NotFound
from ..settings import PortalSettings
from .catalog import Catalog, Plan
from .subscription_facts import ENDED, LIVE, SCHEDULE_MARK, SubscriptionFacts

__all__ = [
    "SCHEDULE_MARK",
    "SubscriptionFacts",
    "change_timing",
    "check_cancel",
    "check_change_plan",
    "check_change_quantity",
    "check_comeback",
    "check_feature",
    "check_live",
    "check_no_change_pending",
    "check_not_scheduled",
    "check_not_subscribed",
    "check_owner",
    "check_pause",
    "check_pause_allowance",
    "check_resubscribe",
    "check_resume",
    "check_same_currency",
    "check_subscribe",
    "check_subscribe_quantity",
    "check_undo_cancel",
    "check_undo_downgrade",
    "is_downgrade",
    "picker_plans",
    "trial_days",
]

MAX_COMMENT = 500


def check_feature(settings: PortalSettings, action: str) -> None:
    """Refuse an action the site switched off with the option the action table names for
    it (the page hides it; the server refuses it)."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(f"There is no action called {action!r}.", code="unknown_action")
    if spec.option is not None and not getattr(settings, spec.option):
        raise Forbidden(spec.refusal, code="feature_disabled")
    if action == "setup_payment_method" and not (
        settings.update_payment_method or settings.payment_methods
    ):
        raise Forbidden(spec.refusal, code="feature_disabled")
    if action == "cancel" and settings.pause_instead_of_cancel:
        raise Forbidden("This site offers a pause instead of cancelling.", code="feature_disabled")


def check_owner(facts: SubscriptionFacts, customer_id: str, only: str | None = None) -> None:
    """A customer acts only on their own subscriptions (and only on `only` when the page
    was limited to one). Someone else's subscription is answered as unknown, so its
    existence is not revealed."""
    if facts.customer != customer_id or (only is not None and facts.id != only):
        raise NotFound("No such subscription.", code="subscription_not_found",
                       field="subscription")  # fmt: skip
    if facts.items != 1:
        raise Conflict("This subscription has several items; contact the site to change it.",
                       code="multiple_items")  # fmt: skip


def check_live(facts: SubscriptionFacts) -> None:
    if facts.status in ENDED:
        raise Conflict("This subscription has ended.", code="subscription_ended")
    if facts.status not in LIVE:
        raise Conflict("This subscription is waiting for its first payment.",
                       code="subscription_incomplete")  # fmt: skip


def check_change_plan(
    settings: PortalSettings, catalog: Catalog, facts: SubscriptionFacts, price_id: Any
) -> Plan:
    """The plan to move to: an active price of the subscription's own service, not the
    current one. A pending downgrade may be replaced by another plan (the action settles
    which); a change waiting for its payment may not."""
    check_feature(settings, "change_plan")
    check_live(facts)
    if facts.awaiting_payment:
        check_no_change_pending(facts)
    if not isinstance(price_id, str) or not price_id:
        raise BadInput("Choose a plan.", code="price_required", field="price")
    offered = {plan.price_id: plan for plan in catalog.alternatives(facts.price_id)}
    if price_id not in offered:
        check_same_currency(catalog.plan(price_id), facts.currency)
        raise BadInput("That plan is not offered for this subscription.",
                       code="plan_not_offered", field="price")  # fmt: skip
    if price_id == facts.price_id:
        raise Conflict("This is already the current plan.", code="same_plan", field="price")
    plan = offered[price_id]
    if not _takes_quantity(plan, facts.quantity):
        raise BadInput(
            "That plan does not take the current quantity; change the quantity first.",
            code="plan_quantity_mismatch",
            field="price",
        )
    return plan


def check_same_currency(plan: Plan | None, currency: str | None) -> None:
    """A plan billed in the currency the customer already pays in, where they have one:
    Stripe keeps a subscription, and a customer once billed, to one currency."""
    if plan is not None and currency is not None and plan.currency != currency:
        raise BadInput(f"That plan is billed in {plan.currency.upper()}, not {currency.upper()}.",
                       code="currency_mismatch", field="price")  # fmt: skip


def _takes_quantity(plan: Plan, quantity: int) -> bool:
    """Whether `plan` may be billed for `quantity` units: within its bounds, or exactly one
    for a plan whose quantity customers do not choose."""
    return plan.quantity.allows(quantity) if plan.quantity is not None else quantity == 1


def check_change_quantity(
    settings: PortalSettings, catalog: Catalog, facts: SubscriptionFacts, quantity: Any
) -> int:
    """The new quantity: a whole number within the product's bounds, where enabled."""
    check_feature(settings, "change_quantity")
    check_live(facts)
    check_no_change_pending(facts)
    plan = catalog.plan(facts.price_id)
    if plan is None or plan.quantity is None:
        raise Forbidden("The quantity of this plan cannot be changed.",
                        code="quantity_disabled")  # fmt: skip
    rule = plan.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadInput("The quantity must be a whole number.", code="quantity_invalid",
                       field="quantity")  # fmt: skip
    if not rule.allows(quantity):
        raise BadInput(f"The quantity must be between {rule.minimum} and {rule.maximum}.",
                       code="quantity_out_of_bounds", field="quantity")  # fmt: skip
    if quantity == facts.quantity:
        raise Conflict("This is already the quantity.", code="same_quantity", field="quantity")
    return quantity


def check_not_scheduled(facts: SubscriptionFacts) -> None:
    """A subscription the site put on a schedule of its own changes only through it."""
    if facts.schedule is not None and not facts.schedule_ours:
        raise Conflict("This subscription follows a schedule the site set; contact them to "
                       "change it.", code="managed_by_schedule")  # fmt: skip


def change_timing(
    settings: PortalSettings,
    catalog: Catalog,
    facts: SubscriptionFacts,
    price_id: str,
    quantity: int,
) -> Literal["now", "period_end"]:
    """When a checked plan or quantity change takes effect: a downgrade waits for the end
    of the paid period where the site says so (or where a downgrade is already waiting);
    anything else applies now.

    A schedule that is not Billflow's refuses the change, except a downgrade: that may be
    the schedule an earlier, interrupted try of this very action made, which the action
    tells apart by repeating its creation under the same idempotency key."""
    down = is_downgrade(catalog, facts, price_id, quantity)
    held_back = down and (settings.downgrade_at_period_end or facts.downgrade_pending)
    if not held_back:
        check_not_scheduled(facts)
    return "period_end" if held_back else "now"


def check_no_change_pending(facts: SubscriptionFacts) -> None:
    """One change at a time: a change held for its payment or scheduled for the period end
    is settled (or undone) before another."""
    if facts.awaiting_payment:
        raise Conflict("A change is waiting for its payment; complete or cancel it first.",
                       code="payment_pending")  # fmt: skip
    if facts.downgrade_pending:
        raise Conflict("A change is already scheduled for the end of the period; undo it "
                       "first.", code="change_pending")  # fmt: skip


def is_downgrade(catalog: Catalog, facts: SubscriptionFacts, price_id: str, quantity: int) -> bool:
    """Whether the change lowers what the subscription costs per day: the change a site
    may hold back until the paid period ends."""
    current, new = catalog.plan(facts.price_id), catalog.plan(price_id)
    if current is None or new is None:
        return False
    return new.daily_amount * quantity < current.daily_amount * facts.quantity


def check_undo_downgrade(facts: SubscriptionFacts) -> None:
    if not facts.downgrade_pending:
        raise Conflict("No change is scheduled for this subscription.", code="no_change_pending")


def check_cancel(
    settings: PortalSettings, facts: SubscriptionFacts, reason: Any, comment: Any
) -> tuple[str | None, str | None]:
    """The reason and comment of a cancellation: a reason from the site's list (required
    when it has one), a comment of at most 500 characters."""
    check_feature(settings, "cancel")
    if facts.status in ENDED:
        raise Conflict("This subscription is already canceled.", code="already_canceled")
    if facts.cancel_at_period_end and not settings.cancel_immediately:
        raise Conflict("This subscription is already set to cancel.", code="already_canceling")
    if not settings.cancel_immediately:
        check_not_scheduled(facts)  # Stripe takes a scheduled end only from the schedule
    if settings.cancellation_reasons and reason not in settings.cancellation_reasons:
        raise BadInput("Choose a reason from the list.", code="reason_invalid", field="reason")
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        raise BadInput(f"The comment must be text of at most {MAX_COMMENT} characters.",
                       code="comment_invalid", field="comment")  # fmt: skip
    return (reason if isinstance(reason, str) else None), (comment or None)


def check_undo_cancel(settings: PortalSettings, facts: SubscriptionFacts) -> None:
    check_feature(settings, "undo_cancel")
    if facts.status in ENDED:
        raise Conflict("This subscription has ended; resubscribe instead.",
                       code="subscription_ended")  # fmt: skip
    if not facts.cancel_at_period_end:
        raise Conflict("This subscription is not set to cancel.", code="not_canceling")


def check_resubscribe(
    settings: PortalSettings,
    catalog: Catalog,
    facts: SubscriptionFacts,
    price_id: Any,
    coupon: Any,
) -> str:
    """The price to resubscribe to: the old one, or another of its service when the site
    allows choosing; a coupon only where the site allows it."""
    check_feature(settings, "resubscribe")
    if facts.status not in ENDED:
        raise Conflict("This subscription has not ended.", code="subscription_not_ended")
    if coupon not in (None, "") and not settings.coupons_on_resubscribe:
        raise Forbidden("This site does not take coupons when resubscribing.",
                        code="feature_disabled", field="coupon")  # fmt: skip
    if price_id is not None and not isinstance(price_id, str):
        raise BadInput("Choose a plan.", code="price_required", field="price")
    if price_id in (None, "", facts.price_id):
        if catalog.plan(facts.price_id) is None:
            raise Conflict("This plan is no longer offered; choose another.",
                           code="plan_retired", field="price")  # fmt: skip
        return facts.price_id
    if not settings.change_plan_on_resubscribe:
        raise Forbidden("This site does not allow another plan when resubscribing.",
                        code="feature_disabled", field="price")  # fmt: skip
    if price_id not in {plan.price_id for plan in catalog.alternatives(facts.price_id)}:
        raise BadInput("That plan is not offered for this subscription.",
                       code="plan_not_offered", field="price")  # fmt: skip
    return str(price_id)


def check_not_subscribed(catalog: Catalog, others: list[SubscriptionFacts], price_id: str) -> None:
    """One subscription per service: a customer with a live one changes its plan instead,
    and one whose first payment is still waiting pays that (or lets it lapse) first."""
    service = _service_of(catalog, price_id)
    for other in others:
        if other.price_id in service and other.status in LIVE:
            raise Conflict("You already subscribe to this service.", code="already_subscribed")
        if other.price_id in service and other.status == "incomplete":
            raise Conflict("A subscription to this service is waiting for its first payment.",
                           code="payment_pending")  # fmt: skip


def _service_of(catalog: Catalog, price_id: str) -> set[str]:
    return {plan.price_id for plan in catalog.alternatives(price_id)} or {price_id}


def check_comeback(
    settings: PortalSettings,
    catalog: Catalog,
    others: list[SubscriptionFacts],
    plan: Plan,
    code: Any,
) -> None:
    """Someone whose subscription to this service ended comes back through the plan picker
    under the same options as resubscribing: allowed at all, on another plan, with a code."""
    service = _service_of(catalog, plan.price_id)
    ended = {o.price_id for o in others if o.status in ENDED and o.price_id in service}
    if not ended:
        return
    if not settings.resubscribe:
        raise Forbidden("This site does not allow resubscribing.", code="feature_disabled")
    if plan.price_id not in ended and not settings.change_plan_on_resubscribe:
        raise Forbidden("This site does not allow another plan when resubscribing.",
                        code="feature_disabled", field="price")  # fmt: skip
    if code not in (None, "") and not settings.coupons_on_resubscribe:
        raise Forbidden("This site does not take coupons when resubscribing.",
                        code="feature_disabled", field="coupon")  # fmt: skip


def picker_plans(
    settings: PortalSettings,
    catalog: Catalog,
    others: list[SubscriptionFacts],
    currency: str | None = None,
) -> tuple[Plan, ...]:
    """The plans the picker offers: only to someone with no live subscription unless the
    site shows it to subscribers too, and only plans `check_subscribe` would accept (in
    `currency`, the customer's once Stripe has billed them)."""
    if any(o.status in LIVE for o in others) and not settings.plan_picker:
        return ()
    offered = []
    for plan in catalog.plans:
        try:
            check_same_currency(plan, currency)
            check_not_subscribed(catalog, others, plan.price_id)
            check_comeback(settings, catalog, others, plan, None)
        except (BadInput, Conflict, Forbidden):
            continue
        offered.append(plan)
    return tuple(offered)


def check_subscribe_quantity(plan: Plan, quantity: Any) -> int:
    """How many units someone subscribes to: their choice within the plan's bounds where
    customers choose it (its minimum when they did not say), else one."""
    if plan.quantity is None:
        if quantity is not None and (type(quantity) is not int or quantity != 1):
            raise BadInput("This plan is not sold by quantity.", code="quantity_disabled",
                           field="quantity")  # fmt: skip
        return 1
    if quantity is None:
        return plan.quantity.minimum
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise BadInput("Quantity must be a whole number.", code="quantity_invalid",
                       field="quantity")  # fmt: skip
    if not plan.quantity.allows(quantity):
        raise BadInput(
            f"Choose a quantity between {plan.quantity.minimum} and {plan.quantity.maximum}.",
            code="quantity_out_of_bounds",
            field="quantity",
        )
    return quantity


def trial_days(catalog: Catalog, others: list[SubscriptionFacts], plan: Plan) -> int | None:
    """The free trial subscribing to `plan` starts: its price's, for an identity that never
    subscribed to its service (ended and unpaid subscriptions count: one trial each)."""
    if not plan.trial_days:
        return None
    for other in others:
        theirs = catalog.plan(other.price_id)
        # A price the catalog no longer offers (archived, or dropped from the site's
        # list) may have been this service's: no second trial on that doubt.
        if theirs is None or theirs.service == plan.service:
            return None
    return plan.trial_days


def check_subscribe(
    settings: PortalSettings,
    catalog: Catalog,
    others: list[SubscriptionFacts],
    price_id: Any,
    code: Any,
    currency: str | None = None,
) -> Plan:
    """The plan someone picks: one the picker offers, in `currency` (the customer's, once
    they have one), not beside a live subscription of its service; a code only where
    coupons are on."""
    if others and any(o.status in LIVE for o in others) and not settings.plan_picker:
        raise Forbidden(
            "This site does not offer more plans to subscribers.", code="feature_disabled"
        )
    if code not in (None, "") and not settings.coupons:
        raise Forbidden("This site does not take coupons.", code="feature_disabled", field="coupon")
    if not isinstance(price_id, str) or not price_id:
        raise BadInput("Choose a plan.", code="price_required", field="price")
    # The catalog holds only what the settings offer (their service, or their price ids).
    plan = next(
        (p for p in catalog.plans if isinstance(price_id, str) and p.price_id == price_id), None
    )
    if plan is None:
        raise BadInput("That plan is not offered.", code="plan_not_offered", field="price")
    check_same_currency(plan, currency)
    check_not_subscribed(catalog, others, plan.price_id)
    check_comeback(settings, catalog, others, plan, code)
    return plan


def check_pause(
    settings: PortalSettings, facts: SubscriptionFacts, resumes_at: Any, now: int
) -> int:
    """The resume date of a pause: in the future, within the site's longest pause."""
    check_feature(settings, "pause")
    check_live(facts)
    if facts.paused:
        raise Conflict("This subscription is already paused.", code="already_paused")
    latest = now + settings.pause_max_days * 86400
    if isinstance(resumes_at, bool) or not isinstance(resumes_at, int):
        raise BadInput("Choose when to resume.", code="resume_date_invalid", field="resumes_at")
    if not now < resumes_at <= latest:
        raise BadInput(f"Choose a resume date within {settings.pause_max_days} days.",
                       code="resume_date_out_of_bounds", field="resumes_at")  # fmt: skip
    return resumes_at


def check_pause_allowance(settings: PortalSettings, recent_pauses: int) -> None:
    """A pause within the site's allowance: `pause_limit_per_year` pauses in any 365 days,
    so pausing cannot stand in for cancelling for good."""
    if recent_pauses >= settings.pause_limit_per_year:
        raise Conflict(
            f"This subscription can be paused {settings.pause_limit_per_year} time(s) a year.",
            code="pause_limit_reached",
        )


def check_resume(settings: PortalSettings, facts: SubscriptionFacts) -> None:
    check_feature(settings, "resume")
    if not facts.paused:
        raise Conflict("This subscription is not paused.", code="not_paused")
