"""The portal's shared state in the bridge's database, so every bridge process (gunicorn's
several, or several machines on one PostgreSQL) agrees: the answers to retried actions (a
retry reaching another process gets the first answer, not a refusal of a change already
made), sign-in's marks and counts (a used link stays used, a rate limit counts every
process's requests), and the portal's `SharedCache` (customer ids, the catalog's version, so
a Stripe webhook reaching one process refreshes every one, and the action lock).

A mark is a row inserted under a unique key, so the insert is the atomic "add unless set";
a count is one `UPDATE … SET count = count + 1 … RETURNING`. Expired rows are swept as new
ones are written.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .schema import answers, cache, counts, marks

__all__ = ["DatabaseAnswers", "DatabaseCache", "DatabaseSignInStore"]

DAY = 86400.0


class DatabaseAnswers:
    """`AnswerStore` in the database: each answer for `ttl` seconds (a day, as Stripe keeps
    its idempotency keys). Answers are the portal's own objects, pickled; only the bridge
    writes this table."""

    def __init__(
        self, engine: Engine, *, ttl: float = DAY, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.clock = clock

    def get(self, key: str) -> Any | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(answers.c.answer).where(
                    answers.c.key == key, answers.c.expires_at > self.clock()
                )
            ).scalar()
        return None if found is None else pickle.loads(found)

    def put(self, key: str, answer: Any) -> None:
        now = self.clock()
        row = {"key": key, "answer": pickle.dumps(answer), "expires_at": now + self.ttl}
        with self.engine.begin() as connection:
            connection.execute(delete(answers).where(answers.c.expires_at <= now))
            if not connection.execute(update(answers).where(answers.c.key == key)
                                      .values(row)).rowcount:  # fmt: skip
                connection.execute(insert(answers).values(row))


class DatabaseSignInStore:
    """`SignInStore` in the database (used links, ended sessions, rate-limit counts)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def add(self, key: str, ttl: float) -> bool:
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(marks).where(marks.c.expires_at <= now))
                connection.execute(insert(marks).values(key=key, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True

    def has(self, key: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(marks.c.key).where(marks.c.key == key, marks.c.expires_at > self.clock())
            ).first()
        return found is not None

    def count(self, key: str) -> int:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(counts.c.count).where(counts.c.key == key,
                                             counts.c.expires_at > self.clock())
            ).scalar()  # fmt: skip
        return int(found or 0)

    def incr(self, key: str, ttl: float) -> int:
        for _ in range(3):  # another process may make or renew the row between two steps
            now = self.clock()
            with self.engine.begin() as connection:
                counted = connection.execute(
                    update(counts)
                    .where(counts.c.key == key, counts.c.expires_at > now)
                    .values(count=counts.c.count + 1)
                    .returning(counts.c.count)
                ).scalar()
                if counted is not None:
                    return int(counted)
                connection.execute(delete(counts).where(counts.c.expires_at <= now))
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(counts).values(key=key, count=1,
                                                             expires_at=now + ttl))  # fmt: skip
            except IntegrityError:
                continue
            return 1
        raise RuntimeError("the sign-in count could not be kept")  # pragma: no cover


class DatabaseCache:
    """The portal's `SharedCache` in the database: `add` is an insert under the unique key
    (an expired row is deleted first, in the same transaction), a compare-and-delete one
    `DELETE … WHERE value = …`."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def get(self, key: str) -> str | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                select(cache.c.value).where(cache.c.key == key, cache.c.expires_at > self.clock())
            ).scalar()
        return None if found is None else str(found)

    def set(self, key: str, value: str, ttl: float) -> None:
        now = self.clock()
        row = {"key": key, "value": value, "expires_at": now + ttl}
        for _ in range(3):  # another process may insert the key between the two steps
            try:
                with self.engine.begin() as connection:
                    if not connection.execute(update(cache).where(cache.c.key == key)
                                              .values(row)).rowcount:  # fmt: skip
                        connection.execute(insert(cache).values(row))
                return
            except IntegrityError:
                continue
        raise RuntimeError("the shared cache could not keep a value")  # pragma: no cover

    def add(self, key: str, value: str, ttl: float) -> bool:
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(cache).where(cache.c.expires_at <= now))
                connection.execute(insert(cache).values(key=key, value=value,
                                                        expires_at=now + ttl))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def delete(self, key: str, value: str | None = None) -> None:
        query = delete(cache).where(cache.c.key == key)
        if value is not None:
            query = query.where(cache.c.value == value)
        with self.engine.begin() as connection:
            connection.execute(query)
