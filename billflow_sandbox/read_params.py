"""A request's parameters that remember which of them the handler read.

The sandbox promises that what it accepts it does and what it does not do it refuses. A
handler that never looks at a parameter it was sent has ignored it, so after each request
the API compares what was sent with what was read, and refuses (and undoes) a request that
carried a parameter nobody read. Any way of reading a key counts: `params["x"]`,
`params.get("x")`, `"x" in params`, and iterating or copying the whole mapping.

Nested parameters are tracked the same way, under the names Stripe gives them in errors
(`restrictions[minimum_amount]`, `items[0][price]`): a handler that reads `restrictions` but
never looks inside it has not acted on `restrictions[currency_options]`. Reading a mapping
whole (a copy, a loop, `json.dumps`) reads everything in it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

__all__ = ["RequestParams"]

_MISSING = object()


def _tracked(value: Any, name: str, read: set[str]) -> Any:
    """`value` with every mapping inside it recording its reads into `read`."""
    if isinstance(value, dict):
        return RequestParams(value, prefix=name, read=read)
    if isinstance(value, list):
        return [_tracked(item, f"{name}[{index}]", read) for index, item in enumerate(value)]
    return value


class RequestParams(dict[str, Any]):
    """A dict of a request's parameters that records each key read, at every depth."""

    def __init__(
        self, params: dict[str, Any], *, prefix: str = "", read: set[str] | None = None
    ) -> None:
        self.read: set[str] = set() if read is None else read
        self._prefix = prefix
        super().__init__(
            {key: _tracked(value, self._name(key), self.read) for key, value in params.items()}
        )

    def _name(self, key: str) -> str:
        return f"{self._prefix}[{key}]" if self._prefix else key

    def _mark(self, key: object) -> None:
        if isinstance(key, str):
            self.read.add(self._name(key))

    def _mark_all(self) -> None:
        self.read.update(self._name(key) for key in dict.keys(self))

    def __getitem__(self, key: str) -> Any:
        self._mark(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._mark(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._mark(key)
        return super().__contains__(key)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        self._mark(key)
        return super().pop(key) if default is _MISSING else super().pop(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._mark(key)
        return super().setdefault(key, default)

    # Reading everything at once (a copy, `{**params}`, a loop) reads every key.
    def __iter__(self) -> Iterator[str]:
        self._mark_all()
        return super().__iter__()

    def keys(self) -> Any:
        self._mark_all()
        return super().keys()

    def items(self) -> Any:
        self._mark_all()
        return super().items()

    def values(self) -> Any:
        self._mark_all()
        return super().values()

    def copy(self) -> dict[str, Any]:
        self._mark_all()
        return dict(super().items())

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        # A deep copy is what gets stored: a plain dict, everything in it read.
        self._mark_all()
        return {key: copy.deepcopy(value, memo) for key, value in super().items()}

    def __reduce_ex__(self, protocol: Any) -> Any:
        self._mark_all()
        return (dict, (dict(super().items()),))

    def unread(self) -> set[str]:
        """The parameters sent, at every depth, that nothing read."""
        return {name for name in self._sent() if name not in self.read}

    def _sent(self) -> Iterator[str]:
        for key, value in super().items():
            yield self._name(key)
            yield from _sent_inside(value)


def _sent_inside(value: Any) -> Iterator[str]:
    if isinstance(value, RequestParams):
        yield from value._sent()
    elif isinstance(value, list):
        for item in value:
            yield from _sent_inside(item)
