"""The JSON Schemas of the portal API's bodies: the actions' payloads in, and every answer
`serialize.py` writes out, for the OpenAPI document (`web/openapi.py`), by name.

What can be read off the code is: the actions and their fields (the action table), and the
options the page sees (`PortalSettings.for_page()` and the options' types). Every object
the API answers with is closed (`additionalProperties: false`) with every key required, as
`serialize.py` always writes them all, so a key added there and not here fails the API's
contract test.
"""

from __future__ import annotations

from .answers import answer_schemas
from .parts import BOOLEAN, HTML, INTEGER, JSON, LANGUAGE, STRING, array, closed_object, null, ref
from .payloads import FIELDS, current_config, payload_name, payload_schema
from .state import (
    ACTION_RESULT,
    ACTIONS,
    BILLING_DATA,
    ERROR,
    INVOICE,
    PAGE,
    PLAN,
    PREVIEW,
    SAVED_CARD,
    SUBSCRIPTION,
    TAX_ID,
)

__all__ = ["ACTIONS", "FIELDS", "body_schemas", "null", "payload_name", "ref"]


def body_schemas() -> dict[str, JSON]:
    """`components.schemas`: every body the API takes or answers with, by name."""
    return {
        "Portal": closed_object(
            {
                "billingData": ref("BillingData"),
                "productData": array(ref("Plan"), "Every plan the site offers."),
                "currentConfig": ref("CurrentConfig"),
                "stripe": {
                    **closed_object(
                        {
                            "publishable_key": null(STRING),
                            "js_url": {**STRING, "description": "Where Stripe.js is loaded from."},
                        }
                    ),
                    "description": "What the card form gives Stripe.js (null key: no card form).",
                },
                **PAGE,
            }
        ),
        "BillingData": BILLING_DATA,
        "Subscription": SUBSCRIPTION,
        "Plan": PLAN,
        "CurrentConfig": current_config(),
        "ActionResult": ACTION_RESULT,
        "Preview": PREVIEW,
        "PreviewRequest": {
            **closed_object(
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
        "InvoicePage": closed_object(
            {
                "invoices": array(INVOICE),
                "has_more": {**BOOLEAN, "description": "Ask again from the last one's id."},
                "html": {**HTML, "description": "The page of invoices as list items (HTML)."},
                "language": LANGUAGE,
            }
        ),
        "PaymentMethodList": closed_object(
            {
                "payment_methods": array(SAVED_CARD),
                "html": {**HTML, "description": "The saved cards as list items (HTML)."},
                "language": LANGUAGE,
            }
        ),
        "TaxIdList": closed_object(
            {
                "tax_ids": array(TAX_ID),
                "html": {**HTML, "description": "The tax IDs as list items (HTML)."},
                "language": LANGUAGE,
            }
        ),
        "SignInForm": closed_object(
            {
                **PAGE,
                "html": {**HTML, "description": "The email sign-in form, rendered (HTML)."},
            }
        ),
        "LoginLinkRequest": {
            **closed_object({"email": {**STRING, "maxLength": 254}}, required=("email",)),
            "description": "Who asks for a sign-in link.",
        },
        "LoginLinkAccepted": {
            **closed_object({"sent": {"const": True}}),
            "description": "The same answer whether or not the email is a customer's.",
        },
        "SessionRequest": {
            **closed_object({"token": STRING}, required=("token",)),
            "description": "The `billflow_token` the sign-in link brought back.",
        },
        "Session": closed_object(
            {
                "session": {
                    **STRING,
                    "description": "Send it back as `X-Billflow-Session`; keep it out of URLs.",
                },
                "email": {**STRING, "description": "Who is signed in."},
                "expires_at": {**INTEGER, "description": "When the session ends (epoch s)."},
            }
        ),
        "SignedOut": closed_object({"signed_out": {"const": True}}),
        "Error": ERROR,
        **{payload_name(action): payload_schema(action) for action in ACTIONS},
        **answer_schemas(),
    }
