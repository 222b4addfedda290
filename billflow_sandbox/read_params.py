"""A request's parameters that remember which of them the handler read.

The sandbox promises is that what it accepts it does and what it does not do it refuses. A
handler that never looks at a parameter it was sent has ignored it, so after each request
the API compares what was sent with what was read, and refuses (and undoes) a request that
carried a parameter nobody read. Any way of reading a key counts: `params["x"]`,
`params.get("x")`, `"x" in params`, and iterating or copying the whole mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["RequestParams"]

_MISSING = object()


class RequestParams(dict[str, Any]):
    """A dict of a request's top-level parameters that records each key read."""

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        self.read.add(key)
        return super().pop(key) if default is _MISSING else super().pop(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().setdefault(key, default)

    # Reading everything at once (a copy, `{**params}`, a loop) reads every key.
    def __iter__(self) -> Iterator[str]:
        self.read.update(super().keys())
        return super().__iter__()

    def keys(self) -> Any:
        self.read.update(super().keys())
        return super().keys()

    def items(self) -> Any:
        self.read.update(super().keys())
        return super().items()

    def values(self) -> Any:
        self.read.update(super().keys())
        return super().values()

    def copy(self) -> dict[str, Any]:
        self.read.update(super().keys())
        return dict(super().items())

    def unread(self) -> set[str]:
        """The keys sent that nothing read."""
        return set(super().keys()) - self.read
