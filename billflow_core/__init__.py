"""Billflow: a self-hosted customer portal for Stripe subscriptions.

The framework-free core. Plugins for Wagtail, Flask and no-code builders sit on top of it;
`billflow_sandbox` is a Stripe-compatible test double for offline tests and demos.
"""

from __future__ import annotations

from .actions.answers import AnswerStore, MemoryAnswers
from .errors import (
    BadInput,
    BillflowError,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PaymentFailed,
    RateLimited,
    StripeUnavailable,
)
from .identity.hashing import expiring_hash, hash_problem, user_hash, verify_hash
from .settings import PortalSettings, RetentionOffer, SettingsError

__version__ = "0.1.0"

__all__ = [
    "AnswerStore",
    "BadInput",
    "BillflowError",
    "Conflict",
    "Forbidden",
    "MemoryAnswers",
    "NotFound",
    "PayloadTooLarge",
    "PaymentFailed",
    "PortalSettings",
    "RateLimited",
    "RetentionOffer",
    "SettingsError",
    "StripeUnavailable",
    "__version__",
    "expiring_hash",
    "hash_problem",
    "user_hash",
    "verify_hash",
]
