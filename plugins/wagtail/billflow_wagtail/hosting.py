"""Django's facilities for the core, shared by every app server: its email backend sends the
sign-in emails, its cache keeps the answers to retried actions and the portal's
`SharedCache` (customer ids, the plan catalog's version, the action lock; Redis or Memcached
serve them all), and its database keeps used links, ended sessions and the rate limits'
counts (sign-in links, actions, previews), which a cache could drop early or count wrong."""

from __future__ import annotations

import datetime as dt
import math
from email.message import EmailMessage
from typing import Any

from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

__all__ = ["DatabaseSignInStore", "DjangoCache", "DjangoCacheAnswers", "DjangoMailer"]


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


class DatabaseSignInStore:
    """The sign-in store in the site's database, shared by every app server: marks are rows
    inserted under a unique key (the insert is the atomic `add`), counts rows updated with
    one `UPDATE ... SET count = count + 1`. Expired rows are swept as marks are added."""

    def add(self, key: str, ttl: float) -> bool:
        from .models import SignInMark

        now = timezone.now()
        SignInMark.objects.filter(expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                SignInMark.objects.create(key=key, expires_at=now + _seconds(ttl))
        except IntegrityError:
            return False
        return True

    def has(self, key: str) -> bool:
        from .models import SignInMark

        return SignInMark.objects.filter(key=key, expires_at__gt=timezone.now()).exists()

    def count(self, key: str) -> int:
        from .models import SignInCount

        found = SignInCount.objects.filter(key=key, expires_at__gt=timezone.now()).first()
        return found.count if found is not None else 0

    def incr(self, key: str, ttl: float) -> int:
        from .models import SignInCount

        for _ in range(3):  # another server may make or renew the row between two steps
            now = timezone.now()
            live = SignInCount.objects.filter(key=key, expires_at__gt=now)
            # The update locks the row until the transaction ends, so the count read back
            # is this request's own, not one another request made a moment later.
            with transaction.atomic():
                found = live.first() if live.update(count=F("count") + 1) else None
            if found is not None:
                return found.count
            SignInCount.objects.filter(key=key, expires_at__lte=now).delete()
            SignInCount.objects.filter(expires_at__lte=now - _seconds(3600)).delete()
            try:
                with transaction.atomic():
                    SignInCount.objects.create(key=key, count=1, expires_at=now + _seconds(ttl))
            except IntegrityError:
                continue
            return 1
        raise RuntimeError("the sign-in count could not be kept")  # pragma: no cover


def _seconds(ttl: float) -> dt.timedelta:
    return dt.timedelta(seconds=max(1.0, ttl))


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


class DjangoCache:
    """The portal's `SharedCache` in a Django cache (`BILLFLOW_CACHE`): `add` is the
    backend's own `add`, atomic on Redis and Memcached (Django's database cache can let two
    adds of an expired key both win; prefer Redis for several servers). Releasing a
    lock reads it before deleting it: two steps, so a lock that expired (after a minute)
    and was taken by another request in between could be released early; the idempotency
    keys still keep that request's Stripe writes single."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias

    def get(self, key: str) -> str | None:
        found = caches[self.alias].get(key)
        return found if isinstance(found, str) else None

    def set(self, key: str, value: str, ttl: float) -> None:
        caches[self.alias].set(key, value, timeout=_whole_seconds(ttl))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(caches[self.alias].add(key, value, timeout=_whole_seconds(ttl)))

    def delete(self, key: str, value: str | None = None) -> None:
        cache = caches[self.alias]
        if value is None or cache.get(key) == value:
            cache.delete(key)


def _whole_seconds(ttl: float) -> int:
    return max(1, math.ceil(ttl))  # Memcached takes whole seconds
