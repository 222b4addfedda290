"""Decode Stripe's bracket form encoding (`items[0][price]=…`) into nested values.

Lists arrive as dicts keyed by index (`{"0": …}`); the parameter checker turns them into lists
where the parameter is a list, because only the definition knows whether `metadata[0]` is the
first element of a list or a metadata key named "0".
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid

_PART = re.compile(r"\[([^\[\]]*)\]")


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    rest = "[" + rest
    parts = _PART.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest or not head:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    return [head, *parts]


def decode(query: str) -> dict[str, Any]:
    """Nested dicts from a form body or query string, keeping empty values (they unset)."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parts = _split_key(key)
        node = root
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise invalid(f"Invalid parameter: {key}", param="[".join(parts[: depth + 1]))
            node = child
        last = parts[-1]
        if last == "":  # `expand[]=a&expand[]=b`: the next free index
            last = str(len(node))
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid parameter: {key}", param=key)
        node[last] = value
    return root
