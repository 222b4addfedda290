"""A Stripe field that names another object reads as its id, or as the object when the
request expanded it; the portal asks for the id either way."""

from __future__ import annotations

from typing import Any

__all__ = ["id_of"]


def id_of(value: Any) -> str | None:
    """The id a Stripe field holds, expanded or not; None for an empty one."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)
