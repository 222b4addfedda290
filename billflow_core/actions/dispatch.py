"""How each action in the table runs, and the checks every action's payload and
Idempotency-Key pass before anything is read from Stripe.

A field an action does not take is refused, not ignored, so a page that sends something the
server would drop learns it at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from .. import exposed
from ..billing.state import PortalState, build_state, card_secret, identity_kind, payment_secret
from ..errors import BadInput
from ..identity.visitors import Visitor
from .cancelling import accept_retention_offer, cancel, undo_cancel
from .cards import finish_card_update, finish_payment, start_card_update
from .context import ActionContext
from .customer_details import add_tax_id, remove_tax_id, update_billing_details
from .discounts import apply_coupon
from .downgrades import undo_downgrade
from .invoice_payments import pay_invoice
from .pausing import pause, resume
from .payment_methods import (
    add_payment_method,
    remove_payment_method,
    set_default_payment_method,
)
from .plans import change_plan, change_quantity
from .subscribing import resubscribe, subscribe
from .table import ACTIONS

__all__ = [
    "RUNS",
    "ActionResult",
    "Confirmation",
    "checked_key",
    "checked_payload",
    "confirmation_of",
    "run_action",
]

log = logging.getLogger(__name__)

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


Run = Callable[[ActionContext, Mapping[str, Any], Visitor, int], Any]


def _run_subscribe(
    context: ActionContext, payload: Mapping[str, Any], visitor: Visitor, _: int
) -> Any:
    email = visitor.identity if identity_kind(visitor.identity) == "email" else None
    return subscribe(
        context, email, payload.get("price"), payload.get("coupon"), payload.get("quantity")
    )


# How each action of the table runs, with its payload's fields already checked.
RUNS: Mapping[str, Run] = MappingProxyType(
    {
        "change_plan": lambda s, p, v, now: change_plan(s, p.get("subscription"), p.get("price")),
        "change_quantity": lambda s, p, v, now: change_quantity(
            s, p.get("subscription"), p.get("quantity")
        ),
        "cancel": lambda s, p, v, now: cancel(
            s, p.get("subscription"), p.get("reason"), p.get("comment")
        ),
        "undo_cancel": lambda s, p, v, now: undo_cancel(s, p.get("subscription")),
        "undo_downgrade": lambda s, p, v, now: undo_downgrade(s, p.get("subscription")),
        "accept_retention_offer": lambda s, p, v, now: accept_retention_offer(
            s, p.get("subscription"), p.get("reason")
        ),
        "resubscribe": lambda s, p, v, now: resubscribe(
            s, p.get("subscription"), p.get("price"), p.get("coupon")
        ),
        "apply_coupon": lambda s, p, v, now: apply_coupon(
            s, p.get("subscription"), p.get("coupon")
        ),
        "subscribe": _run_subscribe,
        "pause": lambda s, p, v, now: pause(s, p.get("subscription"), p.get("resumes_at"), now=now),
        "resume": lambda s, p, v, now: resume(s, p.get("subscription")),
        "setup_payment_method": lambda s, p, v, now: start_card_update(s),
        "update_payment_method": lambda s, p, v, now: finish_card_update(
            s, p.get("payment_method"), p.get("setup_intent")
        ),
        "finish_payment": lambda s, p, v, now: finish_payment(
            s, p.get("subscription"), p.get("setup_intent")
        ),
        "update_billing_details": lambda s, p, v, now: update_billing_details(s, p),
        "add_tax_id": lambda s, p, v, now: add_tax_id(s, p.get("type"), p.get("value")),
        "remove_tax_id": lambda s, p, v, now: remove_tax_id(s, p.get("tax_id")),
        "add_payment_method": lambda s, p, v, now: add_payment_method(s, p.get("payment_method")),
        "set_default_payment_method": lambda s, p, v, now: set_default_payment_method(
            s, p.get("payment_method")
        ),
        "remove_payment_method": lambda s, p, v, now: remove_payment_method(
            s, p.get("payment_method")
        ),
        "pay_invoice": lambda s, p, v, now: pay_invoice(s, p.get("invoice")),
    }
)
if set(RUNS) != set(ACTIONS):  # pragma: no cover - a table entry without its run, or back
    raise RuntimeError(f"actions without a run or an entry: {set(RUNS) ^ set(ACTIONS)}")


def run_action(
    context: ActionContext, action: str, payload: Mapping[str, Any], visitor: Visitor, now: int
) -> ActionResult:
    """Run `action` (its payload already checked) and answer with what the page may see of
    Stripe's answer and the portal as it is now, built from what was read and written (no
    further Stripe request)."""
    answer = RUNS[action](context, payload, visitor, now)
    state = build_state(
        context.settings,
        context.catalog,
        visitor.identity,
        context.customer,
        context.subscriptions.values(),
        visitor.only_subscription,
        now=now,
    )
    log.debug("%s done for %s", action, context.customer_id)
    shown = exposed.view(answer.to_dict(for_json=True))
    return ActionResult(action, shown, state, confirmation_of(answer, action))


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


def confirmation_of(answer: Any, action: str = "") -> Confirmation | None:
    """The Stripe.js step the answer still needs: a new card's setup (one asked for, or the
    card a trial just subscribed to will be charged to), or a payment that needs the
    customer (3-D Secure, or a first payment waiting for a card). Other actions on a trial
    without a card leave asking for it to the subscription's notice."""
    kind = getattr(answer, "object", None)
    if kind == "setup_intent" and answer.status != "succeeded":
        return Confirmation("setup", answer.client_secret)
    if kind == "invoice" and answer.status == "open":
        held = getattr(answer, "confirmation_secret", None)
        return Confirmation("payment", held.client_secret) if held is not None else None
    if kind != "subscription":
        return None
    secret = payment_secret(answer)
    if secret is not None:
        return Confirmation("payment", secret)
    setup = card_secret(answer) if action == "subscribe" else None
    return Confirmation("setup", setup) if setup is not None else None
