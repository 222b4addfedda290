"""Planning a change to a subscription's items without making it: the items it leaves, the
prorations it costs, whether it restarts the billing cycle, and the invoice it would make.

Updates apply a plan; `create_preview` only shows its invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import shapes
from ..context import Context
from ..errors import StripeError, invalid, not_implemented
from .invoicing import build_invoice
from .lifecycle import items_of, price_of
from .period_charges import Charge, period_charge, proration_charges
from .periods import add_interval
from .prices import interval_of, require_price
from .subscription_checks import quantity_of, same_billing

JSON = dict[str, Any]

# What an entry of `items[]` may hold here; Stripe's other item options are refused.
_ITEM_FIELDS = frozenset({"id", "price", "plan", "quantity", "deleted", "metadata"})


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
        for field in spec.keys() - _ITEM_FIELDS:
            raise not_implemented(f"{param}[{field}]")
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


def period_once_applied(plan: Plan, template: JSON) -> tuple[int, int]:
    """The items' period once `plan` applies: the current one, or a new cycle from the
    change when it resets the cycle (`template` is one of the current items)."""
    if not plan.resets_cycle:
        return template["current_period_start"], template["current_period_end"]
    interval, count = interval_of(next(c.price for c in plan.changes if not c.deleted))
    return plan.at, add_interval(plan.at, interval, count)


def new_item(ctx: Context, sub: JSON, change: ItemChange, start: int, end: int) -> JSON:
    """The item a change adds, for the period `start`–`end` (not stored)."""
    return shapes.subscription_item(
        id=ctx.state.new_id("subscription_item"),
        created=ctx.now(sub["customer"]),
        subscription=sub["id"],
        price=change.price,
        quantity=change.quantity,
        current_period_start=start,
        current_period_end=end,
    )


def plan_update(ctx: Context, sub: JSON, specs: list[JSON], behavior: str, at: int) -> Plan:
    return plan_changes(ctx, sub, plan_items(ctx, sub, specs), behavior, at)


def plan_changes(
    ctx: Context, sub: JSON, changes: list[ItemChange], behavior: str, at: int
) -> Plan:
    """What moving the subscription to `changes` (already checked) at `at` bills."""
    old_interval = interval_of(price_of(ctx, items_of(ctx, sub)[0]))
    kept = [c for c in changes if not c.deleted]
    trialing = sub["status"] == "trialing"
    # A trial is free whatever the plan: a change during it swaps the price, and the first
    # bill still comes at the trial's end.
    resets = interval_of(kept[0].price) != old_interval and not trialing
    charges: list[Charge] = []
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
    cycle = cycle_charges(ctx, plan, period_end)
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


def cycle_charges(ctx: Context, plan: Plan, start: int) -> list[Charge]:
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
