"""Updating a subscription: items and quantities with prorations, cancellation at period end
and its undo, discounts, pauses, metadata and the default card.

Everything is checked before anything is written: a refused update changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..errors import StripeError, invalid
from ..render import render
from ..routing import Routes
from .billing import build_invoice, invoice_now
from .catalog import require_price
from .charges import Charge, pending_item, period_charge, proration_charges
from .coupons import check_discount, redeem
from .lifecycle import emit_updated, items_of, payment_method_for, price_of
from .listing import merge_metadata
from .periods import add_interval
from .subscriptions import (
    check_payment_method,
    interval_of,
    quantity_of,
    refuse_unpayable,
    same_billing,
)

JSON = dict[str, Any]
ROUTES = Routes()

_ENDED = ("canceled", "incomplete_expired")


@dataclass
class ItemChange:
    item: JSON | None
    price: JSON
    quantity: int
    deleted: bool
    metadata: JSON | str | None


def plan_items(ctx: Context, sub: JSON, specs: list[JSON]) -> list[ItemChange]:
    """The subscription's items after `items[]`, checked; writes nothing."""
    current = {item["id"]: item for item in items_of(ctx, sub)}
    changes = {
        item_id: ItemChange(item, price_of(ctx, item), item["quantity"], False, None)
        for item_id, item in current.items()
    }
    added: list[ItemChange] = []
    for index, spec in enumerate(specs):
        param = f"items[{index}]"
        if "id" in spec:
            if spec["id"] not in current:
                raise StripeError(
                    f"No such subscription item: '{spec['id']}'",
                    status=404,
                    code="resource_missing",
                    param=f"{param}[id]",
                )
            change = changes[spec["id"]]
            if spec.get("price") or spec.get("plan"):
                change.price = require_price(
                    ctx, spec.get("price") or spec["plan"], f"{param}[price]"
                )
            change.quantity = quantity_of(spec, param, change.quantity)
            change.deleted = bool(spec.get("deleted"))
            change.metadata = spec.get("metadata")
        else:
            if not (spec.get("price") or spec.get("plan")):
                raise invalid(
                    "Missing required param: price.",
                    param=f"{param}[price]",
                    code="parameter_missing",
                )
            price = require_price(ctx, spec.get("price") or spec["plan"], f"{param}[price]")
            if any(c.price["id"] == price["id"] and not c.deleted for c in changes.values()):
                raise invalid(
                    "Cannot add multiple subscription items with the same price.",
                    param=f"{param}[price]",
                )
            added.append(
                ItemChange(None, price, quantity_of(spec, param), False, spec.get("metadata"))
            )
    result = [*changes.values(), *added]
    kept = [c for c in result if not c.deleted]
    if not kept:
        raise invalid("A subscription must have at least one active item.", param="items")
    same_billing([c.price for c in kept], "items")
    return result


@dataclass
class Plan:
    """What an update will bill: proration charges now, and whether the cycle resets."""

    changes: list[ItemChange]
    charges: list[Charge]
    resets_cycle: bool
    at: int


def plan_update(ctx: Context, sub: JSON, specs: list[JSON], behavior: str, at: int) -> Plan:
    changes = plan_items(ctx, sub, specs)
    old_interval = interval_of(price_of(ctx, items_of(ctx, sub)[0]))
    kept = [c for c in changes if not c.deleted]
    resets = interval_of(kept[0].price) != old_interval
    charges: list[Charge] = []
    trialing = sub["status"] == "trialing"
    for change in changes:
        if change.item is None:
            continue
        same = (
            change.price["id"] == change.item["price"]["id"]
            and change.quantity == change.item["quantity"]
            and not change.deleted
        )
        if same or behavior == "none" or trialing:
            continue
        charges += proration_charges(
            ctx,
            change.item,
            price_of(ctx, change.item),
            change.item["quantity"],
            None if change.deleted or resets else change.price,
            change.quantity,
            at,
        )
    if not trialing and behavior != "none" and not resets:
        template = items_of(ctx, sub)[0]
        for change in changes:
            if change.item is None and change.quantity:
                charges += proration_charges(
                    ctx, template, change.price, 0, change.price, change.quantity, at
                )
    return Plan(changes, charges, resets, at)


