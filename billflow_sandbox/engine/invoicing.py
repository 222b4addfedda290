"""Invoices as subscriptions make them: lines from charges, discounts, the customer's
credit balance, finalization, payment and voiding."""

from __future__ import annotations

import copy
from typing import Any

from .. import shapes
from ..context import Context
from ..state import random_token
from .discounts import coupon_amount, discount_amount, in_effect, spend_once_discounts
from .payment_intents import attempt, new_payment_intent
from .period_charges import Charge, charge_of_item, pending_items, period_charge
from .periods import add_interval
from .prices import interval_of
from .settlement import INVOICE_PAID, UPDATE_PAID

JSON = dict[str, Any]


def build_invoice(
    ctx: Context,
    *,
    sub: JSON | None,
    customer: str,
    billing_reason: str,
    charges: list[Charge],
    period_start: int,
    period_end: int,
    include_pending: bool = True,
    preview: bool = False,
    extra_pending: list[Charge] | None = None,
    discounts: list[str] | None = None,
    coupons: list[JSON] | None = None,
) -> JSON:
    """A draft invoice with its lines and totals. With `preview`, nothing is stored.

    `discounts` are discount ids (default: the subscription's); `coupons` are coupons not
    redeemed yet, which a preview of a new subscription takes off too."""
    state = ctx.state
    owner = state.get("customer", customer)
    invoice_id = ("upcoming_in_" + random_token(20)) if preview else state.new_id("invoice")
    lines_from: list[tuple[Charge, str | None]] = [(c, None) for c in charges]
    pending = pending_items(ctx, customer, sub["id"] if sub else None) if include_pending else []
    lines_from += [(charge_of_item(item, ctx), item["id"]) for item in pending]
    lines_from += [(c, None) for c in extra_pending or []]
    first = charges[0] if charges else lines_from[0][0] if lines_from else None
    currency = first.price["currency"] if first else "usd"
    invoice = shapes.invoice(
        id=invoice_id,
        created=ctx.now(customer),
        customer=customer,
        currency=currency,
        subscription=sub["id"] if sub else None,
        subscription_metadata=sub["metadata"] if sub else None,
        billing_reason=billing_reason,
        period_start=period_start,
        period_end=period_end,
        customer_email=owner["email"],
        customer_name=owner["name"],
        test_clock=owner["test_clock"],
        default_payment_method=None,
        lines=[
            shapes.line_item(
                id="il_" + ("tmp_" if preview else "") + "1" + random_token(23),
                invoice=invoice_id,
                amount=charge.amount,
                currency=charge.price["currency"],
                description=charge.description,
                period_start=charge.period_start,
                period_end=charge.period_end,
                quantity=charge.quantity,
                price=charge.price["id"],
                product=charge.price["product"],
                subscription=sub["id"] if sub else None,
                subscription_item=charge.subscription_item,
                proration=charge.proration,
                invoice_item=item_id,
            )
            for charge, item_id in lines_from
        ],
    )
    invoice["lines"]["url"] = f"/v1/invoices/{invoice_id}/lines"
    named = discounts if discounts is not None else (sub["discounts"] if sub else [])
    active_discounts = [d for d in named if in_effect(ctx, d, invoice["created"])]
    applied = _total(ctx, invoice, owner, active_discounts, coupons or [])
    if not preview:
        state.secret(invoice_id)["balance_applied"] = applied
        for item in pending:
            item["invoice"] = invoice_id
        invoice["discounts"] = list(active_discounts)
        state.put(invoice)
        ctx.emit("invoice.created", invoice)
    return invoice


