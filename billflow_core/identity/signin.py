"""Signing in by email, for sites without their own login: a link that works once, then a
short session.

Link token (in the link as `billflow_token`), bound to the email, the redirect URL and an
expiry, made with the site's secret key under its own label, so it is never an identity
hash::

    msg   = b"billflow-link-v1" \\0 email \\0 redirect_url \\0 expires_at \\0 nonce
    token = f"{b64url(email)}.{expires_at}.{nonce}.{hex(HMAC-SHA256(secret, msg))}"

The redirect URL is not in the token: the exchange checks it against the site's, so a link
made for another site (or before the URL changed) is refused. A session is the same shape
under `billflow-session-v1` without the URL. Which nonces were used, which sessions ended and
how many links were asked for live in a `SignInStore`: in memory by default; a plugin gives
its framework's cache (anything with `add`, `has`, `count` and `incr`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from ..encoding import b64url_decode as _unb64
from ..encoding import b64url_encode as _b64
from ..encoding import digest as _digest
from ..errors import BadInput, Forbidden, RateLimited
from ..mail import Mailer
from ..rate_limits import take
from ..settings import PortalSettings

log = logging.getLogger(__name__)

__all__ = ["MemorySignInStore", "SignIn", "SignInStore", "TooMany"]

_LINK_LABEL = b"billflow-link-v1"
_SESSION_LABEL = b"billflow-session-v1"
_TOKEN = re.compile(
    r"([A-Za-z0-9_-]{1,700})\.([0-9]{1,12})\.([A-Za-z0-9_-]{16,64})\.([0-9a-f]{64})"
)
# Loose on purpose (the mail server is the judge), but without what would make the To header
# name another mailbox than the one checked: spaces, controls and `,;:<>"()[]\`.
_ATOM = r'[^@\s\x00-\x1f\x7f,;:<>"()\[\]\\]'
_EMAIL = re.compile(rf"{_ATOM}{{1,64}}@{_ATOM}+\.{_ATOM}+")
MAX_EMAIL = 254
HOUR = 3600


class SignInStore(Protocol):
    """Shared state of sign-in. A store must never forget a mark (`add`) before its time:
    a used link or an ended session would work again."""

    def add(self, key: str, ttl: float) -> bool:
        """Set `key` for `ttl` seconds unless it is set: True when this call set it."""
        ...

    def has(self, key: str) -> bool:
        """Whether `key` is set."""
        ...

    def count(self, key: str) -> int:
        """The count under `key` (0 when there is none)."""
        ...

    def incr(self, key: str, ttl: float) -> int:
        """Add one to the count under `key` (made for `ttl` seconds at 0); the new count."""
        ...


FULL = 2**62  # what a full store counts: over every limit


class MemorySignInStore:
    """The store of one process. Marks (used links, ended sessions) are kept for their
    whole time: only a customer who really signed in makes one. Counts are what anyone can
    make by asking, so at most `size` live ones are kept, and a full store answers `FULL`
    (every limit reached) rather than forget the counts that hold back mail to someone."""

    def __init__(self, *, size: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._marks: dict[str, float] = {}
        self._counts: dict[str, tuple[float, int]] = {}

    def _sweep(self, table: dict[str, Any], now: float) -> None:
        for key in [k for k, v in table.items() if (v if isinstance(v, float) else v[0]) <= now]:
            del table[key]

    def add(self, key: str, ttl: float) -> bool:
        with self._lock:
            now = self._clock()
            if self._marks.get(key, now) > now:
                return False
            if len(self._marks) >= self._size:
                self._sweep(self._marks, now)
            self._marks[key] = now + ttl
            return True

    def has(self, key: str) -> bool:
        with self._lock:
            return self._marks.get(key, 0.0) > self._clock()

    def count(self, key: str) -> int:
        with self._lock:
            found = self._counts.get(key)
            return found[1] if found is not None and found[0] > self._clock() else 0

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            now = self._clock()
            found = self._counts.get(key)
            if found is None or found[0] <= now:
                if len(self._counts) >= self._size:
                    self._sweep(self._counts, now)
                    if len(self._counts) >= self._size:
                        return FULL
                found = (now + ttl, 0)
            self._counts[key] = (found[0], found[1] + 1)
            return found[1] + 1


class TooMany(RateLimited):
    """429 `rate_limited`, with the seconds to wait before asking again."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"Too many sign-in links asked for; try again in {minutes} minutes.",
            code="rate_limited",
            retry_after=retry_after,
        )


