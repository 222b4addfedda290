"""Check request parameters against the definitions that ship inside stripe-python.

stripe-python carries a TypedDict for every request (`stripe.params.SubscriptionUpdateParams`
and its nested `...Item` parts). Checking each request against them means a parameter the
real API would reject — unknown, mistyped, outside its enum — is rejected here too, with
Stripe's own error, so code tested against the sandbox cannot drift from the API unnoticed.
"""

from __future__ import annotations

import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, NotRequired, Required, Union

from .errors import StripeError

_NONE = type(None)


def _bracket(path: str, key: str) -> str:
    return f"{path}[{key}]" if path else key


@cache
def _hints(cls: type) -> dict[str, Any]:
    import stripe

    # Some definitions name types imported only for type checkers (`StripeContext`); the
    # top-level package holds them, so it backs the module's own names.
    namespace = {**vars(stripe), **vars(sys.modules[cls.__module__])}
    from stripe._request_options import RequestOptions

    # Request options (api_key, idempotency_key...) travel as headers, never as parameters.
    options = set(RequestOptions.__annotations__)
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for key, annotation in getattr(klass, "__annotations__", {}).items():
            if key in options:
                continue
            try:
                hints[key] = typing.get_type_hints(
                    _OneField(key, annotation), globalns=namespace, include_extras=True
                )[key]
            except NameError:
                hints[key] = NotRequired[Any]
    return hints


class _OneField:
    """Lets `get_type_hints` resolve one annotation at a time, so one unresolvable
    name costs one field its check rather than the whole definition."""

    def __init__(self, key: str, annotation: Any) -> None:
        self.__annotations__ = {key: annotation}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__")


def _strip_required(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is NotRequired:
        return typing.get_args(tp)[0], False
    if origin is Required:
        return typing.get_args(tp)[0], True
    return tp, True


def _members(tp: Any) -> list[Any]:
    """Union members, without the bare `str` stripe-python adds to enums for forward
    compatibility: the server itself only accepts the listed values."""
    # `A | int` of two classes (the list filters' `created`) is a `types.UnionType`.
    if typing.get_origin(tp) not in (Union, types.UnionType):
        return [tp]
    members = list(typing.get_args(tp))
    enums = [m for m in members if typing.get_origin(m) is Literal and m != Literal[""]]
    others = [m for m in members if m is not str and typing.get_origin(m) is not Literal]
    if enums and str in members and not others:
        members.remove(str)
    return members


def _type_error(path: str, value: Any, what: str) -> StripeError:
    shown = value if isinstance(value, str) else type(value).__name__
    # Of the type errors, only a bad integer has an error code in Stripe's list
    # (`parameter_invalid_integer`); Stripe answers the others with a message and param alone.
    code = "parameter_invalid_integer" if what == "integer" else None
    return StripeError(f"Invalid {what}: {shown}", param=path, code=code)


def _as_list(value: Any, path: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise StripeError(f"Invalid array: {path}", param=path)


def _coerce_one(value: Any, tp: Any, path: str) -> Any:
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    if origin is Literal:
        allowed = typing.get_args(tp)
        if isinstance(value, str) and value in allowed:
            return value
        if value in allowed:
            return value
        choices = ", ".join(repr(a) if a == "" else str(a) for a in allowed)
        raise StripeError(f"Invalid {path}: must be one of {choices}", param=path)
    if tp is str:
        if isinstance(value, str):
            return value
        raise _type_error(path, value, "string")
    if tp is bool:
        if value in ("true", True):
            return True
        if value in ("false", False):
            return False
        raise _type_error(path, value, "boolean")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value, 10)
            except ValueError:
                pass
        raise _type_error(path, value, "integer")
    if tp is float or tp is Decimal:
        if isinstance(value, str):
            try:
                number = Decimal(value)
                if number.is_finite():
                    return float(number) if tp is float else str(number)
            except InvalidOperation:
                pass
        raise _type_error(path, value, "decimal")
    if origin in (list, typing.List):  # noqa: UP006 - stripe-python uses typing.List
        (item_tp,) = typing.get_args(tp)
        return [_coerce(v, item_tp, f"{path}[{i}]") for i, v in enumerate(_as_list(value, path))]
    if origin in (dict, typing.Dict) or getattr(tp, "__name__", "") == "UntypedStripeObject":  # noqa: UP006
        if not isinstance(value, dict):
            raise StripeError(f"Invalid object: {path}", param=path)
        args = typing.get_args(tp)
        item_tp = args[1] if len(args) == 2 and args[1] is not str else None
        if item_tp is not None:  # a map of objects (`currency_options[eur][amount_off]`)
            return {key: _coerce(item, item_tp, _bracket(path, key)) for key, item in value.items()}
        for key, item in value.items():
            if not isinstance(item, str):
                raise _type_error(_bracket(path, key), item, "string")
        return dict(value)
    if (
        typing.get_origin(tp) is not None
        and getattr(typing.get_origin(tp), "__name__", "") == "UntypedStripeObject"
    ):
        return _coerce_one(value, dict[str, str], path)
    if _is_typeddict(tp):
        if not isinstance(value, dict):
            raise StripeError(f"Invalid object: {path}", param=path)
        return check(tp, value, path)
    raise StripeError(f"Unsupported parameter type at {path}", param=path)


def _coerce(value: Any, tp: Any, path: str) -> Any:
    members = _members(tp)
    if len(members) == 1:
        return _coerce_one(value, members[0], path)
    if value == "" and Literal[""] in members:
        return ""

    # Objects and lists first (they arrive as dicts), then scalars from the most to the
    # least specific, so "12" is an integer where both integer and string are allowed.
    def rank(m: Any) -> int:
        origin = typing.get_origin(m)
        if _is_typeddict(m) or origin in (dict, list, typing.Dict, typing.List):  # noqa: UP006
            return 0
        return {Literal: 1}.get(origin, 2 if m in (bool, int, float, Decimal) else 3)

    first_error: StripeError | None = None
    for member in sorted(members, key=rank):
        try:
            return _coerce_one(value, member, path)
        except StripeError as error:
            if first_error is None or (isinstance(value, dict) and rank(member) == 0):
                first_error = error
    assert first_error is not None
    raise first_error


def check(cls: type, params: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Validated and typed copy of `params` for the TypedDict `cls`.

    Raises `StripeError` naming the parameter as Stripe does (`items[0][price]`): unknown
    parameters, missing required ones, and values of the wrong type or outside their enum.
    """
    hints = _hints(cls)
    checked: dict[str, Any] = {}
    for key, value in params.items():
        if key not in hints:
            name = _bracket(path, key)
            raise StripeError(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )
        tp, _required = _strip_required(hints[key])
        checked[key] = _coerce(value, tp, _bracket(path, key))
    for key, hint in hints.items():
        _tp, required = _strip_required(hint)
        if required and key not in params:
            name = _bracket(path, key)
            raise StripeError(
                f"Missing required param: {name}.", param=name, code="parameter_missing"
            )
    return checked
