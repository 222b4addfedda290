"""Billflow's errors: one hierarchy, each with a stable `code` and the HTTP status the
portal API answers with, so every plugin turns them into the same JSON in one place.

    {"error": {"code": "plan_not_offered", "message": "...", "field": "price"}}

Messages are for people and never hold a secret; codes are for code and never change.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadInput",
    "BillflowError",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PaymentFailed",
    "RateLimited",
    "SettingsError",
    "StripeUnavailable",
]


class BillflowError(Exception):
    """Base of every error the portal answers with. `code` names the case; `status` is the
    HTTP status; `field` names the input at fault, where there is one."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The portal API's JSON body for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        return {"error": error}


class BadInput(BillflowError):
    """400: the request is malformed or a value is out of bounds; `field` says which."""

    status = 400
    default_code = "bad_input"


class PaymentFailed(BillflowError):
    """402: the card was declined or needs the customer to authenticate."""

    status = 402
    default_code = "payment_failed"


class Forbidden(BillflowError):
    """403: a bad or expired hash, or a feature the site switched off."""

    status = 403
    default_code = "forbidden"


class NotFound(BillflowError):
    """404: no such subscription (or invoice...) for this customer."""

    status = 404
    default_code = "not_found"


class Conflict(BillflowError):
    """409: the action does not fit the current state (already canceled...)."""

    status = 409
    default_code = "conflict"


class PayloadTooLarge(BillflowError):
    """413: a request body over the API's limit, refused before it is read further (every
    host answers it the same, from the core's error)."""

    status = 413
    default_code = "body_too_large"


class RateLimited(BillflowError):
    """429: too many requests, from this visitor or to Stripe. `retry_after`: the seconds
    to wait, sent as the `Retry-After` header."""

    status = 429
    default_code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        retry_after: int = 2,
    ):
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after


class StripeUnavailable(BillflowError):
    """503: Stripe could not be reached, kept failing after retries, or did not answer
    within the page request's deadline. Stripe may have made a write whose answer was
    lost: the same request sent again (same `Idempotency-Key`) finishes it, once."""

    status = 503
    default_code = "stripe_unavailable"
    # What happened, for the site's developers (logs, `billflow doctor`), never the page:
    # a refused connection, an unknown host or Stripe's own server error.
    detail: str | None = None
    # Seconds Stripe asked to wait (its `Retry-After` on a 429), sent on as `Retry-After`.
    retry_after: int | None = None


class EventNotRecorded(BillflowError):
    """503: the change was made, but a listener of the portal's events (the bridge's outbox)
    could not keep its event. The answer is kept: a retry with the same Idempotency-Key is
    answered from it, changes nothing, and announces the event again."""

    status = 503
    default_code = "event_not_recorded"


class SettingsError(ValueError):
    """A setting has a value the portal cannot use: raised where a site is set up, never
    answered to a page. `param` is the option's name (as `PortalSettings` spells it) or the
    full `BILLFLOW_*` name of a secret or host setting, so a host can put the message beside
    the field it is about, or say where to fix it, without reading the message."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param
