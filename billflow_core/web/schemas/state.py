"""The schemas of what the API answers with: the portal's state (billing data, each
subscription, the plans), a page of invoices, a preview, an action's result and an error.
Every object is closed with every key required, as `serialize.py` always writes them all."""

from __future__ import annotations

from collections.abc import Mapping

from ...actions import ACTIONS as TABLE
from .parts import (
    BOOLEAN,
    EPOCH,
    HTML,
    INTEGER,
    JSON,
    LANGUAGE,
    MINOR,
    STRING,
    array,
    closed_object,
    null,
    or_null,
    ref,
)

__all__ = [
    "ACTIONS", "ACTION_RESULT", "BILLING_DATA", "ERROR", "INVOICE", "PAGE", "PLAN", "PREVIEW",
    "SUBSCRIPTION",
]  # fmt: skip

ACTIONS = sorted(TABLE)  # the action names a body may carry
_INTERVAL: JSON = {"enum": ["day", "week", "month", "year"]}
_STATUS: JSON = {
    "enum": ["incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
             "unpaid", "paused"]
}  # fmt: skip

PLAN = closed_object(
    {
        "price_id": STRING,
        "product_id": STRING,
        "name": STRING,
        "description": null(STRING),
        "nickname": null(STRING),
        "amount": {**MINOR, "description": "per unit, in the currency's minor unit"},
        "currency": STRING,
        "interval": _INTERVAL,
        "interval_count": INTEGER,
        "service": null(STRING),
        "quantity": {
            **or_null(
                closed_object({"minimum": INTEGER, "maximum": INTEGER, "unit_label": null(STRING)})
            ),
            "description": "null: customers do not choose this plan's quantity.",
        },
    }
)

_PLANNED = closed_object(
    {
        "price_id": STRING,
        "quantity": INTEGER,
        "at": {**EPOCH, "description": "when it applies (or lapses, unpaid)"},
        "plan_name": null(STRING),
    }
)

_DISCOUNT = closed_object(
    {
        "name": null(STRING),
        "percent_off": null({"type": "number"}),
        "amount_off": null(MINOR),
        "currency": null(STRING),
        "ends_at": null(EPOCH),
    }
)

# What goes on the customer's invoices; empty text for a field they have not given.
DETAILS = closed_object(
    {name: STRING for name in ("name", "email", "phone", "line1", "line2", "city", "state",
                               "postal_code", "country")}
)  # fmt: skip

SAVED_CARD = closed_object(
    {
        "id": STRING,
        "brand": STRING,
        "last4": STRING,
        "exp_month": INTEGER,
        "exp_year": INTEGER,
        "is_default": BOOLEAN,
        "expired": BOOLEAN,
        "expires_soon": {**BOOLEAN, "description": "It expires within 60 days."},
        "removable": {
            **BOOLEAN,
            "description": "false: `remove_payment_method` would refuse it (a renewing "
            "subscription's own card, or the default while something renews).",
        },
    }
)

TAX_ID = closed_object(
    {
        "id": STRING,
        "type": {**STRING, "description": "Stripe's tax ID type (`eu_vat`…)."},
        "value": STRING,
        "country": null(STRING),
        "verification": {"enum": ["verified", "pending", "unverified", "unavailable"]},
    }
)

_CARD = closed_object({"brand": STRING, "last4": STRING, "exp_month": INTEGER, "exp_year": INTEGER})

SUBSCRIPTION = closed_object(
    {
        "id": STRING,
        "status": _STATUS,
        "price_id": STRING,
        "product_name": null(STRING),
        "amount": null({**MINOR, "description": "per unit; null for a tiered price"}),
        "currency": STRING,
        "interval": _INTERVAL,
        "interval_count": INTEGER,
        "quantity": INTEGER,
        "unit_label": null(STRING),
        "discount": or_null(_DISCOUNT),
        "current_period_end": EPOCH,
        "cancel_at": null(EPOCH),
        "canceled_at": null(EPOCH),
        "ended_at": null(EPOCH),
        "paused": BOOLEAN,
        "paused_until": null(EPOCH),
        "actions": array({"enum": ACTIONS}, "What the page may offer for it now."),
        "plans": array(STRING, "The price ids it may move to (see `productData`)."),
        "payment_secret": {
            **null(STRING),
            "description": "The client secret of a payment waiting for the customer.",
        },
        "amount_due": {
            **null(MINOR),
            "description": "What that payment asks, in `currency`; null when none waits.",
        },
        "card": {
            **or_null(_CARD),
            "description": "The card its invoices are charged to: its own default payment "
            "method (a card saved at checkout), else the customer's default.",
        },
        "card_secret": {
            **null(STRING),
            "description": "The client secret of the card setup a trial with no card waits "
            "on (Stripe's `pending_setup_intent`); the trial ends the subscription without one.",
        },
        "scheduled_change": {**or_null(_PLANNED), "description": "A downgrade at period end."},
        "awaiting_payment": {**or_null(_PLANNED), "description": "A change held until paid."},
    }
)

