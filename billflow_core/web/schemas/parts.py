"""The building blocks of the API's JSON Schemas: closed objects, nullable values, arrays,
references, and the scalar shapes every body shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BOOLEAN", "EPOCH", "HTML", "INTEGER", "JSON", "LANGUAGE", "MINOR", "STRING",
    "array", "closed_object", "null", "or_null", "ref",
]  # fmt: skip

JSON = dict[str, Any]

STRING: JSON = {"type": "string"}
INTEGER: JSON = {"type": "integer"}
BOOLEAN: JSON = {"type": "boolean"}
EPOCH: JSON = {"type": "integer", "description": "UTC epoch seconds"}
MINOR: JSON = {"type": "integer", "description": "in the currency's minor unit (cents)"}
HTML: JSON = {**STRING, "description": "The fragment the script puts in the page (HTML)."}
LANGUAGE: JSON = {**STRING, "description": "The language it is written in (`ja`, `pt-BR`)."}


def null(schema: JSON) -> JSON:
    """`schema`, or null."""
    kind = schema["type"]
    return {**schema, "type": [*(kind if isinstance(kind, list) else [kind]), "null"]}


def or_null(schema: JSON) -> JSON:
    """An object `schema`, or null."""
    return {"oneOf": [{"type": "null"}, schema]}


def closed_object(
    properties: Mapping[str, JSON], *, required: tuple[str, ...] | None = None
) -> JSON:
    """A closed object; every key is required unless `required` names fewer."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(properties) if required is None else list(required),
        "properties": dict(properties),
    }


def array(items: JSON, description: str | None = None) -> JSON:
    schema: JSON = {"type": "array", "items": items}
    if description:
        schema["description"] = description
    return schema


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}
