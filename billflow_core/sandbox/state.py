"""Everything the sandbox remembers: objects by type and id, private facts Stripe keeps out of
API responses (a card's test outcome, a webhook secret), events, idempotent answers, and time.

One lock guards it all. Requests are short, so serialising them keeps every Stripe-like
invariant (a key replayed while its first request runs, a clock advance racing an update)
simple and true.
"""

from __future__ import annotations

import copy
import itertools
import json
import marshal
import os
import secrets
import string
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import missing

JSON = dict[str, Any]

# The API version the sandbox speaks: the one stripe-python 16 pins.
API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits

# Stripe's id prefixes; the sandbox finds an object's type from its id, as expansion needs.
PREFIXES: dict[str, str] = {
    "customer": "cus",
    "product": "prod",
    "price": "price",
    "promotion_code": "promo",
    "discount": "di",
    "subscription": "sub",
    "subscription_item": "si",
    "invoice": "in",
    "line_item": "il",
    "invoiceitem": "ii",
    "invoice_payment": "inpay",
    "payment_method": "pm",
    "setup_intent": "seti",
    "payment_intent": "pi",
    "charge": "ch",
    "webhook_endpoint": "we",
    "event": "evt",
    "test_helpers.test_clock": "clock",
}
_TYPE_OF_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}

# How objects are named in Stripe's "No such …" messages.
_SPOKEN = {
    "invoiceitem": "invoiceitem",
    "test_helpers.test_clock": "test clock",
    "webhook_endpoint": "webhook endpoint",
    "promotion_code": "promotion code",
    "payment_method": "PaymentMethod",
    "setup_intent": "setupintent",
    "payment_intent": "payment_intent",
}


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


class State:
    """The sandbox's memory. Callers hold `lock` for any sequence of reads and writes."""

    def __init__(self, path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self.objects: dict[str, dict[str, JSON]] = {}
        self.private: dict[str, JSON] = {}
        self.order: dict[str, int] = {}
        self.idempotency: dict[str, JSON] = {}
        self._sequence = itertools.count(1)
        self.on_event: Callable[[JSON], None] | None = None
        if path is not None and path.exists():
            self._load(path)

    # -- ids and time -------------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        return f"{PREFIXES[kind]}_{'1' + random_token(23)}"

    def now(self, customer: str | None = None) -> int:
        """UTC epoch seconds for an object of `customer`: the frozen time of the customer's
        test clock when it has one, as Stripe does, else the wall clock."""
        if customer:
            owner = self.objects.get("customer", {}).get(customer)
            clock_id = owner.get("test_clock") if owner else None
            if clock_id:
                clock = self.objects["test_helpers.test_clock"][clock_id]
                return int(clock["frozen_time"])
        return int(time.time())

    # -- objects ------------------------------------------------------------------------------
    def put(self, obj: JSON, kind: str | None = None) -> JSON:
        kind = kind or obj["object"]
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        self.order.setdefault(obj["id"], next(self._sequence))
        return obj

    def get(self, kind: str, object_id: str, *, param: str = "id") -> JSON:
        found = self.objects.get(kind, {}).get(object_id)
        if found is None:
            raise missing(_SPOKEN.get(kind, kind), object_id, param=param)
        return found

    def find(self, kind: str, object_id: str) -> JSON | None:
        return self.objects.get(kind, {}).get(object_id)

    def lookup(self, object_id: str) -> JSON | None:
        """The object an id names, whatever its type (coupons have free-form ids)."""
        kind = _TYPE_OF_PREFIX.get(object_id.partition("_")[0])
        if kind is not None:
            return self.find(kind, object_id)
        return self.find("coupon", object_id)

    def delete(self, kind: str, object_id: str) -> JSON:
        obj = self.get(kind, object_id)
        del self.objects[kind][object_id]
        return obj

    def all(self, kind: str) -> Iterator[JSON]:
        """Objects of `kind`, newest first, as Stripe lists them."""
        found = self.objects.get(kind, {}).values()
        return iter(sorted(found, key=lambda o: (-o.get("created", 0), -self.order[o["id"]])))

    def secret(self, object_id: str) -> JSON:
        """Facts about an object that Stripe never returns (a test card's outcome...)."""
        return self.private.setdefault(object_id, {})

    # -- persistence --------------------------------------------------------------------------
    def snapshot(self) -> JSON:
        return copy.deepcopy(
            {
                "objects": self.objects,
                "private": self.private,
                "order": self.order,
                "idempotency": self.idempotency,
            }
        )

    def restore(self, data: JSON) -> None:
        self.objects = data["objects"]
        self.private = data["private"]
        self.order = data["order"]
        self.idempotency = data["idempotency"]
        self._sequence = itertools.count(max(self.order.values(), default=0) + 1)

    def checkpoint(self) -> bytes:
        """What `rollback` needs to undo a request's writes.

        Events are left out (and kept): they are recorded only after a request succeeds and
        never change, and they are most of what a long session holds. The state is plain
        JSON data, so `marshal` copies it about five times faster than `copy.deepcopy`.
        """
        objects = {kind: found for kind, found in self.objects.items() if kind != "event"}
        return marshal.dumps((objects, self.private, self.order))

    def rollback(self, checkpoint: bytes) -> None:
        events = self.objects.get("event")
        self.objects, self.private, self.order = marshal.loads(checkpoint)
        if events is not None:
            self.objects["event"] = events

    def save(self) -> None:
        """Write the state atomically, so a crash mid-write never leaves half a file."""
        if self.path is None:
            return
        directory = self.path.parent
        with tempfile.NamedTemporaryFile(
            "w", dir=directory, delete=False, suffix=".tmp", encoding="utf-8"
        ) as handle:
            json.dump(self.snapshot(), handle)
        os.replace(handle.name, self.path)

    def _load(self, path: Path) -> None:
        with path.open(encoding="utf-8") as handle:
            self.restore(json.load(handle))
