"""A small parser for Stripe's search query language (the subset portals use)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import invalid

JSON = dict[str, Any]

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>[a-z_]+)(?:\[['"](?P<key>[^'"]+)['"]\])?"""
    r"""\s*(?P<op>:|>=|<=|>|<)\s*(?:'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)"|(?P<num>-?\d+))\s*"""
)


def compile_query(query: str, fields: dict[str, str]) -> Callable[[JSON], bool]:
    """`fields` maps searchable names to object fields (`{"email": "email"}`)."""
    clauses = re.split(r"\s+(?:AND|and)\s+", query.strip())
    if not query.strip() or any(re.search(r"\s(OR|or)\s", c) for c in clauses):
        raise invalid("Invalid query: only AND of simple clauses is supported.", param="query")
    tests: list[Callable[[JSON], bool]] = []
    for clause in clauses:
        found = _CLAUSE.fullmatch(clause)
        if found is None or (found["field"] not in fields and found["field"] != "metadata"):
            raise invalid(f"Invalid query clause: {clause}", param="query")
        tests.append(_clause_test(found, fields))
    return lambda obj: all(test(obj) for test in tests)


def _clause_test(found: re.Match[str], fields: dict[str, str]) -> Callable[[JSON], bool]:
    raw = found["sq"] if found["sq"] is not None else found["dq"]
    value: Any = (
        raw.replace("\\'", "'").replace('\\"', '"') if raw is not None else int(found["num"])
    )
    op, negate, key = found["op"], bool(found["neg"]), found["key"]
    name = found["field"]

    def actual(obj: JSON) -> Any:
        if name == "metadata":
            return (obj.get("metadata") or {}).get(key)
        return obj.get(fields[name])

    def test(obj: JSON) -> bool:
        have = actual(obj)
        if op == ":":
            # Stripe matches email and string fields exactly (case-insensitively for search).
            result = have is not None and str(have).lower() == str(value).lower()
        elif have is None:
            result = False
        else:
            result = {
                ">": have > value,
                "<": have < value,
                ">=": have >= value,
                "<=": have <= value,
            }[op]
        return result != negate

    return test
