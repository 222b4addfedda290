"""Turn stored objects into API responses, and expand ids into objects on request.

Stored objects keep references as ids. A response embeds what Stripe always embeds (a
subscription's items and their prices) and, for `expand[]`, what the caller asked for.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import StripeError
from .state import State

JSON = dict[str, Any]

# Fields Stripe lets `expand[]` turn from an id into the object, per object type.
EXPANDABLE: dict[str, frozenset[str]] = {
    "customer": frozenset(
        {"default_source", "invoice_settings.default_payment_method", "test_clock"}
    ),
    "product": frozenset({"default_price"}),
    "price": frozenset({"product"}),
    "coupon": frozenset(),
    "promotion_code": frozenset({"customer", "promotion.coupon"}),
    "discount": frozenset({"customer", "promotion_code", "source.coupon"}),
    "subscription": frozenset(
        {
            "customer",
            "default_payment_method",
            "latest_invoice",
            "discounts",
            "test_clock",
            "pending_setup_intent",
            "schedule",
            "default_source",
        }
    ),
    "subscription_item": frozenset({"discounts"}),
    "subscription_schedule": frozenset({"customer", "subscription", "test_clock"}),
    "invoice": frozenset(
        {
            "customer",
            "default_payment_method",
            "discounts",
            "test_clock",
            "subscription",
            "parent.subscription_details.subscription",
        }
    ),
    "line_item": frozenset({"discounts"}),
    "invoiceitem": frozenset({"customer", "invoice", "discounts", "test_clock"}),
    "invoice_payment": frozenset({"invoice", "payment.payment_intent"}),
    "payment_method": frozenset({"customer"}),
    "setup_intent": frozenset({"customer", "payment_method", "latest_attempt", "mandate"}),
    "payment_intent": frozenset({"customer", "payment_method", "latest_charge", "review"}),
    # The sandbox keeps no balance transactions, reviews or transfers: those stay null.
    "charge": frozenset(
        {
            "customer",
            "payment_intent",
            "application",
            "application_fee",
            "balance_transaction",
            "failure_balance_transaction",
            "on_behalf_of",
            "review",
            "source_transfer",
            "transfer",
        }
    ),
    "tax_id": frozenset({"customer"}),
    "webhook_endpoint": frozenset(),
    "event": frozenset(),
    "test_helpers.test_clock": frozenset(),
}

# Fields Stripe leaves out unless asked for with `expand[]` ("includable" fields).
INCLUDABLE: dict[str, frozenset[str]] = {
    "invoice": frozenset({"confirmation_secret", "payments"}),
    "charge": frozenset({"refunds"}),
    "customer": frozenset({"tax_ids"}),
}

_MAX_DEPTH = 4


def render(state: State, obj: JSON) -> JSON:
    """A response copy of a stored object, with what Stripe always embeds filled in."""
    kind = obj.get("object")
    if kind in ("list", "search_result"):
        return {**obj, "data": [render(state, item) for item in obj["data"]]}
    shown = copy.deepcopy(obj)
    if kind == "subscription":
        # Stripe adds `total_count` to a list only when asked to.
        items = [render(state, state.get("subscription_item", i)) for i in obj["items"]["data"]]
        shown["items"]["data"] = items
    elif kind == "subscription_item":
        price = state.find("price", obj["price"]["id"])
        if price is not None:
            shown["price"] = copy.deepcopy(price)
            shown["plan"] = _plan_of(shown["price"], shown["plan"])
    return shown


def _plan_of(price: JSON, plan: JSON) -> JSON:
    from .shapes import plan_from_price

    updated: JSON = plan_from_price(price)
    return updated


def _include(state: State, obj: JSON, field: str) -> Any:
    if obj["object"] == "invoice":
        facts = state.secret(obj["id"])
        if field == "confirmation_secret":
            return facts.get("confirmation_secret")
        if field == "payments":
            data = [
                copy.deepcopy(state.get("invoice_payment", p)) for p in facts.get("payments", [])
            ]
            return _list(data, f"/v1/invoices/{obj['id']}/payments")
    if obj["object"] == "charge" and field == "refunds":
        # The sandbox refunds nothing, so a charge's refunds are always an empty list.
        return _list([], f"/v1/charges/{obj['id']}/refunds")
    if obj["object"] == "customer" and field == "tax_ids":
        owned = [t for t in state.all("tax_id") if t["customer"] == obj["id"]]
        return _list([copy.deepcopy(t) for t in owned], f"/v1/customers/{obj['id']}/tax_ids")
    raise AssertionError(field)


def _list(data: list[JSON], url: str) -> JSON:
    return {"object": "list", "data": data, "has_more": False, "url": url}


def _resolve(state: State, value: Any) -> Any:
    if isinstance(value, str):
        found = state.lookup(value)
        return render(state, found) if found is not None else value
    if isinstance(value, list):
        return [_resolve(state, v) for v in value]
    return value


def _get_path(obj: JSON, dotted: str) -> tuple[JSON, str] | None:
    *parents, last = dotted.split(".")
    node: Any = obj
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return (node, last) if isinstance(node, dict) else None


def _expand_path(state: State, value: Any, parts: list[str], full: str, depth: int) -> None:
    if not parts or value is None:
        return  # a null on the way (no default card yet) stays null, as with Stripe
    if isinstance(value, list):
        for item in value:
            _expand_path(state, item, parts, full, depth)
        return
    if not isinstance(value, dict):
        raise _not_expandable(full)
    if value.get("object") in ("list", "search_result") and parts[0] == "data":
        _expand_path(state, value["data"], parts[1:], full, depth)
        return
    kind = str(value.get("object", ""))
    for size in range(len(parts), 0, -1):
        field = ".".join(parts[:size])
        rest = parts[size:]
        if field in INCLUDABLE.get(kind, ()):
            value[field] = _include(state, value, field)
            _expand_path(state, value[field], rest, full, depth + 1)
            return
        if field in EXPANDABLE.get(kind, ()):
            if depth >= _MAX_DEPTH:
                raise StripeError(
                    f"You cannot expand more than {_MAX_DEPTH} levels of a property ({full}).",
                    param="expand",
                )
            located = _get_path(value, field)
            if located is not None:
                parent, last = located
                parent[last] = _resolve(state, parent.get(last))
                _expand_path(state, parent[last], rest, full, depth + 1)
            return
    # Not expandable itself, but an embedded object may be (`items.data.price.product`).
    inner = value.get(parts[0])
    if isinstance(inner, (dict, list)) and parts[0] not in ("metadata",):
        _expand_path(state, inner, parts[1:], full, depth)
        return
    raise _not_expandable(full)


def _not_expandable(path: str) -> StripeError:
    # Stripe's answer names the path in its message and sets no `param`.
    return StripeError(f"This property cannot be expanded ({path}).")


def expand(state: State, response: JSON, paths: list[str]) -> JSON:
    """Apply `expand[]` to a response in place; raises Stripe's 400 for a path that names
    no expandable field."""
    for path in paths:
        _expand_path(state, response, path.split("."), path, 0)
    return response
