"""Setup intents as the engine makes them: one a route asks for, and the one a subscription
with nothing to charge today waits on for its card (`pending_setup_intent`), which, once
it succeeds, becomes the subscription's card where its checkout saves one."""

from __future__ import annotations

from typing import Any

from .. import shapes
from ..context import Context
from ..state import random_token
from .listing import merge_metadata

JSON = dict[str, Any]


def new_setup_intent(
    ctx: Context,
    customer: str | None,
    *,
    usage: str = "off_session",
    metadata: dict[str, str] | None = None,
    description: str | None = None,
) -> JSON:
    intent_id = ctx.state.new_id("setup_intent")
    intent = shapes.setup_intent(
        id=intent_id,
        created=ctx.now(customer),
        client_secret=f"{intent_id}_secret_{random_token(24)}",
        customer=customer,
        usage=usage,
        metadata=merge_metadata({}, metadata or {}),
        description=description,
    )
    ctx.state.put(intent)
    ctx.emit("setup_intent.created", intent)
    return intent


def pending_setup_intent(ctx: Context, sub: JSON) -> JSON:
    """Stripe's answer to `payment_behavior=default_incomplete` when the first invoice asks
    nothing (a trial, a full discount) and no card is on file: a SetupIntent for the card
    later invoices will be charged to, which the page confirms with Stripe.js."""
    return new_setup_intent(ctx, sub["customer"])


def settle_pending(ctx: Context, intent: JSON, pm_id: str) -> None:
    """A succeeded setup intent some subscription waited on: it waits no more, and takes
    the card as its own where its checkout saves one (`save_default_payment_method`)."""
    for sub in ctx.state.all("subscription"):
        if sub["pending_setup_intent"] != intent["id"]:
            continue
        sub["pending_setup_intent"] = None
        saves = sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
        previous: JSON = {"pending_setup_intent": intent["id"]}
        if saves and sub["default_payment_method"] is None:
            previous["default_payment_method"] = None
            sub["default_payment_method"] = pm_id
        ctx.emit("customer.subscription.updated", sub, previous)
