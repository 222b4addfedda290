"""The OpenAPI 3.1 document of the portal's HTTP API, served at `{prefix}/api/openapi.json`
and kept true by a test that runs schemathesis against the live API.

The routes and the errors each can answer with are here, with the links that say which
answer's values a later request takes; the bodies' schemas are in the `schemas` package
beside it. A route added to `PortalAPI` and not here fails that test.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Mapping
from typing import Any

from ..actions import ACTIONS as TABLE
from ..billing.invoices import PAGE_SIZE
from ..stripe.webhooks import Outcome
from .http import MAX_BODY, STATIC_FILES
from .schemas import ACTIONS, body_schemas, payload_name, ref

__all__ = ["openapi_document"]

JSON = dict[str, Any]

# Every error the API answers with, by status; each route lists those it can answer with.
_ERRORS: Mapping[int, str] = {
    400: "Bad input: a malformed request, or a value out of bounds (`field` says which).",
    402: "The card was declined, or needs the customer to authenticate.",
    403: "A missing, bad or expired identity hash, session or sign-in link, or a feature the "
    "site switched off.",
    404: "No such subscription, invoice or action for this customer.",
    409: "The request conflicts with the current state (already canceled, a reused "
    "Idempotency-Key, …), `action_in_progress`: another action of this customer's is still "
    "being made, or `customer_ambiguous`: several Stripe customers with live subscriptions "
    "share the identity's email.",
    413: f"The request body is over {MAX_BODY} bytes.",
    429: "Too many requests: try again after `Retry-After` seconds.",
    500: "Something went wrong on the server (never a stack trace).",
    503: "Stripe could not be reached, kept failing after retries or did not answer within "
    "the site's BILLFLOW_STRIPE_DEADLINE (with `Retry-After` when Stripe named one): the "
    "same action sent again with its Idempotency-Key finishes it, once; or, for an action, "
    "the change was made but its event could not be recorded (`event_not_recorded`).",
}
# 413 is the WSGI app's answer to any request with a body over MAX_BODY, whatever its route.
_READ = (400, 403, 404, 409, 413, 429, 500, 503)
_ACT = (400, 402, 403, 404, 409, 413, 429, 500, 503)
_PREVIEW = (400, 403, 404, 409, 413, 429, 500, 503)
_WEBHOOK = (400, 404, 413, 500)
_DOCUMENT = (413, 500)

_IDENTIFIED: list[JSON] = [
    {"page": []},
    {"page": [], "session": []},
    {"identity": [], "identityHash": []},
    {"session": []},
]
_SIGN_IN = (400, 403, 413, 429, 500)
_SESSION = (400, 403, 413, 500)
_SIGN_IN_FORM = (403, 413, 500)
_LIMIT = {"$ref": "#/components/parameters/Subscription"}


def _json(description: str, schema: JSON) -> JSON:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(
    operation_id: str,
    summary: str,
    ok: JSON,
    errors: tuple[int, ...],
    *,
    status: str = "200",
    **more: Any,
) -> JSON:
    responses = {status: ok}
    responses.update({str(s): {"$ref": f"#/components/responses/E{s}"} for s in errors})
    return {"operationId": operation_id, "summary": summary, "responses": responses, **more}


def _body(schema: JSON) -> JSON:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _query(name: str, pattern: str, description: str) -> JSON:
    schema = {"type": "string", "pattern": pattern}
    return {"name": name, "in": "query", "description": description, "schema": schema}


# -- links: which answer's values a later request takes ------------------------------------
_FIRST = "$response.body#/billingData/subscriptions/0"


def _act_link(action: str, body: JSON | None, description: str) -> JSON:
    link: JSON = {"operationId": "act", "parameters": {"path.action": action}}
    if body is not None:
        link["requestBody"] = body
    return {**link, "description": description}


def _billing_links() -> JSON:
    """The links of an answer with `billingData` (the portal, an action's result): the id
    of the first subscription listed (the newest), and the first price of its `plans`,
    into what takes them. `plans` holds its own price too, which a change refuses (409
    `same_plan`)."""
    links: JSON = {
        "preview": {
            "operationId": "preview",
            "requestBody": {"subscription": f"{_FIRST}/id", "price": f"{_FIRST}/plans/0"},
            "description": "What moving the first subscription (the newest) to the first "
            "price of its `plans` would cost (409 `same_plan` where that is its own).",
        },
        "invoices": {
            "operationId": "listInvoices",
            "parameters": {"query.subscription": f"{_FIRST}/id"},
            "description": "The first subscription's invoices.",
        },
        "subscribe": _act_link(
            "subscribe",
            {"price": "$response.body#/billingData/picker/0"},
            "`subscribe` to the first plan the picker offers (none while `picker` is empty).",
        ),
        "update_billing_details": _act_link(
            "update_billing_details",
            {"name": "$response.body#/billingData/customer/details/name"},
            "`update_billing_details` with the name the invoices carry now (403 where "
            "`billing_details` is off).",
        ),
        "payment_methods": {
            "operationId": "listPaymentMethods",
            "description": "The customer's saved cards (403 where `payment_methods` is off).",
        },
        "tax_ids": {
            "operationId": "listTaxIds",
            "description": "The customer's tax IDs (403 where `tax_ids` is off).",
        },
    }
    for action in ACTIONS:
        fields = TABLE[action].fields
        if "subscription" not in fields:
            continue
        body = {"subscription": f"{_FIRST}/id"}
        what = f"`{action}` for the first subscription (the newest)"
        if "price" in fields:
            body["price"] = f"{_FIRST}/plans/0"
            what += " and the first price of its `plans`"
        rest = " and ".join(f"`{name}`" for name in sorted(fields - set(body)))
        if rest:
            what += f", with the {rest} the customer gives"
        when = (
            ", once the page confirmed the payment its `payment_secret` asks for"
            if action == "finish_payment"
            else "; offered where its `actions` list it"
        )
        links[action] = _act_link(action, body, f"{what}{when}.")
    return links


def _action_links() -> JSON:
    """An action's result: what the portal's answer links to, and the card's next step."""
    return {
        **_billing_links(),
        "update_payment_method": _act_link(
            "update_payment_method",
            None,
            "After `setup_payment_method`: once Stripe.js confirmed its setup intent "
            "(`confirmation.client_secret`), `update_payment_method` with the card Stripe.js "
            "answered with. This answer was made before, so it does not carry the card.",
        ),
    }


def _preview_links() -> JSON:
    """A preview: the change it priced, made."""
    change = {"subscription": "$response.body#/subscription"}
    return {
        "change_plan": _act_link(
            "change_plan",
            {**change, "price": "$response.body#/price"},
            "For a preview of a new price: `change_plan` to it.",
        ),
        "change_quantity": _act_link(
            "change_quantity",
            {**change, "quantity": "$response.body#/quantity"},
            "For a preview of a new quantity: `change_quantity` to it.",
        ),
    }


_CARD_LINKS: JSON = {
    "set_default_payment_method": _act_link(
        "set_default_payment_method",
        {"payment_method": "$response.body#/payment_methods/0/id"},
        "Make the first card listed (the default) the default: it stays so.",
    ),
    "remove_payment_method": _act_link(
        "remove_payment_method",
        {"payment_method": "$response.body#/payment_methods/0/id"},
        "Remove the first card listed: refused (409) while a subscription renews on it.",
    ),
}

_TAX_ID_LINKS: JSON = {
    "remove_tax_id": _act_link(
        "remove_tax_id",
        {"tax_id": "$response.body#/tax_ids/0/id"},
        "Remove the first tax ID listed.",
    ),
}

_INVOICE_LINKS: JSON = {
    "pay": _act_link(
        "pay_invoice",
        {"invoice": "$response.body#/invoices/0/id"},
        "Pay the newest invoice: 409 `invoice_not_open` once it is paid; where the card "
        "needs the customer, `confirmation` holds its payment.",
    ),
    "next_page": {
        "operationId": "listInvoices",
        "parameters": {
            "query.starting_after": f"$response.body#/invoices/{PAGE_SIZE - 1}/id",
            "query.subscription": "$request.query.subscription",
        },
        "description": "The next page, where `has_more` says there is one, for the same "
        f"subscription: after the page's last invoice (a full page holds {PAGE_SIZE}; drafts "
        "are left out, so one may hold fewer, and then goes on after its own last).",
    },
}

_SESSION_LINKS: JSON = {
    "portal": {
        "operationId": "getPortal",
        "parameters": {"header.X-Billflow-Session": "$response.body#/session"},
        "description": "The signed-in customer's portal, the session in `X-Billflow-Session` "
        "(beside the page token it was made with, if any); the invoices, the preview and the "
        "actions take it the same way.",
    },
    "sign_out": {
        "operationId": "endSession",
        "parameters": {"header.X-Billflow-Session": "$response.body#/session"},
        "description": "Sign out: the session stops working.",
    },
}


def _linked(response: JSON, links: JSON) -> JSON:
    return {**response, "links": links}


def _paths() -> JSON:
    """Every route, without the prefix."""
    paths: JSON = {
        "/api/portal": {
            "get": _operation(
                "getPortal",
                "The customer's portal: their billing data, the plans, the site's options",
                _linked(_json("The portal", ref("Portal")), _billing_links()),
                _READ,
                parameters=[_LIMIT],
                security=_IDENTIFIED,
            )
        },
        "/api/actions/{action}": {
            "post": _operation(
                "act",
                "Run one action for the customer",
                _linked(
                    _json("Done: Stripe's answer and the portal as it is now", ref("ActionResult")),
                    _action_links(),
                ),
                _ACT,
                description="The body is the payload of the action the path names (its "
                "`…Payload` schema); a field that action does not take is refused with 400 "
                "`unknown_field`. A retry with the same `Idempotency-Key` gets the first "
                "answer again; the key with another request is a 409 `idempotency_conflict`. "
                "Actions of one customer are made one at a time: one that waits for another "
                "past the site's BILLFLOW_STRIPE_DEADLINE is a 409 `action_in_progress`. "
                "An empty body counts as `{}`. Past the site's `action_rate_limit` actions a "
                "minute for this identity: 429 `rate_limited` with `Retry-After`.",
                parameters=[
                    {"name": "action", "in": "path", "required": True, "schema": {"enum": ACTIONS}},
                    {"$ref": "#/components/parameters/IdempotencyKey"},
                    _LIMIT,
                ],
                requestBody=_body({"anyOf": [ref(payload_name(a)) for a in ACTIONS]}),
                security=_IDENTIFIED,
            )
        },
        "/api/preview": {
            "post": _operation(
                "preview",
                "What a plan or quantity change would cost; writes nothing",
                _linked(
                    _json("The invoice the change would make", ref("Preview")), _preview_links()
                ),
                _PREVIEW,
                description="Past the site's `preview_rate_limit` previews a minute for this "
                "identity: 429 `rate_limited` with `Retry-After`.",
                parameters=[_LIMIT],
                requestBody=_body(ref("PreviewRequest")),
                security=_IDENTIFIED,
            )
        },
        "/api/invoices": {
            "get": _operation(
                "listInvoices",
                "The customer's invoices, newest first, a page at a time",
                _linked(_json("A page of invoices", ref("InvoicePage")), _INVOICE_LINKS),
                _READ,
                parameters=[
                    _query(
                        "subscription",
                        "^(sub_.*)?$",
                        "Whose invoices (`sub_…`). Left out: every subscription's "
                        "invoices (one-off invoices too where the site shows them all). "
                        "Empty counts as left out.",
                    ),
                    _query(
                        "starting_after",
                        "^(in_.*)?$",
                        "The last invoice (`in_…`) of the page before. Empty counts as left out.",
                    ),
                    _LIMIT,
                ],
                security=_IDENTIFIED,
            )
        },
        "/api/payment-methods": {
            "get": _operation(
                "listPaymentMethods",
                "The customer's saved cards, the default first",
                _linked(_json("The saved cards", ref("PaymentMethodList")), _CARD_LINKS),
                _READ,
                description="403 `feature_disabled` where `payment_methods` is off.",
                security=_IDENTIFIED,
            )
        },
        "/api/tax-ids": {
            "get": _operation(
                "listTaxIds",
                "The customer's tax IDs",
                _linked(_json("The tax IDs", ref("TaxIdList")), _TAX_ID_LINKS),
                _READ,
                description="403 `feature_disabled` where `tax_ids` is off.",
                security=_IDENTIFIED,
            )
        },
        "/api/sign-in": {
            "get": _operation(
                "signInForm",
                "The email sign-in form, for a page that cannot name its visitor",
                _json("The form in the visitor's language", ref("SignInForm")),
                _SIGN_IN_FORM,
                description="403 `feature_disabled` where email sign-in is off.",
            )
        },
        "/api/login-link": {
            "post": _operation(
                "requestLoginLink",
                "Email a sign-in link to a customer; the same answer for anyone",
                _json(
                    "Accepted (sent only where the email is a customer's)", ref("LoginLinkAccepted")
                ),
                _SIGN_IN,
                description="403 `feature_disabled` where email sign-in is off; 400 "
                "`email_invalid` for something that is not an email address; 429 "
                "`rate_limited` past the site's limits per email and per client address, "
                "with `Retry-After`. The link goes to the site's `sign_in_redirect_url` "
                "with a `billflow_token` parameter.",
                requestBody=_body(ref("LoginLinkRequest")),
                status="202",
            )
        },
        "/api/session": {
            "post": _operation(
                "startSession",
                "Exchange a sign-in link's token for a session",
                _linked(_json("Signed in", ref("Session")), _SESSION_LINKS),
                _SESSION,
                description="403 `link_invalid` (tampered with, or made for another redirect "
                "URL), `link_expired`, `link_used` (a link works once), or "
                "`feature_disabled`.",
                requestBody=_body(ref("SessionRequest")),
            ),
            "delete": _operation(
                "endSession",
                "Sign out: the session in `X-Billflow-Session` stops working",
                _json("Signed out", ref("SignedOut")),
                _SESSION,
                description="403 `session_expired` for a session that already ended.",
                security=[{"session": []}],
            ),
        },
        "/stripe/webhook": {
            "post": _operation(
                "receiveStripeWebhook",
                "Stripe's webhooks, checked against the raw body",
                _json(
                    "Received",
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["received", "outcome"],
                        "properties": {
                            "received": {"const": True},
                            "outcome": {"enum": list(typing.get_args(Outcome))},
                        },
                    },
                ),
                _WEBHOOK,
                description="404 `webhooks_off` where BILLFLOW_STRIPE_WEBHOOK_SECRET is unset; "
                "400 for a signature that is missing, wrong or older than five minutes, and 400 "
                "`webhook_payload_invalid` for a signed body that is not an event (not JSON, or "
                "without a string `id` and `type` and an object `data.object`).",
                parameters=[
                    {
                        "name": "Stripe-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                requestBody=_body({"type": "object", "description": "An event, as signed."}),
            )
        },
        "/api/openapi.json": {
            "get": _operation(
                "getOpenAPI",
                "This document",
                _json("OpenAPI 3.1", {"type": "object", "required": ["openapi", "info", "paths"]}),
                _DOCUMENT,
            )
        },
    }
    for name, content_type in STATIC_FILES.items():
        media = content_type.split(";")[0]
        ok = {"description": name, "content": {media: {"schema": {"type": "string"}}}}
        paths[f"/{name}"] = {"get": _operation(f"get_{name}", f"The page's {name}", ok, _DOCUMENT)}
    return paths


_INFO = {
    "title": "Billflow portal API",
    "version": "1",
    "license": {"name": "MIT", "identifier": "MIT"},
    "description": "The API the portal's script speaks. The page names the customer in "
    "`X-Billflow-Identity` (an email or a `cus_…` id, as the site identifies customers) and "
    "proves it with `X-Billflow-Hash`; a missing or unusable identity is a 400 "
    "`identity_required`, a hash that does not prove it a 403. Every error is JSON "
    '`{"error": {"code", "message", "field"?}}`. A method a route does not take is a 405 '
    "`method_not_allowed` (with `Allow`), an unknown route a 404 `route_not_found`.",
}

_PARAMETERS = {
    "IdempotencyKey": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": True,
        "description": "Made once per user intent by the page: 8 to 255 printable ASCII "
        "characters.",
        "schema": {
            "type": "string",
            "minLength": 8,
            "maxLength": 255,
            "pattern": "^[\\x21-\\x7e]([\\x20-\\x7e]*[\\x21-\\x7e])?$",
        },
    },
    "Subscription": {
        "name": "X-Billflow-Subscription",
        "in": "header",
        "required": False,
        "description": "Beside an identity hash (a hand-written snippet): narrows the view "
        "to this one subscription of the customer's (`sub_…`); not a security boundary, the "
        "page token's limit is. Ignored beside a page token. Empty counts as left out.",
        "schema": {"type": "string", "pattern": "^(sub_.*)?$"},
    },
}

_SECURITY = {
    "page": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Billflow-Page",
        "description": "The page token a plugin's snippet carries: who the customer is (or "
        "nobody, beside an email-link session made on that page), the page's own options "
        "and its one-subscription limit, signed by the site. The server takes all three from "
        "it and ignores the identity headers beside it. 403 `page_invalid` for a token the "
        "site did not sign (another site's included), `page_expired` for one older than "
        "`hash_lifetime`.",
    },
    "identity": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Billflow-Identity",
        "description": "Who the customer is: their email or their `cus_…` id.",
    },
    "identityHash": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Billflow-Hash",
        "description": "HMAC-SHA256 of the identity with the site's secret key, plain or "
        "expiring (see the README). Only a test-mode site with `require_hash` off needs none.",
    },
    "session": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Billflow-Session",
        "description": "An email-link session from `POST /api/session`, or a vouched session "
        "a host made from the site's own login (the webhook bridge's token exchange), "
        "instead of the identity and its hash; 403 `session_expired` once it ended.",
    },
}


def openapi_document(prefix: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route `PortalAPI` serves under `prefix`."""
    responses = {f"E{status}": _json(text, ref("Error")) for status, text in _ERRORS.items()}
    responses["E429"]["headers"] = {
        "Retry-After": {"required": True, "schema": {"type": "integer"}}
    }
    document = {
        "openapi": "3.1.0",
        "info": _INFO,
        "paths": {prefix + route: item for route, item in _paths().items()},
        "components": {
            "schemas": body_schemas(),
            "responses": responses,
            "parameters": _PARAMETERS,
            "securitySchemes": _SECURITY,
        },
    }
    return copy.deepcopy(document)  # the caller's to change: it shares nothing with this module
