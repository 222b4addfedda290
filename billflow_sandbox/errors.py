"""Stripe's error shapes, raised by any part of the sandbox and turned into a response once.

Stripe answers every failure with `{"error": {...}}` and a status that stripe-python maps onto
its own exception classes, so the sandbox keeps the same `type`, `code` and `param` fields.
"""

from __future__ import annotations

from typing import Any

_DOC_BASE = "https://docs.stripe.com/error-codes/"


class StripeError(Exception):
    """An error answered with Stripe's body shape and status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = _DOC_BASE + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        if self.decline_code:
            error["decline_code"] = self.decline_code
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(message, param=param, code=code)


def missing(kind: str, object_id: str, *, param: str = "id") -> StripeError:
    """Stripe's 404 for an id that names nothing (or an object of another account)."""
    return StripeError(
        f"No such {kind}: '{object_id}'", status=404, code="resource_missing", param=param
    )


# Stripe's message per decline code, where it says more than "declined" (the test cards'
# messages, as Stripe answers them in English).
_DECLINED = "Your card was declined."
DECLINE_MESSAGES = {"insufficient_funds": "Your card has insufficient funds."}


def decline_message(decline_code: str) -> str:
    """The message Stripe gives a card declined for `decline_code`."""
    return DECLINE_MESSAGES.get(decline_code, _DECLINED)


def card_declined(
    message: str | None = None,
    *,
    decline_code: str = "generic_decline",
    extra: dict[str, Any] | None = None,
) -> StripeError:
    return StripeError(
        message or decline_message(decline_code),
        status=402,
        type="card_error",
        code="card_declined",
        decline_code=decline_code,
        extra=extra,
    )


def authentication_failed(key: str) -> StripeError:
    shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
    return StripeError(f"Invalid API Key provided: {shown}", status=401)


def not_implemented(param: str, value: object = None, *, when: str | None = None) -> StripeError:
    """A valid Stripe parameter the sandbox does not act on (`when` narrows it to a situation,
    "with `payment_behavior=pending_if_incomplete`"). Refusing it beats ignoring it: a test
    that passed here would otherwise show behaviour Stripe does not have."""
    shown = f"`{param}`" if value is None else f"`{param}={value}`"
    if when:
        shown += f" {when}"
    return StripeError(
        f"The Billflow sandbox does not implement {shown}. It covers what a subscription "
        "portal uses; see the sandbox section of Billflow's README.",
        param=param,
    )


def refuse_unimplemented(params: dict[str, Any], implemented: frozenset[str]) -> None:
    """Refuse the first parameter of `params` the sandbox does not act on."""
    for name in sorted(params.keys() - implemented - {"expand"}):
        raise not_implemented(name)