def preview_invoice(ctx: Context, sub: JSON, plan: Plan, behavior: str) -> JSON:
    """The invoice the update would create now, or, for `create_prorations`, the next one."""
    period_end = items_of(ctx, sub)[0]["current_period_end"]
    cycle = _cycle_charges(ctx, plan, period_end)
    if plan.resets_cycle or behavior == "always_invoice":
        return build_invoice(
            ctx,
            sub=sub,
            customer=sub["customer"],
            billing_reason="subscription_update",
            charges=plan.charges + cycle if plan.resets_cycle else plan.charges,
            period_start=plan.at,
            period_end=plan.at,
            preview=True,
        )
    return build_invoice(
        ctx,
        sub=sub,
        customer=sub["customer"],
        billing_reason="upcoming",
        charges=cycle,
        period_start=plan.at,
        period_end=period_end,
        preview=True,
        extra_pending=plan.charges,
    )


def _cycle_charges(ctx: Context, plan: Plan, start: int) -> list[Charge]:
    """Full-period charges for the items the update leaves, from `start`."""
    charges = []
    for change in plan.changes:
        if change.deleted or not change.quantity:
            continue
        interval, count = interval_of(change.price)
        begin = plan.at if plan.resets_cycle else start
        charges.append(
            period_charge(
                ctx,
                change.item or {"id": None},
                change.price,
                change.quantity,
                begin,
                add_interval(begin, interval, count),
            )
        )
    return charges


@ROUTES.route("POST", "/v1/subscriptions/{id}", sp.SubscriptionUpdateParams)
def update_subscription(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    sub = state.get("subscription", ctx.args["id"])
    customer = sub["customer"]
    if sub["status"] in _ENDED and set(params) - {"metadata", "cancellation_details", "expand"}:
        raise StripeError(
            "A canceled subscription can only update its cancellation_details and metadata.",
            param=sorted(set(params) - {"metadata", "expand"})[0],
        )
    at = params.get("proration_date") or ctx.now(customer)
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
    cancel_at = params.get("cancel_at")
    metadata = merge_metadata(sub["metadata"], params["metadata"]) if "metadata" in params else None
    bills_now = plan is not None and (
        plan.resets_cycle or (behavior == "always_invoice" and plan.charges)
    )
    payment = params.get("payment_behavior", "allow_incomplete")
    pm_id = params.get("default_payment_method") or payment_method_for(ctx, sub)
    if bills_now and payment == "error_if_incomplete":
        assert plan is not None
        if preview_invoice(ctx, sub, plan, "always_invoice")["amount_due"] > 0:
            refuse_unpayable(ctx, pm_id)

    before = render(state, sub)
    now = ctx.now(customer)
    if plan is not None:
        _apply_items(ctx, sub, plan, behavior)
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
        _invoice_now(ctx, sub, plan, pm_id, payment)
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


def _apply_items(ctx: Context, sub: JSON, plan: Plan, behavior: str) -> None:
    state = ctx.state
    template = items_of(ctx, sub)[0]
    start, end = template["current_period_start"], template["current_period_end"]
    if plan.resets_cycle:
        interval, count = interval_of(next(c.price for c in plan.changes if not c.deleted))
        start, end = plan.at, add_interval(plan.at, interval, count)
        sub["billing_cycle_anchor"] = plan.at
    elif behavior == "create_prorations":
        for charge in plan.charges:
            pending_item(ctx, sub, charge)
    for change in plan.changes:
        if change.deleted and change.item is not None:
            sub["items"]["data"].remove(change.item["id"])
            state.delete("subscription_item", change.item["id"])
            continue
        item = change.item
        if item is None:
            item = shapes.subscription_item(
                id=state.new_id("subscription_item"),
                created=ctx.now(sub["customer"]),
                subscription=sub["id"],
                price=change.price,
                quantity=change.quantity,
                current_period_start=start,
                current_period_end=end,
            )
            state.put(item)
            sub["items"]["data"].append(item["id"])
        item.update(
            price=dict(change.price),
            plan=shapes.plan_from_price(change.price),
            quantity=change.quantity,
            current_period_start=start,
            current_period_end=end,
        )
        if change.metadata is not None:
            item["metadata"] = merge_metadata(item["metadata"], change.metadata)


def _invoice_now(ctx: Context, sub: JSON, plan: Plan, pm_id: str | None, payment: str) -> None:
    charges = list(plan.charges)
    if plan.resets_cycle:
        charges += _cycle_charges(ctx, plan, plan.at)
    outcome = invoice_now(
        ctx,
        sub,
        charges,
        billing_reason="subscription_update",
        period_start=plan.at,
        period_end=plan.at,
        pm_id=pm_id,
        try_now=payment != "default_incomplete",
    )
    if outcome != "succeeded" and sub["status"] == "active":
        sub["status"] = "past_due"
