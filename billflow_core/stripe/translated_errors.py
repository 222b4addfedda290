"""Stripe's errors as Billflow's: each kind of failure gets the error (and the HTTP status)
a page can act on, and no message ever carries a key, a secret or Stripe's developer text,
which goes to the log instead."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager

import stripe

from ..errors import (
    BadInput,
    BillflowError,
    Conflict,
    NotFound,
    PaymentFailed,
    StripeUnavailable,
)

__all__ = ["redact_key", "translated_errors"]

# Logged under the gateway's name: these lines are about its requests.
log = logging.getLogger("billflow_core.stripe.gateway")


def redact_key(key: str) -> str:
    """Enough of a key to tell which one it is: Stripe's prefix and, for a Stripe secret
    key, its last four characters. Anything else (a secret pasted in the wrong setting)
    shows nothing of itself."""
    for prefix in ("sk_live_", "sk_test_", "rk_live_", "rk_test_"):
        if key.startswith(prefix) and len(key) > len(prefix) + 8:
            return f"{prefix}…{key[-4:]}"
    return "(not shown: it is not shaped like a Stripe secret key)"


def _retry_after(error: stripe.RateLimitError) -> int:
    """The whole seconds Stripe asked to wait (`Retry-After`), at least one."""
    named = (error.headers or {}).get("Retry-After") if error.headers is not None else None
    try:
        return max(1, math.ceil(float(named))) if named is not None else 1
    except ValueError:
        return 1


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def _network_reason(error: stripe.APIConnectionError) -> str:
    """What went wrong on the way to Stripe, in the operating system's words ("Connection
    refused", "Name or service not known") or "timed out": a refused port, a wrong host
    name and a slow network are different fixes."""
    text = str(error)
    found = _ERRNO.search(text)
    if found:
        return found[1].strip()
    return "timed out" if "timed out" in text.lower() else "no answer"


@contextmanager
def translated_errors(key_hint: str, api_base: str) -> Iterator[None]:
    """Stripe's errors as Billflow's, with no key or secret in any message."""
    try:
        yield
    except stripe.CardError as error:
        raise PaymentFailed(
            error.user_message or "The card was declined.",
            code=error.code or "card_declined",
        ) from None
    except stripe.RateLimitError as error:
        # Stripe's limit on the site's account, not the customer's: retried within the
        # page's deadline, then a 503 like any Stripe that cannot answer now.
        log.warning("Stripe kept answering 429 (rate limited)")
        busy = StripeUnavailable("Stripe is busy; try again in a moment.")
        busy.detail = f"{api_base} answered HTTP 429 (rate limited)"
        busy.retry_after = _retry_after(error)
        raise busy from None
    except stripe.AuthenticationError:
        log.error("Stripe refused the API key: %s", key_hint)
        raise StripeUnavailable(
            "The site's Stripe key was refused.", code="stripe_key_refused"
        ) from None
    except stripe.PermissionError:
        log.error("Stripe refused the restricted key a permission it needs: %s", key_hint)
        raise StripeUnavailable(
            "The site's Stripe key lacks a permission.", code="stripe_key_permission"
        ) from None
    except stripe.IdempotencyError:
        # The same intent's key came with other parameters: the page reused a key.
        raise Conflict(
            "This request repeats an earlier one with different details.",
            code="idempotency_conflict",
        ) from None
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            raise NotFound("No such object in Stripe.", code="stripe_not_found") from None
        # Stripe's message is written for developers: logged, not shown to customers.
        log.warning(
            "Stripe refused a request: %s (param %s): %s",
            error.code,
            error.param,
            error.user_message,
        )
        raise BadInput(
            "Stripe refused the request.",
            code=error.code or "stripe_invalid_request",
            field=error.param,
        ) from None
    except stripe.APIConnectionError as error:
        reason = _network_reason(error)
        log.warning("Stripe cannot be reached at %s: %s", api_base, reason)
        unreachable = StripeUnavailable("Stripe cannot be reached; try again in a moment.")
        unreachable.detail = f"cannot connect to {api_base}: {reason}"
        raise unreachable from None
    except stripe.APIError as error:
        log.warning("Stripe answered HTTP %s", error.http_status)
        failing = StripeUnavailable("Stripe is failing to answer; try again in a moment.")
        failing.detail = f"{api_base} answered HTTP {error.http_status} (a server error)"
        raise failing from None
    except stripe.StripeError as error:
        log.error("Stripe error %s", type(error).__name__)
        raise BillflowError("Stripe answered with an error.", code="stripe_error") from None
