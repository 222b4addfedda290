"""Charging a card through a payment intent: creating the intent, attempting the payment
with the test card's outcome (success, a decline, or 3D Secure), the charge each attempt that
reaches the card leaves, and what a success settles."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from .. import shapes
from ..context import Context
from ..errors import decline_message
from ..state import random_token
from .payment_methods import card_of
from .settlement import INVOICE_PAID
from .testcards import TestCard

JSON = dict[str, Any]


def requires_action(intent: JSON) -> None:
    intent["status"] = "requires_action"
    intent["next_action"] = {
        "type": "use_stripe_sdk",
        "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": "sandbox"},
    }


def card_error(card: TestCard, pm: JSON) -> JSON:
    return {
        "code": "card_declined",
        "decline_code": card.decline_code,
        "doc_url": "https://docs.stripe.com/error-codes/card-declined",
        "message": decline_message(card.decline_code),
        "payment_method": copy.deepcopy(pm),
        "type": "card_error",
    }


def new_payment_intent(
    ctx: Context,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None = None,
) -> JSON:
    intent_id = ctx.state.new_id("payment_intent")
    intent = shapes.payment_intent(
        id=intent_id,
        created=ctx.now(customer),
        amount=amount,
        currency=currency,
        client_secret=f"{intent_id}_secret_{random_token(24)}",
        customer=customer,
        description=description,
    )
    ctx.state.put(intent)
    ctx.emit("payment_intent.created", intent)
    return intent


def attempt(ctx: Context, intent: JSON, pm_id: str | None) -> str:
    """Charge `pm_id` for the intent: "succeeded", "failed" or "requires_action"."""
    if pm_id is None:
        return "requires_payment_method"
    pm = ctx.state.get("payment_method", pm_id, param="payment_method")
    card = card_of(ctx, pm)
    intent["payment_method"] = pm["id"]
    if card.outcome in ("decline", "fail_charges"):
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = card_error(card, pm)
        failure = ("card_declined", card.decline_code, decline_message(card.decline_code))
        record_charge(ctx, intent, pm, failure=failure)
        ctx.emit("payment_intent.payment_failed", intent)
        return "failed"
    if card.outcome == "authenticate":
        requires_action(intent)
        ctx.emit("payment_intent.requires_action", intent)
        return "requires_action"
    payment_succeeded(ctx, intent)
    return "succeeded"


def record_charge(
    ctx: Context,
    intent: JSON,
    pm: JSON,
    *,
    failure: tuple[str, str, str] | None = None,
    authenticated: bool = False,
) -> JSON:
    """Keep the charge an attempt made, name it the intent's `latest_charge` and send
    `charge.succeeded` or `charge.failed`. Only attempts that reach the card leave one: an
    intent waiting for 3D Secure has none yet."""
    charge = shapes.charge(
        id=ctx.state.new_id("charge"),
        created=ctx.now(intent["customer"]),
        amount=intent["amount"],
        currency=intent["currency"],
        payment_method=pm,
        payment_intent=intent["id"],
        customer=intent["customer"],
        description=intent["description"],
        metadata=intent["metadata"],
        receipt_email=intent["receipt_email"],
        failure=failure,
        network_transaction_id=None if failure else _network_transaction_id(),
        three_d_secure=shapes.three_d_secure_result(random_token(24)) if authenticated else None,
    )
    ctx.state.put(charge)
    intent["latest_charge"] = charge["id"]
    ctx.emit("charge.failed" if failure else "charge.succeeded", charge)
    return charge


def _network_transaction_id() -> str:
    """The card network's reference for an authorization: fifteen digits."""
    return "".join(secrets.choice("0123456789") for _ in range(15))


def payment_succeeded(ctx: Context, intent: JSON, *, authenticated: bool = False) -> None:
    """Settle a payment the card accepted (`authenticated` after a 3D Secure challenge)."""
    pm = ctx.state.get("payment_method", intent["payment_method"])
    record_charge(ctx, intent, pm, authenticated=authenticated)
    intent["status"] = "succeeded"
    intent["amount_received"] = intent["amount"]
    intent["next_action"] = None
    intent["last_payment_error"] = None
    ctx.emit("payment_intent.succeeded", intent)
    invoice_id = ctx.state.secret(intent["id"]).get("invoice")
    if invoice_id:
        INVOICE_PAID.call(ctx, ctx.state.get("invoice", invoice_id), intent)
