"""The schemas of what the page sends and is told: each action's payload, made from the
action table (its fields, which are required and which may be null), and `currentConfig`,
made from the options `PortalSettings.for_page()` shows and their types."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from ...actions import ACTIONS as TABLE
from ...actions.customer_details import MAX_TAX_ID
from ...billing.billing_details import MAX_DETAIL
from ...billing.rules import MAX_COMMENT
from ...settings import PortalSettings
from ...stripe.tax_id_types import TAX_ID_TYPES
from .parts import BOOLEAN, EPOCH, INTEGER, JSON, STRING, array, closed_object, null, or_null

__all__ = ["FIELDS", "current_config", "payload_name", "payload_schema"]

# Each field an action may take, as the rules check it.
FIELDS: Mapping[str, JSON] = {
    "subscription": {**STRING, "description": "One of the customer's subscriptions (`sub_…`)."},
    "price": {**STRING, "description": "A price the site offers (`price_…`)."},
    "quantity": {**INTEGER, "description": "Within the plan's `quantity` bounds."},
    "reason": {**STRING, "description": "One of `currentConfig.cancellation_reasons`."},
    "comment": {**STRING, "maxLength": MAX_COMMENT},
    "coupon": {**STRING, "description": "A promotion code, as the customer typed it."},
    "resumes_at": {
        **EPOCH,
        "description": "When to resume (UTC epoch seconds), within `pause_max_days`.",
    },
    "payment_method": {
        **STRING,
        "pattern": "^pm_",
        "maxLength": 255,
        "description": "One of the customer's saved cards, or the card of a setup intent "
        "that succeeded.",
    },
    "setup_intent": {**STRING, "pattern": "^seti_", "maxLength": 255,
                     "description": "The setup intent that confirmed the card (needed where "
                     "`payment_methods` is off)."},
    "invoice": {**STRING, "pattern": "^in_", "maxLength": 255,
                "description": "One of the customer's open invoices."},
    "tax_id": {**STRING, "pattern": "^txi_", "maxLength": 255,
               "description": "One of the customer's tax IDs."},
    "type": {**STRING, "enum": sorted(TAX_ID_TYPES), "description": "Stripe's tax ID type."},
    "value": {**STRING, "maxLength": MAX_TAX_ID, "description": "The tax ID, as written."},
    **{
        name: {**STRING, "maxLength": MAX_DETAIL[name], "description": text}
        for name, text in (
            ("name", "The name on the invoices; empty clears it."),
            ("email", "Where invoices go; refused where it is the customer's identity."),
            ("phone", "A phone number; empty clears it."),
            ("line1", "The billing address's first line."),
            ("line2", "Its second line; empty clears it."),
            ("city", "The city, town or locality."),
            ("state", "State, province or prefecture, where the country needs one."),
            ("postal_code", "In the country's shape, where the country has them."),
            ("country", "ISO 3166-1 alpha-2 code. All address fields empty clear it."),
        )
    },
}  # fmt: skip


def payload_name(action: str) -> str:
    """`change_plan` → `ChangePlanPayload`, the name of its payload's schema."""
    return "".join(part.title() for part in action.split("_")) + "Payload"


def payload_schema(action: str) -> JSON:
    fields = sorted(TABLE[action].fields)
    spec = TABLE[action]
    properties = {
        name: null(FIELDS[name]) if name in spec.nullable else FIELDS[name] for name in fields
    }
    schema = closed_object(properties, required=spec.required)
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
    simple = {bool: BOOLEAN, int: INTEGER, str: STRING}
    if hint in simple:
        return dict(simple[hint])
    raise TypeError(f"no JSON Schema for the option type {hint!r}")


# The options `for_page` shows in another shape than the setting's.
_PAGE_SHAPES: Mapping[str, JSON] = {
    "cancellation_reasons": array(STRING),
    "translations": {
        "type": "object",
        "description": 'The site\'s own strings by language: {"fr": {"key": "text"}}.',
        "additionalProperties": {"type": "object", "additionalProperties": STRING},
    },
    "retention_offer": {
        **or_null(closed_object({"reasons": array(STRING)})),
        "description": "The reasons that get an offer before cancelling.",
    },
}


def current_config() -> JSON:
    hints = typing.get_type_hints(PortalSettings)
    properties = {
        name: _PAGE_SHAPES[name] if name in _PAGE_SHAPES else _option(hints[name])
        for name in PortalSettings().for_page()
    }
    return {**closed_object(properties), "description": "The site's options the script needs."}
