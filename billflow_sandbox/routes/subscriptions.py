"""Subscriptions: create, retrieve, list, update (items, prorations, cancellation at period
end, discounts, pauses), and cancel now."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from .. import shapes
from ..context import Context
from ..engine.billing import build_invoice, collect, finalize, invoice_now
from ..engine.charges import Charge, pending_item, pending_items, period_charge, proration_charges
from ..engine.lifecycle import (
    emit_updated,
    end_subscription,
    items_of,
    payment_method_for,
    price_of,
)
from ..engine.listing import created_filter, merge_metadata, page
from ..engine.periods import add_interval
from ..errors import StripeError, card_declined, invalid, not_implemented
from ..render import render
from ..routing import Routes
from .catalog import require_price
from .coupons import check_discount, check_discount_list, redeem
from .payments import card_of

JSON = dict[str, Any]
ROUTES = Routes()

__all__ = ["ROUTES", "end_subscription"]


def interval_of(price: JSON) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def same_billing(prices: list[JSON], param: str) -> None:
    if len({p["currency"] for p in prices}) > 1:
        raise invalid("All prices on a subscription must have the same currency.", param=param)
    if len({interval_of(p) for p in prices}) > 1:
        raise invalid(
            "All prices on a subscription must have the same recurring interval and "
            "interval_count.",
            param=param,
        )


def quantity_of(spec: JSON, param: str, default: int = 1) -> int:
    quantity = spec.get("quantity", default)
    if quantity < 0:
        raise invalid("This value must be greater than or equal to 0.", param=f"{param}[quantity]")
    return int(quantity)


def check_payment_method(ctx: Context, pm_id: str, customer: str) -> None:
    pm = ctx.state.get("payment_method", pm_id, param="default_payment_method")
    if pm["customer"] != customer:
        raise invalid(
            f"The customer does not have a payment method with the ID {pm_id}. The "
            "payment method must be attached to the customer.",
            param="default_payment_method",
        )


def refuse_unpayable(ctx: Context, pm_id: str | None) -> None:
    """`error_if_incomplete`: refuse, before anything is written, a payment that would not
    go through now."""
    if pm_id is None:
        raise StripeError(
            "This customer has no attached payment source or default payment "
            "method. Please consider adding a default payment method.",
            code="resource_missing",
        )
    card = card_of(ctx, ctx.state.get("payment_method", pm_id))
    if card.outcome in ("decline", "fail_charges"):
        raise card_declined(decline_code=card.decline_code)
    if card.outcome == "authenticate":
        raise StripeError(
            "Payment for this subscription requires additional user action before "
            "it can be completed successfully.",
            status=402,
            type="card_error",
            code="subscription_payment_intent_requires_action",
        )


def check_currency(customer: JSON, currency: str, param: str) -> None:
    """A customer bills in one currency, set by their first subscription, as on Stripe."""
    if customer["currency"] not in (None, currency):
        raise invalid(
            f"You cannot combine currencies on a single customer. This customer has had a "
            f"subscription or payment in {customer['currency']}, but you are trying to pay "
            f"in {currency}.",
            param=param,
        )


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
     "proration_behavior"}
)  # fmt: skip


def check_payment_options(params: JSON) -> None:
    """Refuse the payment options the sandbox does not act on."""
    if params.get("collection_method", "charge_automatically") != "charge_automatically":
        raise not_implemented("collection_method", params["collection_method"])
    settings = params.get("payment_settings") or {}
    for key in sorted(settings.keys() - {"save_default_payment_method", "payment_method_types"}):
        raise not_implemented(f"payment_settings[{key}]")
    if settings.get("payment_method_types") not in (None, "", ["card"]):
        raise not_implemented("payment_settings[payment_method_types]")


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
    outcome = collect(ctx, invoice, pm_id, try_now=behavior != "default_incomplete")
    if outcome == "requires_action" and behavior == "error_if_incomplete":
        raise AssertionError("refused above")  # pragma: no cover
    return sub


def first_invoice(
    ctx: Context,
    sub: JSON | None,
    customer: str,
    prices: list[JSON],
    quantities: list[int],
    now: int,
    items: list[JSON],
    *,
    trial_end: int | None = None,
    coupons: list[JSON] | None = None,
) -> JSON:
    """The invoice that starts a subscription; with `sub` None, a preview of it (the
    `coupons` to redeem taken off), written nowhere."""
    charges: list[Charge] = []
    for index, (price, quantity) in enumerate(zip(prices, quantities, strict=True)):
        item = items[index] if items else {"id": None}
        interval, count = interval_of(price)
        end = trial_end or add_interval(now, interval, count)
        charges.append(period_charge(ctx, item, price, quantity, now, end, trial=bool(trial_end)))
    preview = sub is None
    return build_invoice(
        ctx,
        sub=sub,
        customer=customer,
        billing_reason="subscription_create",
        charges=charges,
        period_start=now,
        period_end=now,
        include_pending=not preview,
        preview=preview,
        coupons=coupons,
    )


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

    found = [
        s
        for s in ctx.state.all("subscription")
        if wanted(s)
        and keep(s)
        and ("customer" not in params or s["customer"] == params["customer"])
        and ("test_clock" not in params or s["test_clock"] == params["test_clock"])
        and (
            "price" not in params
            or any(
                ctx.state.get("subscription_item", i)["price"]["id"] == params["price"]
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


def cancel_now(ctx: Context, sub: JSON, *, prorate: bool, invoice: bool) -> None:
    """End a live subscription now; `prorate` credits the unused time, `invoice` bills what
    is pending for it at once."""
    now = ctx.now(sub["customer"])
    # A trial was never paid for, so there is nothing to credit.
    if prorate and sub["status"] != "trialing":
        for item in items_of(ctx, sub):
            for charge in proration_charges(
                ctx, item, price_of(ctx, item), item["quantity"], None, 0, now
            ):
                pending_item(ctx, sub, charge)
    end_subscription(ctx, sub, now)
    # `invoice_now` bills what is pending for the subscription: this credit and earlier
    # prorations alike.
    if invoice and pending_items(ctx, sub["customer"], sub["id"]):
        invoice_now(
            ctx,
            sub,
            [],
            billing_reason="manual",
            period_start=now,
            period_end=now,
            pm_id=payment_method_for(ctx, sub),
        )


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
