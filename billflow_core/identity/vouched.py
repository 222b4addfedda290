"""Vouched sessions: who a host's verifier has vouched for (a login token from the site's
identity provider, checked by the webhook bridge), as a short session the page sends in
`X-Billflow-Session`.

Unlike an email-link session it needs no email sign-in (the site's own login proved who
this is), names an email or a Stripe customer id, lasts no longer than what vouched for it
and at most `MAX_LIFETIME`, and has no sign-out: the page keeps it in memory and asks again
with a fresh login token when it lapses. Its own label keeps it apart from every other
token the secret key signs::

    msg     = b"billflow-vouched-v1" \\0 scope \\0 identity \\0 expires_at
    session = f"vouched.{b64url(identity)}.{expires_at}.{hex(HMAC-SHA256(secret, msg))}"
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from ..encoding import b64url_decode, b64url_encode
from ..errors import Forbidden

__all__ = ["MAX_LIFETIME", "PREFIX", "identity_of", "vouched_session"]

MAX_LIFETIME = 900  # 15 minutes
PREFIX = "vouched."
_LABEL = b"billflow-vouched-v1"
_SESSION = re.compile(r"vouched\.([A-Za-z0-9_-]{1,700})\.([0-9]{1,12})\.([0-9a-f]{64})")


def _signature(key: bytes, scope: str, identity: str, expires_at: int) -> str:
    message = b"\x00".join((_LABEL, scope.encode(), identity.encode(), str(expires_at).encode()))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def vouched_session(secret: str, identity: str, expires_at: int, *, scope: str = "") -> str:
    """The session for `identity` until `expires_at` (UTC epoch seconds; the caller caps
    it at `MAX_LIFETIME` and at what vouched for it), good only on the portal of `scope`
    (several sites may share a secret key)."""
    signature = _signature(secret.encode(), scope, identity, expires_at)
    return f"{PREFIX}{b64url_encode(identity)}.{expires_at}.{signature}"


def identity_of(session: Any, keys: tuple[str, ...], *, now: int, scope: str = "") -> str:
    """The identity a vouched session names, checked with any of `keys` (the secret key,
    then the one before a rotation). Raises `Forbidden` (`session_expired`) otherwise."""
    ended = Forbidden("Your session has ended; sign in again.", code="session_expired")
    found = _SESSION.fullmatch(session) if isinstance(session, str) else None
    if found is None:
        raise ended
    try:
        identity = b64url_decode(found[1])
    except ValueError:
        raise ended from None
    expires_at = int(found[2])
    if "\x00" in identity or now >= expires_at:
        raise ended
    made = [_signature(key.encode(), scope, identity, expires_at) for key in keys]
    if not any([hmac.compare_digest(signature, found[3]) for signature in made]):
        raise ended
    return identity
