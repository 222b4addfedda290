"""The answers to actions already done, by the page's `Idempotency-Key`, so that a page
retrying an intent whose answer it lost gets that answer, not a refusal of a change that is
already made ("this is already the plan").

Stripe's own idempotency keys already make each write once; this store makes the portal's
answer repeatable too. Answers are kept for a day, as Stripe keeps its keys. The default
store lives in the process; a host running several processes can give `Portal` a shared one
with the same two methods.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from ..encoding import digest
from ..errors import Conflict

__all__ = ["AnswerStore", "MemoryAnswers", "answered_once"]

log = logging.getLogger(__name__)
T = TypeVar("T")

DAY = 86400.0


class AnswerStore(Protocol):
    def get(self, key: str) -> Any | None: ...
    def put(self, key: str, answer: Any) -> None: ...


class MemoryAnswers:
    """At most `size` answers, each for `ttl` seconds, oldest dropped first."""

    def __init__(
        self,
        *,
        size: int = 10_000,
        ttl: float = DAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            stored_at, answer = found
            if self._clock() - stored_at >= self._ttl:
                del self._answers[key]
                return None
            return answer

    def put(self, key: str, answer: Any) -> None:
        with self._lock:
            self._answers[key] = (self._clock(), answer)
            self._answers.move_to_end(key)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)


def request_digest(action: str, payload: Mapping[str, Any]) -> str:
    """What a request asks, as one string: the same key must always ask the same."""
    return digest(action, json.dumps(dict(payload), sort_keys=True, default=repr))


def answered_once(
    store: AnswerStore,
    *,
    asker: tuple[str, ...],
    key: str,
    action: str,
    payload: Mapping[str, Any],
    run: Callable[[], T],
) -> T:
    """`run()`'s answer, kept under `asker` and the page's `key`, or the answer kept from
    the first try when this is a retry. The asker (who, and within which limit) is part of
    the stored key, so one visitor's key never answers for another; the same key sent with
    another action or payload is a `Conflict`, not a silent replay of something else."""
    stored_as = digest(*asker, key)
    request = request_digest(action, payload)
    earlier = store.get(stored_as)
    if earlier is not None:
        if earlier[0] != request:
            raise Conflict(
                "This Idempotency-Key was used for another request.", code="idempotency_conflict"
            )
        log.debug("%s answered again from its first try", action)
        return earlier[1]  # type: ignore[no-any-return]
    answer = run()
    store.put(stored_as, (request, answer))
    return answer