BILLING_DATA = closed_object(
    {
        "no_user": {**BOOLEAN, "description": "true: the identity is not a customer (yet)."},
        "customer": or_null(
            closed_object({"id": STRING, "name": null(STRING), "details": or_null(DETAILS)})
        ),
        "card": {**or_null(_CARD), "description": "The customer's default card."},
        "subscriptions": array(ref("Subscription")),
        "picker": array(STRING, "The price ids the plan picker offers (empty: none)."),
    }
)

INVOICE = closed_object(
    {
        "id": STRING,
        "number": null(STRING),
        "status": {"enum": ["open", "paid", "uncollectible", "void"]},
        "currency": STRING,
        "total": MINOR,
        "amount_due": MINOR,
        "amount_paid": MINOR,
        "created": EPOCH,
        "subscription": null(STRING),
        "hosted_invoice_url": null(STRING),
        "invoice_pdf": null(STRING),
        "price": {**null(STRING), "description": "The price its first line bills."},
        "description": {**null(STRING), "description": "The invoice's, else that line's."},
        "period_start": null(EPOCH),
        "period_end": null(EPOCH),
    }
)

# What the page shows, rendered on the server in the customer's language (web/render.py).
PAGE: Mapping[str, JSON] = {
    "html": {**HTML, "description": "The whole portal, rendered (HTML)."},
    "language": LANGUAGE,
    "dir": {"enum": ["ltr", "rtl"], "description": "Which way the language is written."},
    "messages": {
        "type": "object",
        "additionalProperties": STRING,
        "description": "The texts the script shows itself, by key (`error.<code>`), with "
        "`{name}` fields unfilled.",
    },
    "actions": {
        "type": "object",
        "additionalProperties": closed_object(
            {
                "fields": array(STRING),
                "pre_event": STRING,
                "event": STRING,
                "done": null(STRING),
            }
        ),
        "description": "Each action the script may ask for: the form fields it sends, the "
        "events it tells the site's `handleResponse` before and after, and the `messages` key "
        "it says once done when the answer has no `done` of its own.",
    },
}

PREVIEW = closed_object(
    {
        "subscription": STRING,
        "currency": STRING,
        "amount_due": MINOR,
        "proration": {**MINOR, "description": "the net of the proration lines (< 0: credit)"},
        "due_now": {**BOOLEAN, "description": "charged at once, else with the next invoice"},
        "next_payment_at": null(EPOCH),
        "takes_effect_at": {**null(EPOCH), "description": "null: now; else the period end"},
        "lines": array(
            closed_object({"description": null(STRING), "amount": MINOR, "proration": BOOLEAN})
        ),
        "price": {**STRING, "description": "The price the subscription would have."},
        "quantity": {**INTEGER, "description": "The quantity it would have."},
        "html": {**HTML, "description": "The sentence that says what it costs (HTML)."},
        "language": LANGUAGE,
    }
)

ACTION_RESULT = closed_object(
    {
        "action": {"enum": ACTIONS},
        "done": {
            **STRING,
            "description": "What happened, in the customer's language, for the page to say "
            "(with its date when it happens later: a cancellation at the period end).",
        },
        "response": {
            **ref("StripeObject"),
            "description": "Part of what Stripe returned: the fields README's table lists.",
        },
        "billingData": ref("BillingData"),
        "confirmation": {
            **or_null(
                closed_object({"kind": {"enum": ["payment", "setup"]}, "client_secret": STRING})
            ),
            "description": "A payment or a card the page must still confirm with Stripe.js.",
        },
        **PAGE,
    }
)

ERROR = closed_object(
    {
        "error": closed_object(
            {
                "code": {**STRING, "description": "For code, and never changes."},
                "message": {**STRING, "description": "For people; never holds a secret."},
                "field": {**STRING, "description": "The input at fault, where there is one."},
            },
            required=("code", "message"),
        )
    }
)
