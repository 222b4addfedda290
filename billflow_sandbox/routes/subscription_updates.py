"""Updating a subscription: items and quantities with prorations, cancellation at period end
and its undo, discounts, pauses, metadata and the default card; with
`payment_behavior=pending_if_incomplete`, a change that applies only once paid.

Everything is checked before anything is written: a refused update changes nothing.
"""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from ..api_objects import render
from ..context import Context
from ..engine.applying_updates import apply_items, bill_update, invoice_update
from ..engine.discounts import check_discount, check_discount_list, redeem
from ..engine.invoicing import invoice_now
from ..engine.lifecycle import emit_updated, items_of, payment_method_for, price_of
from ..engine.listing import merge_metadata
from ..engine.pending_updates import PENDING, check_pending_params, check_while_pending, hold_update
from ..engine.period_charges import period_charge
from ..engine.periods import add_interval
from ..engine.prices import interval_of
from ..engine.schedule_links import refuse_direct_changes
from ..engine.subscription_checks import (
    check_payment_method,
    check_payment_options,
    refuse_unpayable,
)
from ..engine.update_plans import (
    Plan,
    plan_update,
    preview_invoice,
)
from ..errors import StripeError, invalid
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()

_ENDED = ("canceled", "incomplete_expired")


_UPDATE_IMPLEMENTED = frozenset(
    {"items", "proration_behavior", "proration_date", "cancel_at_period_end", "cancel_at",
     "cancellation_details", "metadata", "description", "default_payment_method", "discounts",
     "pause_collection", "trial_end", "payment_behavior", "payment_settings", "off_session"}
)  # fmt: skip


