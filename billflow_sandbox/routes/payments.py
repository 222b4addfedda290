"""Payment methods, with the outcomes of Stripe's test cards."""

from __future__ import annotations

from typing import Any

from stripe import params as sp

from ..context import Context
from ..engine.listing import merge_metadata, page
from ..engine.payment_methods import attach, new_payment_method
from ..engine.testcards import BY_NUMBER, BY_TOKEN
from ..errors import StripeError, invalid, not_implemented
from ..routing import Routes

JSON = dict[str, Any]
ROUTES = Routes()


# -- payment methods -----------------------------------------------------------------------
@ROUTES.route("POST", "/v1/payment_methods", sp.PaymentMethodCreateParams, publishable=True)
def create_payment_method(ctx: Context, params: JSON) -> JSON:
    if params.get("type", "card") != "card":
        raise invalid("The sandbox supports card payment methods only.", param="type")
    card = params.get("card") or {}
    test_id = None
    last4 = None
    if "token" in card:
        test_id = BY_TOKEN.get(card["token"])
        if test_id is None:
            raise StripeError(
                f"No such token: '{card['token']}'",
                status=404,
                code="resource_missing",
                param="card[token]",
            )
    elif "number" in card:
        number = card["number"].replace(" ", "")
        test_id = BY_NUMBER.get(number)
        if test_id is None:
            raise StripeError(
                "Your card number is incorrect.",
                status=402,
                type="card_error",
                code="incorrect_number",
                param="card[number]",
            )
        # The card entered, not the test id's own card: 378282246310005 ends in 0005 even
        # though `pm_card_amex` ends in 8431, and the customer must see the digits they typed.
        last4 = number[-4:]
    else:
        raise invalid("Missing required param: card.", param="card", code="parameter_missing")
    if "networks" in card:
        raise not_implemented("card[networks]")
    cvc = card.get("cvc")
    if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
        raise StripeError(
            "Your card's security code is invalid.",
            status=402,
            type="card_error",
            code="invalid_cvc",
            param="card[cvc]",
        )
    exp_month, exp_year = card.get("exp_month", 12), card.get("exp_year", 2034)
    if exp_year < 100:
        exp_year += 2000
    if not 1 <= exp_month <= 12:
        raise StripeError(
            "Your card's expiration month is invalid.",
            status=402,
            type="card_error",
            code="invalid_expiry_month",
            param="card[exp_month]",
        )
    pm = new_payment_method(ctx, test_id, exp_month=exp_month, exp_year=exp_year, last4=last4)
    if "metadata" in params:
        pm["metadata"] = merge_metadata({}, params["metadata"])
    details = params.get("billing_details")
    if details:
        address = details.get("address") or {}
        pm["billing_details"] = {
            "address": {**pm["billing_details"]["address"], **address},
            **{key: details.get(key) or None for key in ("email", "name", "phone", "tax_id")},
        }
    return pm


@ROUTES.route("GET", "/v1/payment_methods/{id}", sp.PaymentMethodRetrieveParams)
def retrieve_payment_method(ctx: Context, params: JSON) -> JSON:
    return ctx.state.get("payment_method", ctx.args["id"])


@ROUTES.route("POST", "/v1/payment_methods/{id}/attach", sp.PaymentMethodAttachParams)
def attach_payment_method(ctx: Context, params: JSON) -> JSON:
    if not params.get("customer"):
        raise invalid(
            "Missing required param: customer.", param="customer", code="parameter_missing"
        )
    return attach(ctx, ctx.args["id"], params["customer"], param="payment_method")


@ROUTES.route("POST", "/v1/payment_methods/{id}/detach", sp.PaymentMethodDetachParams)
def detach_payment_method(ctx: Context, params: JSON) -> JSON:
    pm = ctx.state.get("payment_method", ctx.args["id"])
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
            param="payment_method",
        )
    customer = ctx.state.find("customer", pm["customer"])
    if customer and customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        customer["invoice_settings"]["default_payment_method"] = None
    for sub in ctx.state.all("subscription"):
        if sub["default_payment_method"] == pm["id"]:
            sub["default_payment_method"] = None
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    ctx.emit("payment_method.detached", pm, previous)
    return pm


@ROUTES.route("GET", "/v1/payment_methods", sp.PaymentMethodListParams)
def list_payment_methods(ctx: Context, params: JSON) -> JSON:
    customer, kind = params.get("customer"), params.get("type")
    redisplay = params.get("allow_redisplay")
    found = [
        pm
        for pm in ctx.state.all("payment_method")
        if pm["customer"] is not None
        and (customer is None or pm["customer"] == customer)
        and (redisplay is None or pm["allow_redisplay"] == redisplay)
        and (kind is None or pm["type"] == kind)
    ]
    return page(found, params, "/v1/payment_methods")
