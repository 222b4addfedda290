"""Subscriptions: create, retrieve, list, update (items, prorations, cancellation at period
end, discounts, pauses), and cancel now."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from .. import shapes
from ..api_objects import render
from ..context import Context
from ..engine.cancellation import cancel_now
from ..engine.discounts import check_discount, check_discount_list, redeem
from ..engine.invoicing import collect, finalize, first_invoice
from ..engine.lifecycle import (
    emit_updated,
    items_of,
)
from ..engine.listing import created_filter, merge_metadata, page, time_filter
from ..engine.periods import add_interval
from ..engine.prices import interval_of, require_price
from ..engine.setup_intents import pending_setup_intent
from ..engine.subscription_checks import (
    check_currency,
    check_payment_method,
    check_payment_options,
    quantity_of,
    refuse_unpayable,
    same_billing,
)
from ..errors import StripeError, invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


def _trial_end(params: JSON, now: int, prices: list[JSON]) -> int | None:
    if params.get("trial_end") == "now":
        return None
    if isinstance(params.get("trial_end"), int):
        if params["trial_end"] <= now:
            raise invalid(
                "Invalid timestamp: must be an integer Unix timestamp in the future.",
                param="trial_end",
            )
        return int(params["trial_end"])
    days = params.get("trial_period_days")
    if days is None and params.get("trial_from_plan"):
        days = prices[0]["recurring"].get("trial_period_days")
    return now + int(days) * 86400 if days else None


# -- create --------------------------------------------------------------------------------
_CREATE_IMPLEMENTED = frozenset(
    {"customer", "items", "default_payment_method", "payment_behavior", "payment_settings",
     "trial_period_days", "trial_end", "trial_from_plan", "discounts", "metadata",
     "cancel_at_period_end", "collection_method", "description", "off_session",
     "proration_behavior", "trial_settings"}
)  # fmt: skip
# What a trial does at its end when the subscription has no payment method to charge.
_TRIAL_ENDINGS = ("create_invoice", "cancel")


def _missing_payment_method(params: JSON) -> str:
    """`trial_settings.end_behavior.missing_payment_method`, checked: `pause` is refused as
    not implemented rather than ignored."""
    settings = params.get("trial_settings") or {}
    behavior = (settings.get("end_behavior") or {}).get("missing_payment_method")
    param = "trial_settings[end_behavior][missing_payment_method]"
    if behavior is None:
        return "create_invoice"
    if behavior == "pause":
        raise not_implemented(param, behavior)
    if behavior not in _TRIAL_ENDINGS:
        raise invalid(
            f"Invalid {param}: must be one of create_invoice, pause or cancel.", param=param
        )
    return str(behavior)


@ROUTES.route(
    "POST", "/v1/subscriptions", sp.SubscriptionCreateParams, implemented=_CREATE_IMPLEMENTED
)
def create_subscription(ctx: Context, params: JSON) -> JSON:
    state = ctx.state
    if not params.get("customer"):
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    customer = state.get("customer", params["customer"], param="customer")
    specs = params.get("items") or []
    if not specs:
        raise invalid("Missing required param: items.", param="items", code="parameter_missing")
    prices = [
        require_price(ctx, s.get("price") or s.get("plan") or "", f"items[{i}][price]")
        for i, s in enumerate(specs)
    ]
    quantities = [quantity_of(s, f"items[{i}]") for i, s in enumerate(specs)]
    for index, spec in enumerate(specs):
        for field in sorted(spec.keys() - {"price", "plan", "quantity", "metadata"}):
            raise not_implemented(f"items[{index}][{field}]")
    if params.get("payment_behavior") == "pending_if_incomplete":
        # Stripe's API reference: pending updates are for changes to a subscription.
        raise invalid(
            "`pending_if_incomplete` is only used with updates and cannot be passed when "
            "creating a Subscription.",
            param="payment_behavior",
        )
    check_payment_options(params)
    same_billing(prices, "items")
    check_currency(customer, prices[0]["currency"], "items[0][price]")
    if params.get("default_payment_method"):
        check_payment_method(ctx, params["default_payment_method"], customer["id"])
    discounts = [
        check_discount(ctx, d, customer["id"], f"discounts[{i}]", prices[0]["currency"])
        for i, d in enumerate(params.get("discounts") or [])
    ]
    check_discount_list(ctx, [], [coupon for coupon, _ in discounts])
    now = ctx.now(customer["id"])
    trial_end = _trial_end(params, now, prices)
    missing_payment_method = _missing_payment_method(params)
    behavior = params.get("payment_behavior", "allow_incomplete")
    pm_id = (
        params.get("default_payment_method")
        or customer["invoice_settings"]["default_payment_method"]
    )
    if behavior == "error_if_incomplete" and trial_end is None:
        preview = first_invoice(
            ctx,
            None,
            customer["id"],
            prices,
            quantities,
            now,
            [],
            coupons=[coupon for coupon, _ in discounts],
        )
        if preview["amount_due"] > 0:
            refuse_unpayable(ctx, pm_id)

    customer["currency"] = prices[0]["currency"]
    sub_id = state.new_id("subscription")
    interval, count = interval_of(prices[0])
    period_end = trial_end or add_interval(now, interval, count)
    sub = shapes.subscription(
        id=sub_id,
        created=now,
        customer=customer["id"],
        currency=prices[0]["currency"],
        status="trialing" if trial_end else "incomplete",
        start_date=now,
        billing_cycle_anchor=trial_end or now,
        collection_method=params.get("collection_method", "charge_automatically"),
        default_payment_method=params.get("default_payment_method"),
        metadata=merge_metadata({}, params.get("metadata", {})),
        trial_start=now if trial_end else None,
        trial_end=trial_end,
        test_clock=customer["test_clock"],
        description=params.get("description"),
        save_default_payment_method=(params.get("payment_settings") or {}).get(
            "save_default_payment_method", "off"
        ),
        missing_payment_method=missing_payment_method,
    )
    for price, quantity, spec in zip(prices, quantities, specs, strict=True):
        item = shapes.subscription_item(
            id=state.new_id("subscription_item"),
            created=now,
            subscription=sub_id,
            price=price,
            quantity=quantity,
            current_period_start=now,
            current_period_end=period_end,
            metadata=merge_metadata({}, spec.get("metadata", {})),
        )
        state.put(item)
        sub["items"]["data"].append(item["id"])
    sub["discounts"] = [
        redeem(ctx, c, p, customer=customer["id"], subscription=sub_id, start=now)["id"]
        for c, p in discounts
    ]
    if params.get("cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=period_end, canceled_at=now)
    state.put(sub)
    ctx.emit("customer.subscription.created", sub)

    invoice = first_invoice(
        ctx, sub, customer["id"], prices, quantities, now, items_of(ctx, sub), trial_end=trial_end
    )
    sub["latest_invoice"] = invoice["id"]
    finalize(ctx, invoice)
    if behavior == "default_incomplete" and not pm_id and invoice["amount_due"] == 0:
        sub["pending_setup_intent"] = pending_setup_intent(ctx, sub)["id"]
    outcome = collect(ctx, invoice, pm_id, try_now=behavior != "default_incomplete")
    if outcome == "requires_action" and behavior == "error_if_incomplete":
        raise AssertionError("refused above")  # pragma: no cover
    return sub


# -- read ----------------------------------------------------------------------------------
@ROUTES.route("GET", "/v1/subscriptions/{id}", sp.SubscriptionRetrieveParams)
def retrieve_subscription(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("subscription", ctx.args["id"])


@ROUTES.route("GET", "/v1/subscriptions", sp.SubscriptionListParams)
def list_subscriptions(ctx: Context, params: JSON) -> JSON:
    status = params.get("status")
    keep = created_filter(params)

    def wanted(sub: JSON) -> bool:
        if status is None:
            return sub["status"] not in ("canceled", "incomplete_expired")
        if status == "ended":
            return sub["status"] in ("canceled", "incomplete_expired")
        return status == "all" or bool(sub["status"] == status)

    # Each filter is read before the loop, which an empty list would never enter.
    customer, clock, price = params.get("customer"), params.get("test_clock"), params.get("price")
    collection = params.get("collection_method")
    # The billing period lives on the items; every item of a sandbox subscription shares it.
    period_start = time_filter(params, "current_period_start")
    period_end = time_filter(params, "current_period_end")

    by_period = "current_period_start" in params or "current_period_end" in params

    def in_period(sub: JSON) -> bool:
        if not by_period:
            return True
        items = [ctx.state.get("subscription_item", i) for i in sub["items"]["data"]]
        return any(period_start(item) and period_end(item) for item in items)

    found = [
        s
        for s in ctx.state.all("subscription")
        if wanted(s)
        and keep(s)
        and (collection is None or s["collection_method"] == collection)
        and in_period(s)
        and (customer is None or s["customer"] == customer)
        and (clock is None or s["test_clock"] == clock)
        and (
            price is None
            or any(
                ctx.state.get("subscription_item", i)["price"]["id"] == price
                for i in s["items"]["data"]
            )
        )
    ]
    return page(found, params, "/v1/subscriptions")


@ROUTES.route("GET", "/v1/subscription_items", sp.SubscriptionItemListParams)
def list_subscription_items(ctx: Context, params: JSON) -> JSON:
    sub = ctx.state.get("subscription", params["subscription"], param="subscription")
    return page(items_of(ctx, sub), params, "/v1/subscription_items")


@ROUTES.route("GET", "/v1/subscription_items/{id}", sp.SubscriptionItemRetrieveParams)
def retrieve_subscription_item(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("subscription_item", ctx.args["id"])


# -- cancel now ----------------------------------------------------------------------------
@ROUTES.route("DELETE", "/v1/subscriptions/{id}", sp.SubscriptionCancelParams)
def cancel_subscription(ctx: Context, params: JSON) -> JSON:
    sub = ctx.state.get("subscription", ctx.args["id"])
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise StripeError(
            f"This subscription is already canceled: {sub['id']}",
            code="resource_missing",
            status=404,
            param="id",
        )
    details = params.get("cancellation_details") or {}
    sub["cancellation_details"].update(
        {k: (details[k] or None) for k in ("comment", "feedback") if k in details}
    )
    cancel_now(
        ctx, sub, prorate=bool(params.get("prorate")), invoice=bool(params.get("invoice_now"))
    )
    return sub


@ROUTES.route("DELETE", "/v1/subscriptions/{id}/discount", sp.SubscriptionDeleteDiscountParams)
def delete_subscription_discount(ctx: Context, params: JSON) -> JSON:
    sub = ctx.state.get("subscription", ctx.args["id"])
    if not sub["discounts"]:
        raise StripeError(
            f"No active discount for subscription: '{sub['id']}'",
            status=404,
            code="resource_missing",
        )
    before = render(ctx.state, sub)
    removed = ctx.state.get("discount", sub["discounts"].pop(0))
    emit_updated(ctx, sub, before)
    # Stripe answers with the whole discount marked deleted (without its `end`), not a stub.
    return {**{k: v for k, v in removed.items() if k != "end"}, "deleted": True}
