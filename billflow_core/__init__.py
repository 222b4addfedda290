"""Billflow: a self-hosted customer portal for Stripe subscriptions.

The framework-free core. Plugins for Wagtail, Flask and no-code builders sit on top of it;
`billflow_sandbox` is a Stripe-compatible test double for offline tests and demos.

What a plugin needs is named here: the `Portal` it makes once per site and the `Visitor`s
it proves, the settings and their errors, the hash functions, and the stores a host may
give the portal (answers to actions, email sign-in) in place of the in-process ones.
"""

from __future__ import annotations

from .actions.answers import AnswerStore, MemoryAnswers
from .config import PortalSecrets
from .errors import (
    BadInput,
    BillflowError,
    Conflict,
    EventNotRecorded,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PaymentFailed,
    RateLimited,
    SettingsError,
    StripeUnavailable,
)
from .events import PortalEvent
from .identity.hashing import expiring_hash, hash_problem, user_hash, verify_hash
from .identity.signin import SignInStore
from .identity.visitors import Visitor
from .mail import Mailer
from .portal import Portal
from .settings import PortalSettings, RetentionOffer
from .shared_cache import MemoryCache, SharedCache
from .version import __version__

__all__ = [
    "AnswerStore",
    "BadInput",
    "BillflowError",
    "Conflict",
    "EventNotRecorded",
    "Forbidden",
    "Mailer",
    "MemoryAnswers",
    "MemoryCache",
    "NotFound",
    "PayloadTooLarge",
    "PaymentFailed",
    "Portal",
    "PortalEvent",
    "PortalSecrets",
    "PortalSettings",
    "RateLimited",
    "RetentionOffer",
    "SettingsError",
    "SharedCache",
    "SignInStore",
    "StripeUnavailable",
    "Visitor",
    "__version__",
    "expiring_hash",
    "hash_problem",
    "user_hash",
    "verify_hash",
]
