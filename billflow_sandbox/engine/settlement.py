"""What a successful payment settles, for the modules below the ones that know.

A payment intent that succeeds pays its invoice, and a paid invoice applies the pending
update it was for. Each of those is known to a module above the one where the payment
happens (`billing` builds on `payment_intents`, `pending_updates` on `billing`), so rather
than import upward the lower module calls the hook here, and the higher one hands the hook
its handler when it loads. A `Sandbox` loads every route module, and with them the engine
modules they import, before it serves a request (`all_routes`), and besides only `billing`
makes an invoice's payment intent and only `pending_updates` holds an update, so a handler
is in place before a payment can need it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..context import Context

JSON = dict[str, Any]

Handler = TypeVar("Handler", bound=Callable[..., None])


class Hook(Generic[Handler]):
    """One consequence of a payment, handled by the module that knows it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._handler: Handler | None = None

    def handle(self, handler: Handler) -> Handler:
        """Make `handler` what the hook calls (a decorator)."""
        self._handler = handler
        return handler

    @property
    def call(self) -> Handler:
        if self._handler is None:
            raise RuntimeError(f"nothing handles {self.what}: its module is not loaded")
        return self._handler


# `billing.invoice_paid`: the invoice is paid, and what waited on it moves on.
INVOICE_PAID: Hook[Callable[[Context, JSON, JSON | None], None]] = Hook("a paid invoice")

# `pending_updates.apply_paid_update`: the subscription's pending update, if it waited on
# the invoice, takes effect.
UPDATE_PAID: Hook[Callable[[Context, JSON, JSON], None]] = Hook("a paid invoice's pending update")
