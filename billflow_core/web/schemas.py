"""The JSON Schemas of the portal API's bodies: the actions' payloads in, and every answer
`serialize.py` writes out, for the OpenAPI document (openapi.py).

What can be read off the code is: the actions and their fields (the action table), and the
options the page sees (`PortalSettings.for_page()` and the options' types). Every object
the API answers with is closed (`additionalProperties: false`) with every key required, as
`serialize.py` always writes them all, so a key added there and not here fails the API's
contract test.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from ..actions import ACTIONS as _TABLE
from ..billing.rules import MAX_COMMENT
from ..settings import PortalSettings
from .answer_schemas import answer_schemas

__all__ = ["ACTIONS", "FIELDS", "body_schemas", "null", "payload_name", "ref"]

JSON = dict[str, Any]

ACTIONS = sorted(_TABLE)

_STRING: JSON = {"type": "string"}
_INTEGER: JSON = {"type": "integer"}
_BOOLEAN: JSON = {"type": "boolean"}
_EPOCH: JSON = {"type": "integer", "description": "UTC epoch seconds"}
_MINOR: JSON = {"type": "integer", "description": "in the currency's minor unit (cents)"}


def null(schema: JSON) -> JSON:
    """`schema`, or null."""
    kind = schema["type"]
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


def _or_null(schema: JSON) -> JSON:
    """An object `schema`, or null."""
    return {"oneOf": [{"type": "null"}, schema]}


def _object(properties: Mapping[str, JSON], *, required: tuple[str, ...] | None = None) -> JSON:
    """A closed object; every key is required unless `required` names fewer."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else list(required),
        "properties": dict(properties),
    }


def _array(items: JSON, description: str | None = None) -> JSON:
    schema: JSON = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


# -- the actions' payloads ------------------------------------------------------------------
# Each field an action may take, as the rules check it.
FIELDS: Mapping[str, JSON] = {
    "subscription": {**_STRING, "description": "One of the customer's subscriptions (`sub_…`)."},
    "price": {**_STRING, "description": "A price the site offers (`price_…`)."},
    "quantity": {**_INTEGER, "description": "Within the plan's `quantity` bounds."},
    "reason": {**_STRING, "description": "One of `currentConfig.cancellation_reasons`."},
    "comment": {**_STRING, "maxLength": MAX_COMMENT},
    "coupon": {**_STRING, "description": "A promotion code, as the customer typed it."},
    "resumes_at": {
        **_EPOCH,
        "description": "When to resume (UTC epoch seconds), within `pause_max_days`.",
    },
    "payment_method": {
        **_STRING,
        "pattern": "^pm_",
        "maxLength": 255,
        "description": "The card of a setup intent that succeeded.",
    },
}


def payload_name(action: str) -> str:
    """`change_plan` → `ChangePlanPayload`, the name of its payload's schema."""
    return "".join(part.title() for part in action.split("_")) + "Payload"


def _payload(action: str) -> JSON:
    fields = sorted(_TABLE[action].fields)
    spec = _TABLE[action]
    properties = {
        name: null(FIELDS[name]) if name in spec.nullable else FIELDS[name] for name in fields
    }
    schema = _object(properties, required=spec.required)
    takes = ", ".join(f"`{name}`" for name in fields) or "no field (send `{}`)"
    schema["description"] = f"The payload of `{action}`: {takes}."
    return schema


