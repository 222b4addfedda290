"""Stripe's list and search conventions, shared by every resource."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import StripeError, invalid
from ..state import State

JSON = dict[str, Any]


def page(objects: Iterable[JSON], params: JSON, url: str, *, state: State | None = None) -> JSON:
    """One page of a newest-first list with `limit`, `starting_after` and `ending_before`."""
    items = list(objects)
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    ids = [o["id"] for o in items]
    if after:
        if after not in ids:
            raise _cursor_missing(after, "starting_after")
        items = items[ids.index(after) + 1 :]
        window = items[:limit]
        has_more = len(items) > limit
    elif before:
        if before not in ids:
            raise _cursor_missing(before, "ending_before")
        items = items[: ids.index(before)]
        window = items[-limit:]
        has_more = len(items) > limit
    else:
        window = items[:limit]
        has_more = len(items) > limit
    return {"object": "list", "data": window, "has_more": has_more, "url": url}


def _cursor_missing(object_id: str, param: str) -> StripeError:
    return StripeError(
        f"No such object: '{object_id}'", status=400, code="resource_missing", param=param
    )


def created_filter(params: JSON) -> Callable[[JSON], bool]:
    """Stripe's `created` filter: an exact time or a `gt`/`gte`/`lt`/`lte` range."""
    return time_filter(params, "created")


def time_filter(params: JSON, field: str) -> Callable[[JSON], bool]:
    """A filter on the timestamp `field` like `created`'s; an object whose `field` is null
    (not canceled yet...) matches no bound."""
    wanted = params.get(field)
    if wanted is None:
        return lambda obj: True
    if isinstance(wanted, int):
        return lambda obj: bool(obj[field] == wanted)
    # Read now, not when an object is judged: an empty list still reads its filter.
    bounds = {op: wanted[op] for op in ("gt", "gte", "lt", "lte") if op in wanted}

    def keep(obj: JSON) -> bool:
        at = obj[field]
        if at is None:
            return False
        return (
            ("gt" not in bounds or at > bounds["gt"])
            and ("gte" not in bounds or at >= bounds["gte"])
            and ("lt" not in bounds or at < bounds["lt"])
            and ("lte" not in bounds or at <= bounds["lte"])
        )

    return keep


def merge_metadata(current: JSON, update: JSON | str) -> JSON:
    """Stripe's metadata update: keys merge, an empty value deletes its key, and an empty
    string for the whole field clears it."""
    if update == "":
        return {}
    assert isinstance(update, dict)
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            if len(key) > 40:
                raise invalid(
                    f"Metadata keys must be at most 40 characters: {key}", param="metadata"
                )
            if len(value) > 500:
                raise invalid(
                    f"Metadata values must be at most 500 characters (key {key})", param="metadata"
                )
            merged[key] = value
    if len(merged) > 50:
        raise invalid("Metadata can have at most 50 keys", param="metadata")
    return merged


def search(
    objects: Iterable[JSON], query: str, url: str, params: JSON, fields: dict[str, str]
) -> JSON:
    """Stripe's search query language, for the clauses a portal uses: `field:'value'`,
    `metadata['key']:'value'` and `-field:'value'`, joined by AND."""
    from .search_query import compile_query

    keep = compile_query(query, fields)
    matches = [o for o in objects if keep(o)]
    limit = params.get("limit", 10)
    offset = int(params["page"]) if params.get("page", "").isdigit() else 0
    window = matches[offset : offset + limit]
    has_more = len(matches) > offset + limit
    return {
        "object": "search_result",
        "data": window,
        "has_more": has_more,
        "next_page": str(offset + limit) if has_more else None,
        "url": url,
    }
