"""Setup intents and payment intents, confirmed with the test cards' outcomes, and the
stand-in for the 3D Secure page."""

from __future__ import annotations

import copy
from typing import Any, NotRequired

from stripe import params as sp

from ..context import Context
from ..engine.payment_intents import attempt, card_error, payment_succeeded, requires_action
from ..engine.payment_methods import attach, card_of, check_owner, resolve
from ..engine.setup_intents import new_setup_intent, settle_pending
from ..engine.testcards import BY_ID
from ..errors import StripeError, card_declined, invalid
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


class _SetupIntentConfirmFromBrowser(sp.SetupIntentConfirmParams):
    """Stripe.js confirms an intent with the publishable key and proves it with the intent's
    `client_secret`, a parameter stripe-python's server-side definitions leave out."""

    client_secret: NotRequired[str]


class _PaymentIntentConfirmFromBrowser(sp.PaymentIntentConfirmParams):
    """As `_SetupIntentConfirmFromBrowser`, for payment intents."""

    client_secret: NotRequired[str]


# The parameter checker resolves a definition's names in the module the definition names as
# its own; the inherited ones live in stripe-python's.
_SetupIntentConfirmFromBrowser.__module__ = sp.SetupIntentConfirmParams.__module__
_PaymentIntentConfirmFromBrowser.__module__ = sp.PaymentIntentConfirmParams.__module__


# -- intents, shared -----------------------------------------------------------------------
def _check_client_secret(ctx: Context, intent: JSON, params: JSON) -> None:
    """Stripe.js calls with the publishable key must prove the intent with its secret; a
    secret sent with the secret key must be the intent's too."""
    given = params.get("client_secret")
    if (ctx.publishable or given is not None) and given != intent["client_secret"]:
        raise StripeError(
            "The client_secret provided does not match any associated "
            f"{'SetupIntent' if intent['object'] == 'setup_intent' else 'PaymentIntent'} "
            "on this account.",
            param="client_secret",
        )


# -- setup intents -------------------------------------------------------------------------
@ROUTES.route("POST", "/v1/setup_intents", sp.SetupIntentCreateParams)
def create_setup_intent(ctx: Context, params: JSON) -> JSON:
    customer = params.get("customer")
    if customer:
        ctx.state.get("customer", customer, param="customer")
    intent = new_setup_intent(
        ctx,
        customer,
        usage=params.get("usage", "off_session"),
        metadata=params.get("metadata"),
        description=params.get("description"),
    )
    if params.get("payment_method"):
        intent["payment_method"] = resolve(ctx, params["payment_method"], "payment_method")["id"]
        intent["status"] = "requires_confirmation"
    if params.get("confirm"):
        _confirm_setup(ctx, intent, params)
    return intent


@ROUTES.route("GET", "/v1/setup_intents/{id}", sp.SetupIntentRetrieveParams, publishable=True)
def retrieve_setup_intent(ctx: Context, params: JSON) -> JSON:
    intent = ctx.state.get("setup_intent", ctx.args["id"], param="intent")
    _check_client_secret(ctx, intent, params)
    return intent


@ROUTES.route(
    "POST",
    "/v1/setup_intents/{id}/confirm",
    _SetupIntentConfirmFromBrowser,
    publishable=True,
)
def confirm_setup_intent(ctx: Context, params: JSON) -> JSON:
    intent = ctx.state.get("setup_intent", ctx.args["id"], param="intent")
    _check_client_secret(ctx, intent, params)
    if intent["status"] in ("succeeded", "canceled"):
        raise StripeError(
            f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state",
        )
    return _confirm_setup(ctx, intent, params)


def _confirm_setup(ctx: Context, intent: JSON, params: JSON) -> JSON:
    pm_id = params.get("payment_method") or intent["payment_method"]
    if not pm_id:
        raise invalid(
            "You must provide a payment method to confirm this SetupIntent.", param="payment_method"
        )
    test_id = pm_id if pm_id in BY_ID else None
    pm = resolve(ctx, pm_id, "payment_method")
    card = BY_ID[test_id] if test_id else card_of(ctx, pm)
    intent["payment_method"] = pm["id"]
    if card.outcome == "decline":
        intent["status"] = "requires_payment_method"
        intent["last_setup_error"] = card_error(card, pm)
        intent["payment_method"] = None
        raise card_declined(
            decline_code=card.decline_code,
            extra={"payment_method": copy.deepcopy(pm), "setup_intent": copy.deepcopy(intent)},
        )
    if card.outcome == "authenticate":
        requires_action(intent)
        ctx.emit("setup_intent.requires_action", intent)
        return intent
    return _setup_succeeded(ctx, intent, pm)