@ROUTES.route(
    "POST", "/v1/subscriptions/{id}", sp.SubscriptionUpdateParams, implemented=_UPDATE_IMPLEMENTED
)
def update_subscription(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    sub = state.get("subscription", ctx.args["id"])
    customer = sub["customer"]
    if sub["status"] in _ENDED and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise StripeError(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param=sorted(set(params) - {"metadata", "expand"})[0],
        )
    payment = params.get("payment_behavior", "allow_incomplete")
    if payment == PENDING:
        check_pending_params(params)
    check_while_pending(sub, params)
    check_payment_options(params)
    refuse_direct_changes(ctx, sub, params)
    now = ctx.now(customer)
    at = params.get("proration_date") or now
    period = items_of(ctx, sub)[0]
    if not period["current_period_start"] <= at <= period["current_period_end"]:
        raise invalid(
            "proration_date must be within the subscription's current billing period.",
            param="proration_date",
        )
    cancel_at = params.get("cancel_at")
    if isinstance(cancel_at, int) and cancel_at <= now:
        raise invalid("cancel_at must be in the future.", param="cancel_at")
    behavior = params.get("proration_behavior", "create_prorations")
    plan = plan_update(ctx, sub, params["items"], behavior, at) if params.get("items") else None
    if params.get("default_payment_method"):
        check_payment_method(ctx, params["default_payment_method"], customer)
    # `discounts[]` replaces the list: entries name a discount to keep or a coupon or
    # promotion code to redeem.
    kept_discounts: list[str] | None = None
    new_discounts: list[tuple[JSON, JSON | None]] = []
    if "discounts" in params:
        kept_discounts = []
        for index, spec in enumerate(params["discounts"] or []):
            if spec.get("discount"):
                if spec["discount"] not in sub["discounts"]:
                    raise StripeError(
                        f"No such discount: '{spec['discount']}'",
                        status=404,
                        code="resource_missing",
                        param=f"discounts[{index}][discount]",
                    )
                kept_discounts.append(spec["discount"])
            else:
                new_discounts.append(
                    check_discount(ctx, spec, customer, f"discounts[{index}]", sub["currency"])
                )
        check_discount_list(ctx, kept_discounts, [coupon for coupon, _ in new_discounts])
    trial_end = params.get("trial_end")
    if trial_end is not None:
        if sub["status"] != "trialing":
            raise invalid(
                "The sandbox changes `trial_end` only while the subscription is trialing.",
                param="trial_end",
            )
        if trial_end != "now" and trial_end <= ctx.now(customer):
            raise invalid(
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
                param="trial_end",
            )
    pause = params.get("pause_collection")
    if pause and pause.get("resumes_at") is not None and pause["resumes_at"] <= ctx.now(customer):
        raise invalid("resumes_at must be in the future.", param="pause_collection[resumes_at]")
    metadata = merge_metadata(sub["metadata"], params["metadata"]) if "metadata" in params else None
    bills_now = plan is not None and (
        plan.resets_cycle or (behavior == "always_invoice" and plan.charges)
    )
    pm_id = params.get("default_payment_method") or payment_method_for(ctx, sub)
    if payment == "error_if_incomplete":
        if bills_now:
            assert plan is not None
            if preview_invoice(ctx, sub, plan, "always_invoice")["amount_due"] > 0:
                refuse_unpayable(ctx, pm_id)
        elif trial_end == "now":
            refuse_unpayable(ctx, pm_id)

    before = render(state, sub)
    if payment == PENDING and bills_now:
        assert plan is not None
        return _update_once_paid(ctx, sub, plan, behavior, params, metadata, pm_id, before)
    if plan is not None:
        apply_items(ctx, sub, plan, behavior)
    period_end = items_of(ctx, sub)[0]["current_period_end"]
    if "cancel_at_period_end" in params:
        if params["cancel_at_period_end"]:
            sub.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
            sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    if cancel_at is not None:
        if cancel_at == "":
            sub.update(cancel_at=None, canceled_at=None, cancel_at_period_end=False)
        else:
            when = period_end if isinstance(cancel_at, str) else cancel_at
            sub.update(cancel_at=when, canceled_at=now, cancel_at_period_end=when == period_end)
            sub["cancellation_details"]["reason"] = "cancellation_requested"
    details = params.get("cancellation_details") or {}
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    if metadata is not None:
        sub["metadata"] = metadata
    for field in ("description", "default_payment_method"):
        if field in params:
            sub[field] = params[field] or None
    if kept_discounts is not None:
        redeemed = [
            redeem(ctx, coupon, promo, customer=customer, subscription=sub["id"], start=now)
            for coupon, promo in new_discounts
        ]
        sub["discounts"] = kept_discounts + [discount["id"] for discount in redeemed]
    if pause is not None:
        sub["pause_collection"] = (
            None
            if pause == ""
            else {"behavior": pause["behavior"], "resumes_at": pause.get("resumes_at")}
        )
    if trial_end is not None:
        _move_trial_end(ctx, sub, trial_end, now, pm_id, payment)
    if bills_now:
        assert plan is not None
        invoice_update(ctx, sub, plan, pm_id, payment)
    emit_updated(ctx, sub, before)
    return sub


def _update_once_paid(
    ctx: Context,
    sub: JSON,
    plan: Plan,
    behavior: str,
    params: JSON,
    metadata: JSON | None,
    pm_id: str | None,
    before: JSON,
) -> JSON:
    """`pending_if_incomplete`: the change is billed before it is made, and made only if the
    payment goes through now; otherwise it waits and the subscription stays as it was (not
    `past_due`). `check_pending_params` has left only the items and metadata to act on."""
    if bill_update(ctx, sub, plan, pm_id, PENDING) == "succeeded":
        apply_items(ctx, sub, plan, behavior)
        if metadata is not None:
            sub["metadata"] = metadata
    else:
        hold_update(ctx, sub, plan, params)
    emit_updated(ctx, sub, before)
    return sub


def _move_trial_end(
    ctx: Context, sub: JSON, trial_end: int | str, now: int, pm_id: str | None, payment: str
) -> None:
    """Extend a trial, or end it now: then, as Stripe does, the cycle restarts today and the
    first paid period is invoiced and charged at once."""
    items = items_of(ctx, sub)
    if trial_end != "now":
        assert isinstance(trial_end, int)
        sub.update(trial_end=trial_end, billing_cycle_anchor=trial_end)
        for item in items:
            item["current_period_end"] = trial_end
        return
    interval, count = interval_of(price_of(ctx, items[0]))
    end = add_interval(now, interval, count)
    sub.update(trial_end=now, billing_cycle_anchor=now, status="active")
    for item in items:
        item["current_period_start"], item["current_period_end"] = now, end
    charges = [
        period_charge(ctx, item, price_of(ctx, item), item["quantity"], now, end) for item in items
    ]
    outcome = invoice_now(
        ctx,
        sub,
        charges,
        billing_reason="subscription_update",
        period_start=now,
        period_end=now,
        pm_id=pm_id,
        try_now=payment != "default_incomplete",
    )
    if outcome != "succeeded":
        sub["status"] = "past_due"
