"""Compare the key structure of a Stripe object with Stripe's published fixture of it.

Only structure counts, never values: a key missing or extra in any dict present on both sides
is a difference. Paths are dotted; a list element is written `[]`, so the first line of an
invoice's price details is `lines.data[].pricing.price_details`.
"""

from __future__ import annotations

from typing import Any

# Keys holding user-defined maps: their keys are data, not structure.
FREE_FORM_KEYS = frozenset({"metadata"})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "list"
    return "scalar"


def shape_differences(
    fixture: Any,
    actual: Any,
    path: str = "",
    *,
    allow_extra: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
) -> list[str]:
    """Human-readable differences between the key structures of `fixture` and `actual`.

    A null on either side matches anything (a nullable field may hold an object in one and
    null in the other). Dicts are compared key by key and recursed into; lists by their first
    elements when both are non-empty. `metadata` maps are free-form, so only their kind is
    compared. `allow_extra` names paths that `actual` may have beyond the fixture (includable
    or type-dependent fields); `skip` names paths not compared at all.
    """
    if path in skip or fixture is None or actual is None:
        return []
    fixture_kind, actual_kind = _kind(fixture), _kind(actual)
    if fixture_kind != actual_kind:
        where = path or "<root>"
        return [f"{where}: fixture has {fixture_kind}, builder returns {actual_kind}"]
    if isinstance(fixture, dict) and path.rpartition(".")[2] not in FREE_FORM_KEYS:
        differences: list[str] = []
        for key in sorted(fixture.keys() - actual.keys()):
            if _join(path, key) not in skip:
                differences.append(f"missing key: {_join(path, key)}")
        for key in sorted(actual.keys() - fixture.keys()):
            if _join(path, key) not in allow_extra:
                differences.append(f"extra key: {_join(path, key)}")
        for key in sorted(fixture.keys() & actual.keys()):
            differences.extend(
                shape_differences(
                    fixture[key],
                    actual[key],
                    _join(path, key),
                    allow_extra=allow_extra,
                    skip=skip,
                )
            )
        return differences
    if isinstance(fixture, list) and fixture and actual:
        return shape_differences(
            fixture[0], actual[0], f"{path}[]", allow_extra=allow_extra, skip=skip
        )
    return []
