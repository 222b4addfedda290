"""Judge a raw object the sandbox served against stripe-python's own model of it.

stripe-python 16 annotates every resource class and each nested part (`Invoice.Parent`,
`Invoice.StatusTransitions`) with its fields and their types. A served object is judged at
every depth: a field the class does not declare is one the SDK does not know; a field the
class declares without `Optional` must be present and not null; nested parts, lists,
expandable ids and maps are followed. (Whether an `Optional` field is present is left to the
comparison with Stripe's fixtures, which shows what the API includes.)
"""

from __future__ import annotations

import importlib
import types
import typing
from typing import Any, ForwardRef, Literal, Union

import stripe
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES

__all__ = ["model_of", "sdk_differences"]

# Fields stripe-python reads from every response but declares on no class.
_ENVELOPE = frozenset({"object", "id"})


def model_of(kind: str) -> type[stripe.StripeObject]:
    """The stripe-python class of a resource's `object` value (`invoice` → `stripe.Invoice`)."""
    module, name = OBJECT_CLASSES[kind]
    found: type[stripe.StripeObject] = getattr(importlib.import_module(module), name)
    return found


# Every resource class by its own name, for the annotations that name one in quotes.
_BY_NAME = {name: module for module, name in OBJECT_CLASSES.values()}


def _resolve(tp: Any) -> Any:
    name = tp.__forward_arg__ if isinstance(tp, ForwardRef) else tp if isinstance(tp, str) else None
    if name is None:
        return tp
    try:
        return getattr(stripe, name)  # the package's own names first: `Plan` is stripe.Plan
    except AttributeError:
        pass
    if name in _BY_NAME:  # then a resource of a namespace (`TestClock`)
        return getattr(importlib.import_module(_BY_NAME[name]), name)
    return Any  # a type only the type checker sees


def _fields(cls: type) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in getattr(klass, "__annotations__", {}).items():
            if typing.get_origin(annotation) is typing.ClassVar or name.startswith("_"):
                continue
            fields[name] = annotation
    return fields


def sdk_differences(value: Any, tp: Any, path: str = "") -> list[str]:
    """Where `value` (raw JSON) departs from the type `tp` stripe-python declares for it."""
    tp = _resolve(tp)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = [_resolve(m) for m in typing.get_args(tp)]
        if value is None:
            return [] if type(None) in members else [f"{path}: null, not optional in the SDK"]
        members = [m for m in members if m is not type(None)]
        if isinstance(value, str) and str in members:
            return []  # an expandable field left as its id
        objects = [m for m in members if isinstance(m, type) and issubclass(m, stripe.StripeObject)]
        if isinstance(value, dict) and objects:
            return sdk_differences(value, objects[0], path)
        return []
    if value is None:
        return [f"{path}: null, not optional in the SDK"]
    if origin is Literal or tp is Any:
        return []
    if origin is list or origin is typing.List:  # noqa: UP006
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            return [f"{path}: not a list"]
        return [d for i, v in enumerate(value) for d in sdk_differences(v, item, f"{path}[]")][:20]
    if origin is dict or origin is typing.Dict:  # noqa: UP006
        item = typing.get_args(tp)[1] if typing.get_args(tp) else Any
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        return [d for k, v in value.items() for d in sdk_differences(v, item, f"{path}.{k}")]
    if origin is not None and isinstance(origin, type) and issubclass(origin, ListObject):
        (item,) = typing.get_args(tp)
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            return [f"{path}: not a list object"]
        return [d for v in value["data"] for d in sdk_differences(v, item, f"{path}.data[]")]
    if isinstance(tp, type) and issubclass(tp, stripe.StripeObject):
        if not isinstance(value, dict):
            return [f"{path}: not an object"]
        if tp is stripe.StripeObject:
            return []
        # What a DELETE answers: stripe-python 16 types it as the resource itself, and Stripe
        # sends the id alone (a deleted discount keeps its fields).
        if value.get("deleted") is True and tp is not stripe.Discount:
            extra = sorted(value.keys() - {"id", "object", "deleted"})
            return [f"{path}.{key}: on a deleted {tp.__qualname__}" for key in extra]
        declared = _fields(tp)
        found = []
        envelope = _ENVELOPE | ({"deleted"} if value.get("deleted") is True else set())
        for key in sorted(value.keys() - declared.keys() - envelope):
            found.append(f"{path}.{key}: not in stripe-python's {tp.__qualname__}".lstrip("."))
        for key, annotation in declared.items():
            here = f"{path}.{key}" if path else key
            if key not in value:
                optional = typing.get_origin(annotation) in (Union, types.UnionType) and (
                    type(None) in typing.get_args(annotation)
                )
                if not optional:
                    found.append(f"{here}: missing, required in stripe-python")
                continue
            found += sdk_differences(value[key], annotation, here)
        return found
    return []