def _setup_succeeded(ctx: Context, intent: JSON, pm: JSON) -> JSON:
    intent["status"] = "succeeded"
    intent["next_action"] = None
    intent["last_setup_error"] = None
    if intent["customer"]:
        attach(ctx, pm["id"], intent["customer"], param="payment_method")
    ctx.emit("setup_intent.succeeded", intent)
    settle_pending(ctx, intent, pm["id"])
    return intent


@ROUTES.route("POST", "/v1/setup_intents/{id}/cancel", sp.SetupIntentCancelParams)
def cancel_setup_intent(ctx: Context, params: JSON) -> JSON:
    intent = ctx.state.get("setup_intent", ctx.args["id"], param="intent")
    if intent["status"] == "succeeded":
        raise StripeError(
            "You cannot cancel this SetupIntent because it has a status of succeeded.",
            code="setup_intent_unexpected_state",
        )
    intent["status"] = "canceled"
    intent["cancellation_reason"] = params.get("cancellation_reason")
    ctx.emit("setup_intent.canceled", intent)
    return intent


# -- payment intents -----------------------------------------------------------------------


@ROUTES.route("GET", "/v1/payment_intents/{id}", sp.PaymentIntentRetrieveParams, publishable=True)
def retrieve_payment_intent(ctx: Context, params: JSON) -> JSON:
    intent = ctx.state.get("payment_intent", ctx.args["id"], param="intent")
    _check_client_secret(ctx, intent, params)
    return intent


@ROUTES.route(
    "POST",
    "/v1/payment_intents/{id}/confirm",
    _PaymentIntentConfirmFromBrowser,
    publishable=True,
)
def confirm_payment_intent(ctx: Context, params: JSON) -> JSON:
    intent = ctx.state.get("payment_intent", ctx.args["id"], param="intent")
    _check_client_secret(ctx, intent, params)
    if intent["status"] in ("succeeded", "canceled"):
        raise StripeError(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}.",
            code="payment_intent_unexpected_state",
        )
    pm_id = params.get("payment_method") or intent["payment_method"]
    if not pm_id:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
        )
    pm = resolve(ctx, pm_id, "payment_method")
    check_owner(pm, intent["customer"], "payment_method")
    pm_id = pm["id"]
    if intent["customer"] and params.get("setup_future_usage"):
        attach(ctx, pm_id, intent["customer"], param="payment_method")
    outcome = attempt(ctx, intent, pm_id)
    if outcome == "failed":
        error = intent["last_payment_error"]
        raise card_declined(
            decline_code=error["decline_code"],
            extra={
                "payment_intent": copy.deepcopy(intent),
                "payment_method": copy.deepcopy(error.get("payment_method")),
            },
        )
    return intent


_AUTHENTICATION_FAILED = {
    "setup_intent": "The latest attempt to set up the payment method has failed because "
    "authentication failed.",
    "payment_intent": "The provided PaymentMethod has failed authentication. You can provide "
    "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
}


@ROUTES.route("POST", "/_sandbox/authenticate/{id}", None, publishable=True)
def authenticate(ctx: Context, params: JSON) -> JSON:
    """The stand-in for the 3D Secure page: `outcome=complete` or `outcome=fail`."""
    intent_id = ctx.args["id"]
    kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    intent = ctx.state.get(kind, intent_id, param="intent")
    _check_client_secret(ctx, intent, params)
    if intent["status"] != "requires_action":
        raise StripeError(f"This intent does not need authentication (status {intent['status']}).")
    outcome = params.get("outcome")
    if outcome not in ("complete", "fail"):
        raise invalid("outcome must be 'complete' or 'fail'", param="outcome")
    pm = ctx.state.get("payment_method", intent["payment_method"])
    if outcome == "fail":
        # As Stripe: the intent wants a new payment method, and the error it keeps is an
        # invalid_request_error (not a card_error) whose code names the kind of intent.
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        intent["payment_method"] = None
        code = f"{kind}_authentication_failure"
        error = {
            "code": code,
            "doc_url": "https://docs.stripe.com/error-codes/" + code.replace("_", "-"),
            "message": _AUTHENTICATION_FAILED[kind],
            "payment_method": copy.deepcopy(pm),
            "type": "invalid_request_error",
        }
        if kind == "setup_intent":
            intent["last_setup_error"] = error
            ctx.emit("setup_intent.setup_failed", intent)
        else:
            intent["last_payment_error"] = error
            ctx.emit("payment_intent.payment_failed", intent)
        return intent
    if kind == "setup_intent":
        return _setup_succeeded(ctx, intent, pm)
    payment_succeeded(ctx, intent, authenticated=True)
    return intent
