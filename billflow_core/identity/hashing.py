"""The identity hash that proves a page speaks for a logged-in customer.

Plain form, compatible with hosted Billflow::

    hex(HMAC-SHA256(key=secret, msg=identity.encode("utf-8")))        # 64 hex digits

Expiring form, Billflow's own, which stops working at a set time so a leaked hash is not a
key for ever::

    msg   = b"billflow-expiring-v1" + b"\\x00" + identity.encode("utf-8")
            + b"\\x00" + str(expires_at).encode("ascii")                # decimal epoch seconds
    token = f"{expires_at}.{hex(HMAC-SHA256(key=secret, msg=msg))}"

The label and the NUL separators keep the two forms apart: no identity (an email or a
`cus_` id never holds a NUL) makes a plain hash equal to an expiring one, and the expiry
cannot be moved from one identity to another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

__all__ = ["expiring_hash", "hash_problem", "user_hash", "verify_hash"]

_EXPIRING_LABEL = b"billflow-expiring-v1"
_PLAIN = re.compile(r"[0-9a-f]{64}")
_EXPIRING = re.compile(r"(?P<expires>[0-9]{1,12})\.(?P<digest>[0-9a-f]{64})")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _identity(identity: str) -> bytes:
    # A NUL could splice an expiry into a plain hash's message: the expiring form's
    # separators only keep the forms apart if identities never hold them.
    if _CONTROL.search(identity):
        raise ValueError("an identity must not contain control characters")
    return identity.encode("utf-8")


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("the secret key is empty: set BILLFLOW_SECRET_KEY")
    return key


def user_hash(secret: str | bytes, identity: str) -> str:
    """The plain hash of `identity` (an email or a `cus_` id, exactly as the page passes
    it), as hosted Billflow computes it. It never expires; prefer `expiring_hash`."""
    return hmac.new(_key(secret), _identity(identity), hashlib.sha256).hexdigest()


def expiring_hash(secret: str | bytes, identity: str, expires_at: int) -> str:
    """A hash of `identity` that `verify_hash` accepts until `expires_at` (UTC epoch
    seconds), written `"<expires_at>.<64 hex digits>"`."""
    if expires_at < 0:
        raise ValueError("expires_at must be epoch seconds")
    message = b"\x00".join((_EXPIRING_LABEL, _identity(identity), str(expires_at).encode("ascii")))
    digest = hmac.new(_key(secret), message, hashlib.sha256).hexdigest()
    return f"{expires_at}.{digest}"


def hash_problem(
    secret: str | bytes,
    identity: str,
    hash: str,
    *,
    now: int | None = None,
    require_expiring: bool = False,
) -> str | None:
    """Why `hash` does not prove `identity`, or None when it does. An identity with
    control characters proves nothing ("malformed").

    The reasons are stable codes for error messages and logs: "malformed" (neither form),
    "mismatch" (another secret or another identity), "expired", and "expiring_required"
    (a plain hash where the site requires the expiring form). Comparison is constant-time.
    """
    candidate = hash.strip().lower()
    if _CONTROL.search(identity):
        return "malformed"
    if _PLAIN.fullmatch(candidate):
        if not hmac.compare_digest(user_hash(secret, identity), candidate):
            return "mismatch"
        return "expiring_required" if require_expiring else None
    found = _EXPIRING.fullmatch(candidate)
    if found is None:
        return "malformed"
    expires_at = int(found["expires"])
    if not hmac.compare_digest(expiring_hash(secret, identity, expires_at), candidate):
        return "mismatch"
    current = int(time.time()) if now is None else now
    return "expired" if current >= expires_at else None


def verify_hash(
    secret: str | bytes,
    identity: str,
    hash: str,
    *,
    now: int | None = None,
    require_expiring: bool = False,
) -> bool:
    """Whether `hash` was made with `secret` for exactly `identity`: the plain form (unless
    `require_expiring`), or the expiring form before its expiry (`now` defaults to the
    current time). See `hash_problem` for the reason when it was not."""
    return hash_problem(secret, identity, hash, now=now, require_expiring=require_expiring) is None