def _total(
    ctx: Context, invoice: JSON, owner: JSON, discount_ids: list[str], coupons: list[JSON]
) -> int:
    """Fill the invoice's amounts; returns the customer balance it would use (negative)."""
    subtotal = sum(line["amount"] for line in invoice["lines"]["data"])
    discountable = max(
        0, sum(line["amount"] for line in invoice["lines"]["data"] if line["discountable"])
    )
    discount_amounts = []
    remaining = discountable
    for discount_id in discount_ids:
        off = discount_amount(ctx, discount_id, remaining, invoice["created"])
        if off:
            discount_amounts.append({"amount": off, "discount": discount_id})
            remaining -= off
    for coupon in coupons:
        remaining -= coupon_amount(coupon, remaining)
    total = subtotal - (discountable - remaining)
    balance = owner["balance"]
    if total <= 0:
        applied = total
        amount_due = 0
    else:
        applied = max(balance, -total) if balance < 0 else 0
        amount_due = total + applied
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=total,
        total_excluding_tax=total,
        total_discount_amounts=discount_amounts,
        amount_due=amount_due,
        amount_remaining=amount_due,
        starting_balance=balance,
        ending_balance=None,
    )
    return int(applied)


def invoice_now(
    ctx: Context,
    sub: JSON,
    charges: list[Charge],
    *,
    billing_reason: str,
    period_start: int,
    period_end: int,
    pm_id: str | None,
    try_now: bool = True,
) -> str:
    """Bill a subscription at once: its invoice (with its pending items) is made, becomes
    its latest, is finalized and collected. Returns the payment outcome, as `collect`."""
    invoice = build_invoice(
        ctx,
        sub=sub,
        customer=sub["customer"],
        billing_reason=billing_reason,
        charges=charges,
        period_start=period_start,
        period_end=period_end,
    )
    sub["latest_invoice"] = invoice["id"]
    finalize(ctx, invoice)
    return collect(ctx, invoice, pm_id, try_now=try_now)


def finalize(ctx: Context, invoice: JSON) -> JSON:
    """Number the invoice, settle the customer's balance, open it for payment."""
    owner = ctx.state.get("customer", invoice["customer"])
    applied = ctx.state.secret(invoice["id"]).pop("balance_applied", 0)
    if invoice["total"] < 0:
        # A negative total (a downgrade's credit) becomes credit for the next invoices.
        applied = invoice["total"]
        owner["balance"] += applied
    else:
        owner["balance"] -= applied
    invoice["ending_balance"] = owner["balance"]
    invoice["number"] = f"{owner['invoice_prefix']}-{owner['next_invoice_sequence']:04d}"
    owner["next_invoice_sequence"] += 1
    now = ctx.now(invoice["customer"])
    invoice["status"] = "open"
    invoice["effective_at"] = now
    invoice["status_transitions"]["finalized_at"] = now
    invoice["hosted_invoice_url"] = f"{ctx.base_url}/invoices/{invoice['id']}"
    invoice["invoice_pdf"] = f"{ctx.base_url}/invoices/{invoice['id']}/pdf"
    spend_once_discounts(ctx, invoice)
    ctx.emit("invoice.finalized", invoice)
    return invoice


def void(ctx: Context, invoice: JSON, at: int) -> None:
    """Void a finalized invoice. The customer balance it applied goes back to the customer,
    as Stripe has done since API version 2019-12-03."""
    owner = ctx.state.find("customer", invoice["customer"])
    if owner is not None and invoice["ending_balance"] is not None:
        owner["balance"] += invoice["starting_balance"] - invoice["ending_balance"]
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = at
    ctx.emit("invoice.voided", invoice)


def collect(ctx: Context, invoice: JSON, pm_id: str | None, *, try_now: bool = True) -> str:
    """Charge the invoice (with `try_now`): returns "succeeded", "failed", "requires_action"
    or "requires_payment_method". The invoice's open payment intent is reused, as Stripe
    retries on the same one; a failure counts an attempt and sends `invoice.payment_failed`."""
    if invoice["amount_due"] == 0:
        invoice_paid(ctx, invoice, None)
        return "succeeded"
    intent = _open_intent(ctx, invoice) or _new_intent(ctx, invoice)
    if not try_now:
        return "requires_payment_method"
    outcome = attempt(ctx, intent, pm_id)
    if outcome != "succeeded":
        invoice["attempted"] = True
        invoice["attempt_count"] += 1
        ctx.emit("invoice.payment_failed", invoice)
    return outcome


def _open_intent(ctx: Context, invoice: JSON) -> JSON | None:
    for payment_id in reversed(ctx.state.secret(invoice["id"]).get("payments", [])):
        payment = ctx.state.get("invoice_payment", payment_id)
        intent = ctx.state.find("payment_intent", payment["payment"]["payment_intent"])
        if intent is not None and intent["status"] not in ("succeeded", "canceled"):
            return intent
    return None


