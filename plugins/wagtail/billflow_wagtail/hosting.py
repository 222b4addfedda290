"""Django's facilities for the core: its email backend sends the sign-in emails, its cache
keeps what several app servers must share (used links, rate limits, answers to retried
actions), so a Redis or Memcached cache serves them all."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives

__all__ = ["DjangoCacheAnswers", "DjangoCacheSignInStore", "DjangoMailer"]


class DjangoMailer:
    """Sends through `EMAIL_BACKEND`, as the site's other emails go."""

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        email = EmailMultiAlternatives(
            subject=str(message["Subject"]),
            body=text.get_content() if text is not None else "",
            from_email=str(message["From"]),
            to=[str(message["To"])],
        )
        if html is not None:
            email.attach_alternative(html.get_content(), "text/html")
        email.send(fail_silently=False)


class DjangoCacheSignInStore:
    """The sign-in store in a Django cache. Marks are set with `add`, which every backend
    makes atomic; counts with `incr`."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias

    @property
    def _cache(self) -> Any:
        return caches[self.alias]

    def add(self, key: str, ttl: float) -> bool:
        return bool(self._cache.add(key, 1, timeout=max(1, int(ttl))))

    def has(self, key: str) -> bool:
        return self._cache.get(key) is not None

    def count(self, key: str) -> int:
        return int(self._cache.get(key, 0))

    def incr(self, key: str, ttl: float) -> int:
        if self._cache.add(key, 1, timeout=max(1, int(ttl))):
            return 1
        try:
            return int(self._cache.incr(key))
        except ValueError:  # expired between the two calls
            self._cache.add(key, 1, timeout=max(1, int(ttl)))
            return 1


class DjangoCacheAnswers:
    """The answers to actions, by Idempotency-Key, in a Django cache for a day, so a retry
    that reaches another app server gets the first answer too."""

    def __init__(self, alias: str = "default", *, ttl: int = 86400) -> None:
        self.alias = alias
        self.ttl = ttl

    def get(self, key: str) -> Any | None:
        return caches[self.alias].get(f"billflow:answer:{key}")

    def put(self, key: str, answer: Any) -> None:
        caches[self.alias].set(f"billflow:answer:{key}", answer, timeout=self.ttl)
