"""The portal's shared state on Redis, for a Flask site served by several processes or
machines (`BILLFLOW_REDIS_URL`): the answers to retried actions, so a retry reaching
another server gets the first answer; sign-in's marks and counts, so a used link stays
used and a rate limit counts every server's requests; and the portal's `SharedCache`
(customer ids, the catalog's version, the action lock).

Each operation is one Redis command, or one Lua script where two must happen together, so
no process sees half of another's: a mark is `SET … NX PX`, a count `INCR` with its expiry
set by the same script. Answers are the portal's own objects, pickled and signed with a key
derived from `BILLFLOW_SECRET_KEY`: an answer that does not carry its signature (another
program wrote it, or Redis was tampered with) is never unpickled, only ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
from typing import Any

import redis

__all__ = ["RedisAnswers", "RedisCache", "RedisSignInStore", "redis_client"]

log = logging.getLogger(__name__)

DAY = 86400.0
_SIGNATURE = 32  # bytes of HMAC-SHA256 before each pickled answer

# INCR and, on the first count, its expiry, as one step: a process stopped between the two
# would otherwise leave a count that never expires.
_COUNT = """
local counted = redis.call('INCR', KEYS[1])
if counted == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return counted
"""

# DEL only while the key still holds the caller's value: a lock's holder never releases a
# lock another process took after its own expired.
_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_client(url: str) -> redis.Redis:
    """A client for `url` (`redis://host:6379/0`, `rediss://` for TLS, `unix:///…`), with
    short timeouts: a page waits on it at each action."""
    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0,
                                health_check_interval=30)  # fmt: skip


class RedisSignInStore:
    """`SignInStore` on Redis: used links, ended sessions, rate-limit counts."""

    def __init__(self, client: redis.Redis, *, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self._count = client.register_script(_COUNT)

    def add(self, key: str, ttl: float) -> bool:
        return bool(self.client.set(self.prefix + key, b"1", nx=True, px=_ms(ttl)))

    def has(self, key: str) -> bool:
        return bool(self.client.exists(self.prefix + key))

    def count(self, key: str) -> int:
        found = self.client.get(self.prefix + key)
        return int(found) if found is not None else 0

    def incr(self, key: str, ttl: float) -> int:
        return int(self._count(keys=[self.prefix + key], args=[_ms(ttl)]))


class RedisAnswers:
    """`AnswerStore` on Redis: each answer for `ttl` seconds (a day, as Stripe keeps its
    idempotency keys), signed with `secret`."""

    def __init__(
        self, client: redis.Redis, secret: str, *, ttl: float = DAY, prefix: str = ""
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.prefix = prefix + "billflow:answer:"
        self._key = hmac.new(secret.encode(), b"billflow answers on redis", hashlib.sha256).digest()

    def get(self, key: str) -> Any | None:
        found = self.client.get(self.prefix + key)
        if not isinstance(found, bytes):
            return None
        signature, body = found[:_SIGNATURE], found[_SIGNATURE:]
        if not hmac.compare_digest(signature, self._sign(body)):
            log.warning("an answer in Redis under %s is not signed with this site's key; "
                        "it is ignored", key[:12])  # fmt: skip
            return None
        return pickle.loads(body)

    def put(self, key: str, answer: Any) -> None:
        body = pickle.dumps(answer)
        self.client.set(self.prefix + key, self._sign(body) + body, px=_ms(self.ttl))

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()


class RedisCache:
    """The portal's `SharedCache` on Redis: short strings with an expiry each, `add` as
    `SET … NX PX`, a compare-and-delete as one script."""

    def __init__(self, client: redis.Redis, *, prefix: str = "") -> None:
        self.client = client
        self.prefix = prefix
        self._delete_if = client.register_script(_DELETE_IF)

    def get(self, key: str) -> str | None:
        found = self.client.get(self.prefix + key)
        return found.decode() if isinstance(found, bytes) else None

    def set(self, key: str, value: str, ttl: float) -> None:
        self.client.set(self.prefix + key, value.encode(), px=_ms(ttl))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self.client.set(self.prefix + key, value.encode(), nx=True, px=_ms(ttl)))

    def delete(self, key: str, value: str | None = None) -> None:
        if value is None:
            self.client.delete(self.prefix + key)
        else:
            self._delete_if(keys=[self.prefix + key], args=[value.encode()])


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))