@dataclass(frozen=True)
class SignedIn:
    """A session the exchange made: its value for the page, and when it ends."""

    session: str
    email: str
    expires_at: int


def check_email(email: Any) -> str:
    """The address, stripped; `BadInput` (`email_invalid`) when it is not one."""
    if isinstance(email, str):
        email = email.strip()
    if not isinstance(email, str) or len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        raise BadInput("Enter an email address.", code="email_invalid", field="email")
    return email


def _network(client_address: str) -> str:
    """Who asks, for the per-address limit: an IPv4 address, or an IPv6 address's /64 (one
    household or server holds a whole /64, so counting its addresses one by one limits
    nothing)."""
    try:
        found = ipaddress.ip_address(client_address.strip())
    except ValueError:
        return client_address
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:
            return str(found.ipv4_mapped)
        return str(ipaddress.IPv6Network((found, 64), strict=False))
    return str(found)


Compose = Callable[[str, str, int], EmailMessage]  # (email, link, expires_at) -> the message


class SignIn:
    """Email sign-in for one portal. `find` answers whether an email is a customer's (it
    calls Stripe); lookups and sending run on a worker thread, so a request for a known
    email answers exactly as soon as one for an unknown email."""

    def __init__(
        self,
        settings: PortalSettings,
        secret: str,
        *,
        find: Callable[[str], bool],
        mailer: Mailer | None,
        store: SignInStore | None = None,
        clock: Callable[[], float] = time.time,
        previous: str | None = None,
    ) -> None:
        """`previous`: the secret key before the last rotation; links and sessions made
        with it keep working until they expire, new ones use `secret`."""
        self.settings = settings
        self._key = secret.encode()
        self._keys = (self._key, previous.encode()) if previous else (self._key,)
        self._find = find
        self.mailer = mailer
        self.store: SignInStore = store if store is not None else MemorySignInStore()
        self._clock = clock
        self._worker = ThreadPoolExecutor(max_workers=2, thread_name_prefix="billflow-sign-in")
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()

    # -- asking for a link -----------------------------------------------------------------
    def request_link(self, email: Any, client_address: str | None, compose: Compose) -> None:
        """Email a link to `email` when it is a customer's; the same for anyone else.
        Raises `BadInput` (`email_invalid`) and `TooMany`."""
        address = check_email(email)
        now = int(self._clock())
        window = now // HOUR
        limits = [(f"billflow:rate:email:{_digest(address.lower())}:{window}",
                   self.settings.sign_in_per_email_per_hour)]  # fmt: skip
        if client_address:
            asker = _digest(_network(client_address))
            limits.append((f"billflow:rate:addr:{asker}:{window}",
                           self.settings.sign_in_per_address_per_hour))  # fmt: skip
        if not take(self.store, limits, HOUR):
            raise TooMany(HOUR - now % HOUR)
        expires_at = now + self.settings.sign_in_link_lifetime
        link = self.link(address, expires_at)
        job = self._worker.submit(self._send, address, link, expires_at, compose)
        with self._pending_lock:
            self._pending.add(job)
        job.add_done_callback(self._done)

    def _done(self, job: Future[None]) -> None:
        with self._pending_lock:
            self._pending.discard(job)

    def wait(self, timeout: float = 10.0) -> None:
        """Return once the links asked for so far are sent (or not): for tests and shutdown."""
        with self._pending_lock:
            jobs = list(self._pending)
        for job in jobs:
            job.exception(timeout=timeout)

    def _send(self, email: str, link: str, expires_at: int, compose: Compose) -> None:
        try:
            if not self._find(email):
                log.info("sign-in link asked for an address that is no customer's")
                return
            if self.mailer is None:
                log.warning("sign-in link not sent: no mailer (set BILLFLOW_SMTP_HOST)")
                return
            self.mailer.send(compose(email, link, expires_at))
            log.info("sign-in link sent")
        except Exception as error:  # the visitor already has their answer; never the link
            log.warning("sign-in link not sent: %s", type(error).__name__)

    def link(self, email: str, expires_at: int) -> str:
        """The link to the site's redirect URL with a fresh token for `email`."""
        url = self.settings.sign_in_redirect_url or ""
        token = self._token(_LINK_LABEL, email, url, expires_at, secrets.token_urlsafe(18))
        return f"{url}{'&' if '?' in url else '?'}billflow_token={token}"

    def _token(
        self,
        label: bytes,
        email: str,
        url: str,
        expires_at: int,
        nonce: str,
        key: bytes | None = None,
    ) -> str:
        message = b"\x00".join(
            (label, email.encode(), url.encode(), str(expires_at).encode(), nonce.encode())
        )
        digest = hmac.new(key or self._key, message, hashlib.sha256).hexdigest()
        return f"{_b64(email)}.{expires_at}.{nonce}.{digest}"

    def _open(self, label: bytes, token: Any, url: str) -> tuple[str, int, str] | None:
        """(email, expires_at, nonce) of a token this site signed, else None."""
        found = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if found is None:
            return None
        try:
            email = _unb64(found[1])
        except ValueError:
            return None
        expires_at, nonce = int(found[2]), found[3]
        if "\x00" in email:
            return None
        made = [self._token(label, email, url, expires_at, nonce, key) for key in self._keys]
        if not any([hmac.compare_digest(expected, token) for expected in made]):
            return None
        return email, expires_at, nonce

    # -- the link comes back ---------------------------------------------------------------
    def exchange(self, token: Any, *, binding: str = "") -> SignedIn:
        """A session for the link's token, bound to `binding` (the page it is made on:
        the session works only where that page's binding comes with it). Raises
        `Forbidden`: `link_invalid` (not signed here, tampered with, or made for another
        redirect URL), `link_expired`, `link_used`."""
        opened = self._open(_LINK_LABEL, token, self.settings.sign_in_redirect_url or "")
        if opened is None:
            raise Forbidden("This sign-in link is not valid.", code="link_invalid", field="token")
        email, expires_at, nonce = opened
        now = int(self._clock())
        if now >= expires_at:
            raise Forbidden("This sign-in link has expired.", code="link_expired", field="token")
        if not self.store.add(f"billflow:used:{nonce}", expires_at - now + 60):
            raise Forbidden("This sign-in link was used already.", code="link_used",
                            field="token")  # fmt: skip
        ends = now + self.settings.sign_in_session_lifetime
        session = self._token(_SESSION_LABEL, email, binding, ends, secrets.token_urlsafe(18))
        log.info("sign-in link exchanged for a session")
        return SignedIn(session, email, ends)

    def email_of(self, session: Any, *, binding: str = "") -> str:
        """The email a session proves with the `binding` it was made under. Raises
        `Forbidden` (`session_expired`) for one that ended, expired, was never made here, or
        comes from another page than its own."""
        opened = self._open(_SESSION_LABEL, session, binding)
        now = int(self._clock())
        if opened is None or now >= opened[1] or self._ended(opened[2]):
            raise Forbidden("Your session has ended; sign in again.", code="session_expired")
        return opened[0]

    def end(self, session: Any, *, binding: str = "") -> None:
        """End a session (signing out). Raises `Forbidden` like `email_of`."""
        self.email_of(session, binding=binding)
        _, expires_at, nonce = self._open(_SESSION_LABEL, session, binding) or ("", 0, "")
        self.store.add(f"billflow:ended:{nonce}", max(1, expires_at - int(self._clock())) + 60)

    def _ended(self, nonce: str) -> bool:
        return self.store.has(f"billflow:ended:{nonce}")
