"""Knobs for tests and benchmarks: latency, injected faults, and what each route received."""

from __future__ import annotations

import fnmatch
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["500", "429", "drop", "drop_answer", "slow"]
FAULT_KINDS: tuple[str, ...] = ("500", "429", "drop", "drop_answer", "slow")


@dataclass
class Fault:
    """`pattern` is matched (shell-style) against `METHOD /path` and the route's name, so
    `POST /v1/subscriptions/*` and `POST /v1/subscriptions/{id}` both work.

    A held "slow" fault waits for `release` instead of a number of seconds, and sets
    `answered` once its answer went out (or met a client that had stopped waiting): a test
    orders events by them, never by sleeping."""

    pattern: str
    kind: FaultKind
    remaining: int
    seconds: float = 0.0
    release: threading.Event | None = None
    answered: threading.Event = field(default_factory=threading.Event)

    def matches(self, route_name: str, method: str, path: str) -> bool:
        return fnmatch.fnmatchcase(route_name, self.pattern) or fnmatch.fnmatchcase(
            f"{method} {path}", self.pattern
        )


@dataclass
class LoggedRequest:
    """One API request as the sandbox received and answered it."""

    method: str
    path: str
    route: str
    status: int
    params: dict[str, Any]
    idempotency_key: str | None
    replayed: bool = False
    fault: str | None = None
    reads_only: bool = False
    # The top-level parameters the handler read (empty for a request refused before its
    # handler ran). The sandbox refuses a request carrying one it did not read, so on a
    # successful request this is every parameter it carried.
    read: frozenset[str] = frozenset()
    delay: float = 0.0  # the seconds its answer was held back (latency and a slow fault)

    @property
    def is_write(self) -> bool:
        """A request that changed Stripe's state: a successful, non-replayed POST or DELETE
        (a preview, though a POST, changes nothing)."""
        return (
            self.method in ("POST", "DELETE")
            and self.status == 200
            and not self.replayed
            and not self.reads_only
            and self.path.startswith("/v1/")
        )


@dataclass
class Controls:
    """Latency, faults and the request log of one sandbox."""

    latency: float = 0.0
    faults: list[Fault] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    holds: list[Fault] = field(default_factory=list)  # held slow faults not yet let go

    def add_fault(
        self, pattern: str, kind: str, *, times: int = 1, seconds: float = 0.0, hold: bool = False
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, not {kind!r}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if hold and (kind != "slow" or times != 1):
            raise ValueError("only a slow fault of one request is held")
        release = threading.Event() if hold else None
        fault = Fault(pattern, kind, times, seconds, release)  # type: ignore[arg-type]
        with self.lock:
            self.faults.append(fault)
            if release is not None:
                self.holds.append(fault)
        return fault

    def release_holds(self) -> None:
        """Let every held answer go (a reset, or the sandbox stopping): no request thread
        waits on a test that has ended."""
        with self.lock:
            holds, self.holds = self.holds, []
        for fault in holds:
            if fault.release is not None:
                fault.release.set()

    def take_fault(self, route_name: str, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(route_name, method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def record(self, entry: LoggedRequest) -> None:
        with self.lock:
            self.log.append(entry)

    def counts(self) -> Counter[str]:
        """Requests received per route name (`GET /v1/customers/{id}`), faults included."""
        with self.lock:
            return Counter(entry.route for entry in self.log)

    def reset(self) -> None:
        self.release_holds()
        with self.lock:
            self.latency = 0.0
            self.faults.clear()
            self.log.clear()
