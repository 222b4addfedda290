"""The OpenAPI schemas of an action's `response`, made from the table of what each Stripe
object type shows (`billflow_core.exposed`), so the document cannot list a field the view
hides, nor miss one it shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...exposed import EXPOSED, REF

__all__ = ["answer_schemas", "schema_name"]

JSON = dict[str, Any]

_VALUE: JSON = {"type": ["string", "integer", "number", "boolean", "null", "array"]}


def schema_name(kind: str) -> str:
    return "Stripe_" + "".join(part.title() for part in kind.split("_"))


def answer_schemas() -> JSON:
    """`StripeObject` (any object type an answer shows) and one closed schema per type."""
    schemas: JSON = {
        schema_name(kind): {
            **_closed(fields),
            "description": f"Stripe's `{kind}`: only these of its fields; never `metadata`.",
        }
        for kind, fields in EXPOSED.items()
    }
    schemas["StripeObject"] = {
        "oneOf": [{"$ref": f"#/components/schemas/{schema_name(kind)}"} for kind in EXPOSED],
        "description": "Part of Stripe's answer, under Stripe's names; a Stripe id where "
        "Stripe gave one unexpanded.",
    }
    return schemas


def _closed(fields: Mapping[str, Any]) -> JSON:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: _rule(rule) for name, rule in fields.items()},
    }


def _rule(rule: Any) -> JSON:
    if rule is None:
        return _VALUE
    one: JSON = {"$ref": "#/components/schemas/StripeObject"} if rule == REF else _closed(rule)
    return {"anyOf": [{"type": ["string", "null"]}, one, {"type": "array", "items": one}]}
