"""The actions a page may ask for: the payload fields each takes, the site option that
switches it off, and how it runs; and the checks every action's payload and Idempotency-Key
pass before anything is read from Stripe.

A field an action does not take is refused, not ignored, so a page that sends something the
server would drop learns it at once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from . import actions
from .actions import Session
from .auth import Visitor
from .errors import BadInput
from .state import PortalState, identity_kind, payment_secret

__all__ = [
    "ACTIONS",
    "ACTION_FIELDS",
    "FEATURE",
    "ActionResult",
    "Confirmation",
    "checked_key",
    "checked_payload",
    "confirmation_of",
    "digest",
]

MAX_KEY = 255


@dataclass(frozen=True)
class Confirmation:
    """A payment or a card the page must still confirm with Stripe.js (3-D Secure, or a
    new card), with the client secret Stripe.js needs for it."""

    kind: Literal["payment", "setup"]
    client_secret: str


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the part of Stripe's answer the page may see (`exposed.view`; the
    page's event carries it), the portal as it is now, and what the page must still
    confirm."""

    action: str
    response: dict[str, Any]
    state: PortalState
    confirmation: Confirmation | None = None


Run = Callable[[Session, Mapping[str, Any], Visitor, int], Any]


def _run_subscribe(session: Session, payload: Mapping[str, Any], visitor: Visitor, _: int) -> Any:
    email = visitor.identity if identity_kind(visitor.identity) == "email" else None
    return actions.subscribe(session, email, payload.get("price"), payload.get("coupon"))


# Each action: the payload fields it takes, and how it runs.
ACTIONS: Mapping[str, tuple[frozenset[str], Run]] = MappingProxyType(
    {
        "change_plan": (
            frozenset({"subscription", "price"}),
            lambda s, p, v, now: actions.change_plan(s, p.get("subscription"), p.get("price")),
        ),
        "change_quantity": (
            frozenset({"subscription", "quantity"}),
            lambda s, p, v, now: actions.change_quantity(
                s, p.get("subscription"), p.get("quantity")
            ),
        ),
        "cancel": (
            frozenset({"subscription", "reason", "comment"}),
            lambda s, p, v, now: actions.cancel(
                s, p.get("subscription"), p.get("reason"), p.get("comment")
            ),
        ),
        "undo_cancel": (
            frozenset({"subscription"}),
            lambda s, p, v, now: actions.undo_cancel(s, p.get("subscription")),
        ),
        "undo_downgrade": (
            frozenset({"subscription"}),
            lambda s, p, v, now: actions.undo_downgrade(s, p.get("subscription")),
        ),
        "accept_retention_offer": (
            frozenset({"subscription", "reason"}),
            lambda s, p, v, now: actions.accept_retention_offer(
                s, p.get("subscription"), p.get("reason")
            ),
        ),
        "resubscribe": (
            frozenset({"subscription", "price", "coupon"}),
            lambda s, p, v, now: actions.resubscribe(
                s, p.get("subscription"), p.get("price"), p.get("coupon")
            ),
        ),
        "apply_coupon": (
            frozenset({"subscription", "coupon"}),
            lambda s, p, v, now: actions.apply_coupon(s, p.get("subscription"), p.get("coupon")),
        ),
        "subscribe": (frozenset({"price", "coupon"}), _run_subscribe),
        "pause": (
            frozenset({"subscription", "resumes_at"}),
            lambda s, p, v, now: actions.pause(
                s, p.get("subscription"), p.get("resumes_at"), now=now
            ),
        ),
        "resume": (
            frozenset({"subscription"}),
            lambda s, p, v, now: actions.resume(s, p.get("subscription")),
        ),
        "setup_payment_method": (
            frozenset(),
            lambda s, p, v, now: actions.start_card_update(s),
        ),
        "update_payment_method": (
            frozenset({"payment_method"}),
            lambda s, p, v, now: actions.finish_card_update(s, p.get("payment_method")),
        ),
        "finish_payment": (
            frozenset({"subscription"}),
            lambda s, p, v, now: actions.finish_payment(s, p.get("subscription")),
        ),
    }
)

# The fields each action's payload may carry (for the HTTP API's documentation).
ACTION_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {name: fields for name, (fields, _) in ACTIONS.items()}
)

# The site option that switches each action off, checked before anything is read.
FEATURE = MappingProxyType(
    {
        "change_plan": "change_plan",
        "change_quantity": "change_quantity",
        "cancel": "cancel",
        "undo_cancel": "undo_cancel",
        "resubscribe": "resubscribe",
        "apply_coupon": "apply_coupon",
        "pause": "pause",
        "resume": "resume",
        "setup_payment_method": "update_payment_method",
        "update_payment_method": "update_payment_method",
    }
)


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def checked_key(key: Any) -> str:
    """The Idempotency-Key, when it is one the answer store and Stripe can both keep."""
    if (
        not isinstance(key, str)
        or not 8 <= len(key) <= MAX_KEY
        or not key.isprintable()
        or not key.isascii()
    ):
        raise BadInput(
            "Each action needs an Idempotency-Key of 8 to 255 printable characters, "
            "made once per intent.",
            code="idempotency_key_required",
            field="Idempotency-Key",
        )
    return key


def checked_payload(payload: Any, fields: frozenset[str]) -> Mapping[str, Any]:
    """The payload, when it is a JSON object of text with only `fields`."""
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise BadInput("The request body must be a JSON object.", code="body_invalid")
    for name, value in payload.items():
        if not _is_unicode(name):
            raise BadInput("A field name is not valid text.", code="text_invalid")
        if name not in fields:
            raise BadInput(f"Unknown field {name!r}.", code="unknown_field", field=str(name))
        if not _is_unicode(value):
            raise BadInput(f"{name} is not valid text.", code="text_invalid", field=name)
    return payload


def _is_unicode(value: Any) -> bool:
    """Whether every string in `value` is Unicode text. JSON can escape a lone surrogate
    ("\\ud83d"), which parses into a Python string that no UTF-8 request to Stripe, nor
    any answer, can carry."""
    try:
        json.dumps(value, ensure_ascii=False, default=repr).encode()
    except UnicodeEncodeError:
        return False
    return True


def confirmation_of(answer: Any) -> Confirmation | None:
    """The Stripe.js step the answer still needs: a new card's setup, or a payment that
    needs the customer (3-D Secure, or a first payment waiting for a card)."""
    kind = getattr(answer, "object", None)
    if kind == "setup_intent" and answer.status != "succeeded":
        return Confirmation("setup", answer.client_secret)
    secret = payment_secret(answer) if kind == "subscription" else None
    return Confirmation("payment", secret) if secret is not None else None