# -- what the page is told: currentConfig -------------------------------------------------
def _option(hint: Any) -> JSON:
    """The JSON Schema of a settings option, from its type hint."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        schema = _option(inner)
        return {"enum": [*schema["enum"], None]} if "enum" in schema else null(schema)
    if typing.get_origin(hint) is Literal:
        return {"enum": list(args)}
    simple = {bool: _BOOLEAN, int: _INTEGER, str: _STRING}
    if hint in simple:
        return dict(simple[hint])
    raise TypeError(f"no JSON Schema for the option type {hint!r}")


# The options `for_page` shows in another shape than the setting's.
_PAGE_SHAPES: Mapping[str, JSON] = {
    "cancellation_reasons": _array(_STRING),
    "translations": {
        "type": "object",
        "description": 'The site\'s own strings by language: {"fr": {"key": "text"}}.',
        "additionalProperties": {"type": "object", "additionalProperties": _STRING},
    },
    "retention_offer": {
        **_or_null(_object({"reasons": _array(_STRING)})),
        "description": "The reasons that get an offer before cancelling.",
    },
}


def _current_config() -> JSON:
    hints = typing.get_type_hints(PortalSettings)
    properties = {
        name: _PAGE_SHAPES[name] if name in _PAGE_SHAPES else _option(hints[name])
        for name in PortalSettings().for_page()
    }
    return {**_object(properties), "description": "The site's options the script needs."}


# -- the answers ----------------------------------------------------------------------------
_INTERVAL: JSON = {"enum": ["day", "week", "month", "year"]}
_STATUS: JSON = {
    "enum": ["incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
             "unpaid", "paused"]
}  # fmt: skip

_PLAN = _object(
    {
        "price_id": _STRING,
        "product_id": _STRING,
        "name": _STRING,
        "description": null(_STRING),
        "nickname": null(_STRING),
        "amount": {**_MINOR, "description": "per unit, in the currency's minor unit"},
        "currency": _STRING,
        "interval": _INTERVAL,
        "interval_count": _INTEGER,
        "service": null(_STRING),
        "quantity": {
            **_or_null(
                _object({"minimum": _INTEGER, "maximum": _INTEGER, "unit_label": null(_STRING)})
            ),
            "description": "null: customers do not choose this plan's quantity.",
        },
    }
)

_PLANNED = _object(
    {
        "price_id": _STRING,
        "quantity": _INTEGER,
        "at": {**_EPOCH, "description": "when it applies (or lapses, unpaid)"},
        "plan_name": null(_STRING),
    }
)

_DISCOUNT = _object(
    {
        "name": null(_STRING),
        "percent_off": null({"type": "number"}),
        "amount_off": null(_MINOR),
        "currency": null(_STRING),
        "ends_at": null(_EPOCH),
    }
)

_CARD = _object({"brand": _STRING, "last4": _STRING, "exp_month": _INTEGER, "exp_year": _INTEGER})

_SUBSCRIPTION = _object(
    {
        "id": _STRING,
        "status": _STATUS,
        "price_id": _STRING,
        "product_name": null(_STRING),
        "amount": null({**_MINOR, "description": "per unit; null for a tiered price"}),
        "currency": _STRING,
        "interval": _INTERVAL,
        "interval_count": _INTEGER,
        "quantity": _INTEGER,
        "unit_label": null(_STRING),
        "discount": _or_null(_DISCOUNT),
        "current_period_end": _EPOCH,
        "cancel_at": null(_EPOCH),
        "canceled_at": null(_EPOCH),
        "ended_at": null(_EPOCH),
        "paused": _BOOLEAN,
        "paused_until": null(_EPOCH),
        "actions": _array({"enum": ACTIONS}, "What the page may offer for it now."),
        "plans": _array(_STRING, "The price ids it may move to (see `productData`)."),
        "payment_secret": {
            **null(_STRING),
            "description": "The client secret of a payment waiting for the customer.",
        },
        "amount_due": {
            **null(_MINOR),
            "description": "What that payment asks, in `currency`; null when none waits.",
        },
        "card": {
            **_or_null(_CARD),
            "description": "The card its invoices are charged to: its own default payment "
            "method (a card saved at checkout), else the customer's default.",
        },
        "scheduled_change": {**_or_null(_PLANNED), "description": "A downgrade at period end."},
        "awaiting_payment": {**_or_null(_PLANNED), "description": "A change held until paid."},
    }
)

_BILLING_DATA = _object(
    {
        "no_user": {**_BOOLEAN, "description": "true: the identity is not a customer (yet)."},
        "customer": _or_null(_object({"id": _STRING, "name": null(_STRING)})),
        "card": {**_or_null(_CARD), "description": "The customer's default card."},
        "subscriptions": _array(ref("Subscription")),
        "picker": _array(_STRING, "The price ids the plan picker offers (empty: none)."),
    }
)

_INVOICE = _object(
    {
        "id": _STRING,
        "number": null(_STRING),
        "status": {"enum": ["open", "paid", "uncollectible", "void"]},
        "currency": _STRING,
        "total": _MINOR,
        "amount_due": _MINOR,
        "amount_paid": _MINOR,
        "created": _EPOCH,
        "subscription": null(_STRING),
        "hosted_invoice_url": null(_STRING),
        "invoice_pdf": null(_STRING),
    }
)

# What the page shows, rendered on the server in the customer's language (web/render.py).
_HTML: JSON = {**_STRING, "description": "The fragment the script puts in the page (HTML)."}
_LANGUAGE: JSON = {**_STRING, "description": "The language it is written in (`ja`, `pt-BR`)."}
_PAGE: Mapping[str, JSON] = {
    "html": {**_HTML, "description": "The whole portal, rendered (HTML)."},
    "language": _LANGUAGE,
    "dir": {"enum": ["ltr", "rtl"], "description": "Which way the language is written."},
    "messages": {
        "type": "object",
        "additionalProperties": _STRING,
        "description": "The texts the script shows itself, by key (`error.<code>`), with "
        "`{name}` fields unfilled.",
    },
    "actions": {
        "type": "object",
        "additionalProperties": _object(
            {
                "fields": _array(_STRING),
                "pre_event": _STRING,
                "event": _STRING,
                "done": null(_STRING),
            }
        ),
        "description": "Each action the script may ask for: the form fields it sends, the "
        "events it tells the site's `handleResponse` before and after, and the `messages` key "
        "it says once done when the answer has no `done` of its own.",
    },
}

_PREVIEW = _object(
    {
        "subscription": _STRING,
        "currency": _STRING,
        "amount_due": _MINOR,
        "proration": {**_MINOR, "description": "the net of the proration lines (< 0: credit)"},
        "due_now": {**_BOOLEAN, "description": "charged at once, else with the next invoice"},
        "next_payment_at": null(_EPOCH),
        "takes_effect_at": {**null(_EPOCH), "description": "null: now; else the period end"},
        "lines": _array(
            _object({"description": null(_STRING), "amount": _MINOR, "proration": _BOOLEAN})
        ),
        "price": {**_STRING, "description": "The price the subscription would have."},
        "quantity": {**_INTEGER, "description": "The quantity it would have."},
        "html": {**_HTML, "description": "The sentence that says what it costs (HTML)."},
        "language": _LANGUAGE,
    }
)

_ACTION_RESULT = _object(
    {
        "action": {"enum": ACTIONS},
        "done": {
            **_STRING,
            "description": "What happened, in the customer's language, for the page to say "
            "(with its date when it happens later: a cancellation at the period end).",
        },
        "response": {
            **ref("StripeObject"),
            "description": "Part of what Stripe returned: the fields README's table lists.",
        },
        "billingData": ref("BillingData"),
        "confirmation": {
            **_or_null(_object({"kind": {"enum": ["payment", "setup"]}, "client_secret": _STRING})),
            "description": "A payment or a card the page must still confirm with Stripe.js.",
        },
        **_PAGE,
    }
)

_ERROR = _object(
    {
        "error": _object(
            {
                "code": {**_STRING, "description": "For code, and never changes."},
                "message": {**_STRING, "description": "For people; never holds a secret."},
                "field": {**_STRING, "description": "The input at fault, where there is one."},
            },
            required=("code", "message"),
        )
    }
)


def body_schemas() -> dict[str, JSON]:
    """`components.schemas`: every body the API takes or answers with, by name."""
    return {
        "Portal": _object(
            {
                "billingData": ref("BillingData"),
                "productData": _array(ref("Plan"), "Every plan the site offers."),
                "currentConfig": ref("CurrentConfig"),
                "stripe": {
                    **_object(
                        {
                            "publishable_key": null(_STRING),
                            "js_url": {**_STRING, "description": "Where Stripe.js is loaded from."},
                        }
                    ),
                    "description": "What the card form gives Stripe.js (null key: no card form).",
                },
                **_PAGE,
            }
        ),
        "BillingData": _BILLING_DATA,
        "Subscription": _SUBSCRIPTION,
        "Plan": _PLAN,
        "CurrentConfig": _current_config(),
        "ActionResult": _ACTION_RESULT,
        "Preview": _PREVIEW,
        "PreviewRequest": {
            **_object(
                {
                    "subscription": FIELDS["subscription"],
                    "price": null(FIELDS["price"]),
                    "quantity": null(FIELDS["quantity"]),
                },
                required=("subscription",),
            ),
            "description": "`subscription` with a new `price` or a new `quantity`, not both "
            "(null counts as left out).",
        },
        "InvoicePage": _object(
            {
                "invoices": _array(_INVOICE),
                "has_more": {**_BOOLEAN, "description": "Ask again from the last one's id."},
                "html": {**_HTML, "description": "The page of invoices as list items (HTML)."},
                "language": _LANGUAGE,
            }
        ),
        "SignInForm": _object(
            {
                **_PAGE,
                "html": {**_HTML, "description": "The email sign-in form, rendered (HTML)."},
            }
        ),
        "LoginLinkRequest": {
            **_object({"email": {**_STRING, "maxLength": 254}}, required=("email",)),
            "description": "Who asks for a sign-in link.",
        },
        "LoginLinkAccepted": {
            **_object({"sent": {"const": True}}),
            "description": "The same answer whether or not the email is a customer's.",
        },
        "SessionRequest": {
            **_object({"token": _STRING}, required=("token",)),
            "description": "The `billflow_token` the sign-in link brought back.",
        },
        "Session": _object(
            {
                "session": {
                    **_STRING,
                    "description": "Send it back as `X-Billflow-Session`; keep it out of URLs.",
                },
                "email": {**_STRING, "description": "Who is signed in."},
                "expires_at": {**_INTEGER, "description": "When the session ends (epoch s)."},
            }
        ),
        "SignedOut": _object({"signed_out": {"const": True}}),
        "Error": _ERROR,
        **{payload_name(action): _payload(action) for action in ACTIONS},
        **answer_schemas(),
    }
