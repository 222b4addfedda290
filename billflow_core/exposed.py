"""What of Stripe's answer to an action the page, and the site's `handleResponse` code, may
see: per Stripe object type, the fields it shows, under Stripe's own names and nesting.

Stripe's objects carry the site's own notes (`metadata` on customers, subscriptions, prices,
products) and much the visitor has no business reading. Only what a table here lists is
shown; a field Stripe adds tomorrow stays hidden until it is listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["EXPOSED", "view"]

# A field is shown as a plain value (None), as an id or a listed Stripe object ("ref"), or
# as an inline object with its own fields (a mapping). Lists apply the rule to each item.
Rule = Mapping[str, Any] | str | None
REF = "ref"

_CARD: Mapping[str, Rule] = {"brand": None, "last4": None, "exp_month": None, "exp_year": None}

EXPOSED: Mapping[str, Mapping[str, Rule]] = MappingProxyType(
    {
        "subscription": {
            "id": None, "object": None, "status": None, "customer": REF, "currency": None,
            "items": REF, "discounts": REF, "default_payment_method": REF,
            "latest_invoice": REF, "schedule": REF, "start_date": None,
            "current_period_start": None, "current_period_end": None, "trial_end": None,
            "cancel_at_period_end": None, "cancel_at": None, "canceled_at": None,
            "ended_at": None, "cancellation_details": {"reason": None, "feedback": None},
            "pause_collection": {"behavior": None, "resumes_at": None},
        },
        "subscription_item": {
            "id": None, "object": None, "price": REF, "quantity": None, "discounts": REF,
            "current_period_start": None, "current_period_end": None,
        },
        "price": {
            "id": None, "object": None, "product": REF, "currency": None,
            "unit_amount": None, "type": None,
            "recurring": {"interval": None, "interval_count": None},
        },
        "product": {"id": None, "object": None, "name": None},
        "discount": {
            "id": None, "object": None, "promotion_code": REF, "start": None, "end": None,
            "source": {"type": None, "coupon": REF},
        },
        "coupon": {
            "id": None, "object": None, "name": None, "percent_off": None,
            "amount_off": None, "currency": None, "duration": None,
            "duration_in_months": None,
        },
        "promotion_code": {"id": None, "object": None, "code": None},
        "invoice": {
            "id": None, "object": None, "status": None, "currency": None,
            "amount_due": None, "amount_paid": None,
            "parent": {"subscription_details": {"subscription": REF}},
        },
        "subscription_schedule": {
            "id": None, "object": None, "status": None, "end_behavior": None,
            "phases": {
                "start_date": None, "end_date": None,
                "items": {"price": REF, "quantity": None},
            },
        },
        "customer": {
            "id": None, "object": None,
            "invoice_settings": {"default_payment_method": REF},
        },
        "payment_method": {"id": None, "object": None, "type": None, "card": _CARD},
        "setup_intent": {"id": None, "object": None, "status": None, "payment_method": REF},
        "list": {"object": None, "data": REF, "has_more": None},
    }
)  # fmt: skip


def view(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The part of Stripe's answer (an object as plain JSON) the page may see; an object of
    a type no table lists shows as nothing but its id and type."""
    shown = _object(answer)
    return shown if isinstance(shown, dict) else {}


def _object(value: Mapping[str, Any]) -> dict[str, Any]:
    fields = EXPOSED.get(value.get("object", ""))
    if fields is None:
        return {k: value[k] for k in ("id", "object") if isinstance(value.get(k), str)}
    return _fields(value, fields)


def _fields(value: Mapping[str, Any], fields: Mapping[str, Rule]) -> dict[str, Any]:
    return {
        name: _apply(value[name], rule)
        for name, rule in fields.items()
        if name in value and _shown(value[name], rule)
    }


def _shown(value: Any, rule: Rule) -> bool:
    if isinstance(value, list):
        return True
    if rule is None:
        return value is None or isinstance(value, (str, int, float, bool))
    if rule == REF:
        return value is None or isinstance(value, (str, Mapping))
    return value is None or isinstance(value, Mapping)


def _apply(value: Any, rule: Rule) -> Any:
    if isinstance(value, list):
        return [_apply(item, rule) for item in value if _shown(item, rule)]
    if value is None or rule is None or isinstance(value, str):
        return value
    if rule == REF:
        return _object(value)
    assert isinstance(rule, Mapping)
    return _fields(value, rule)