def _new_intent(ctx: Context, invoice: JSON) -> JSON:
    intent = new_payment_intent(
        ctx,
        amount=invoice["amount_due"],
        currency=invoice["currency"],
        customer=invoice["customer"],
        description="Subscription update"
        if invoice["billing_reason"] == "subscription_update"
        else "Subscription creation",
    )
    facts = ctx.state.secret(invoice["id"])
    facts["confirmation_secret"] = {
        "client_secret": intent["client_secret"],
        "type": "payment_intent",
    }
    payment = shapes.invoice_payment(
        id=ctx.state.new_id("invoice_payment"),
        created=intent["created"],
        invoice=invoice["id"],
        amount_requested=invoice["amount_due"],
        currency=invoice["currency"],
        payment_intent=intent["id"],
        status="open",
    )
    ctx.state.put(payment)
    facts.setdefault("payments", []).append(payment["id"])
    ctx.state.secret(intent["id"])["invoice"] = invoice["id"]
    return intent


def mark_paid(ctx: Context, invoice: JSON, intent: JSON | None = None) -> None:
    now = ctx.now(invoice["customer"])
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        attempted=True,
        next_payment_attempt=None,
    )
    invoice["attempt_count"] += 1 if intent is not None else 0
    invoice["status_transitions"]["paid_at"] = now
    for payment_id in ctx.state.secret(invoice["id"]).get("payments", []):
        payment = ctx.state.get("invoice_payment", payment_id)
        if intent is not None and payment["payment"]["payment_intent"] == intent["id"]:
            payment.update(status="paid", amount_paid=intent["amount"])
            payment["status_transitions"]["paid_at"] = now
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


@INVOICE_PAID.handle
def invoice_paid(ctx: Context, invoice: JSON, intent: JSON | None) -> None:
    """A payment succeeded: the invoice is paid and its subscription, if it waited on this
    payment, becomes active or takes the pending update the invoice was for."""
    mark_paid(ctx, invoice, intent)
    sub_id = (invoice["parent"] or {}).get("subscription_details", {}).get("subscription")
    sub = ctx.state.find("subscription", sub_id) if sub_id else None
    if sub is not None and intent is not None and intent["payment_method"]:
        _save_default_card(ctx, sub, intent["payment_method"])
    if sub is not None and sub["status"] in ("incomplete", "past_due", "unpaid"):
        before = copy.deepcopy(sub)
        sub["status"] = (
            "trialing" if (sub["trial_end"] or 0) > ctx.now(sub["customer"]) else "active"
        )
        ctx.emit("customer.subscription.updated", sub, {"status": before["status"]})
    if sub is not None and sub["pending_update"] is not None:
        UPDATE_PAID.call(ctx, sub, invoice)  # pending updates build on this module's invoices


def _save_default_card(ctx: Context, sub: JSON, pm_id: str) -> None:
    """`payment_settings.save_default_payment_method=on_subscription`: the card that paid
    becomes the subscription's default, attached to the customer, so renewals use it."""
    if sub["payment_settings"]["save_default_payment_method"] != "on_subscription":
        return
    pm = ctx.state.get("payment_method", pm_id)
    if pm["customer"] is None:
        pm["customer"] = sub["customer"]
        ctx.emit("payment_method.attached", pm)
    if sub["default_payment_method"] != pm_id:
        previous = {"default_payment_method": sub["default_payment_method"]}
        sub["default_payment_method"] = pm_id
        ctx.emit("customer.subscription.updated", sub, previous)


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
    `coupons` to redeem taken off), written nowhere.

    A preview's `billing_reason` is `upcoming`, as every preview Stripe gives. Its `parent`
    stays null: stripe-python's model requires `parent.subscription_details.subscription`,
    and a subscription that does not exist yet has no id to put there."""
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
        billing_reason="upcoming" if preview else "subscription_create",
        charges=charges,
        period_start=now,
        period_end=now,
        include_pending=not preview,
        preview=preview,
        coupons=coupons,
    )
