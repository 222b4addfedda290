"""The page token: everything one page of the site may do, signed by the server that made it.

A plugin renders a page for a visitor; the page's snippet carries one token, sent back with
every request as `X-Billflow-Page`. It binds who the visitor is (or nobody, for a page that
signs them in by email), the page's own options (`PAGE_OVERRIDABLE`), the one subscription
the page is limited to, the site (`scope`, where several share a secret key) and an expiry.
The server takes all of them from the token, so what a visitor holds works only with the
page's options: dropping or editing any part leaves no identity at all.

    body  = canonical JSON of {"e": expires_at, "i": identity or null, "l": subscription or
            null, "o": options, "s": scope}
    token = "p1." b64url(body) "." hex(HMAC-SHA256(secret, "billflow-page-v1" \\0 body))

The label keeps the token apart from identity hashes and sign-in links made with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..encoding import b64url_decode, b64url_encode, digest
from ..errors import Forbidden
from .page_options import PAGE_OVERRIDABLE

__all__ = ["MAX_TOKEN", "PageGrant", "open_page", "sign_page"]

_LABEL = b"billflow-page-v1"
_PREFIX = "p1."
MAX_TOKEN = 4096


@dataclass(frozen=True)
class PageGrant:
    """What a page token grants: who (None: nobody yet, the page signs them in by email),
    with which page options, limited to which subscription, until when."""

    identity: str | None
    options: Mapping[str, Any] = field(default_factory=dict)
    subscription: str | None = None
    expires_at: int = 0

    @property
    def binding(self) -> str:
        """What an email-link session made on this page is bound to: its options, limit and
        site, not its expiry (a reloaded page gets a new token with the same binding)."""
        text = _canonical({"o": dict(self.options), "l": self.subscription})
        return digest(text)[:32]


def sign_page(secret: str, grant: PageGrant, *, scope: str) -> str:
    """The token of `grant` for the portal `scope` names."""
    text = _canonical(
        {
            "e": int(grant.expires_at),
            "i": grant.identity,
            "l": grant.subscription,
            "o": dict(grant.options),
            "s": scope,
        }
    )
    body = b64url_encode(text)
    return f"{_PREFIX}{body}.{_mac(secret, text)}"


def open_page(
    secret: str, token: Any, *, scope: str, now: int, previous: str | None = None
) -> PageGrant:
    """The grant of a token this portal signed (with `secret`, or with the `previous` key
    until it expires). Raises `Forbidden`: `page_invalid` for anything else (tampered with,
    another site's), `page_expired` once it is older than the site's `hash_lifetime`."""
    refused = Forbidden("This page is not this site's; reload it.", code="page_invalid")
    if not isinstance(token, str) or len(token) > MAX_TOKEN or not token.startswith(_PREFIX):
        raise refused
    parts = token[len(_PREFIX) :].split(".")
    if len(parts) != 2:
        raise refused
    body, mac = parts
    try:
        text = b64url_decode(body)
    except ValueError:
        raise refused from None
    keys = (secret, previous) if previous else (secret,)
    if not any([hmac.compare_digest(_mac(key, text), mac) for key in keys]):
        raise refused
    found = json.loads(text)
    identity, options, limit = found.get("i"), found.get("o"), found.get("l")
    if (
        found.get("s") != scope
        or not isinstance(found.get("e"), int)
        or not (identity is None or isinstance(identity, str))
        or not isinstance(options, dict)
        or not set(options) <= PAGE_OVERRIDABLE
        or not (limit is None or isinstance(limit, str))
    ):
        raise refused
    if now >= found["e"]:
        raise Forbidden("This page has expired; reload it.", code="page_expired")
    return PageGrant(identity, options, limit, found["e"])


def _canonical(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), _LABEL + b"\x00" + text.encode(), hashlib.sha256).hexdigest()
