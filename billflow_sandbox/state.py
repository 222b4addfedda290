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
from collections.abc import Iterator
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
    "subscription_schedule": "sub_sched",
    "invoice": "in",
    "line_item": "il",
    "invoiceitem": "ii",
    "invoice_payment": "inpay",
    "payment_method": "pm",
    "setup_intent": "seti",
    "payment_intent": "pi",
    "charge": "ch",
    "tax_id": "txi",
    "webhook_endpoint": "we",
    "event": "evt",
    "test_helpers.test_clock": "clock",
}
_TYPE_OF_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}
# Prefixes of two parts, tried before the first part alone (`sub_sched_…` is no `sub_…`).
_LONG_PREFIXES = {prefix for prefix in _TYPE_OF_PREFIX if "_" in prefix}

# How objects are named in Stripe's "No such …" messages.
_SPOKEN = {
    "invoiceitem": "invoiceitem",
    "test_helpers.test_clock": "test clock",
    "webhook_endpoint": "webhook endpoint",
    "promotion_code": "promotion code",
    "payment_method": "PaymentMethod",
    "setup_intent": "setupintent",
    "payment_intent": "payment_intent",
    "subscription_schedule": "subscription schedule",
}


# The journal's name for private facts (they are keyed by the id of their object).
_PRIVATE = "~private"


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
        # While a request writes: each object's state before the request first touched it
        # (None: it did not exist), so a refused request can be undone. See `begin`.
        self._journal: dict[tuple[str, str], bytes | None] | None = None
        if path is not None and path.exists():
            self._load(path)

    # -- ids and time -------------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        """A fresh id with Stripe's prefix for `kind` (`cus_…`)."""
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
        """Store `obj` under its type (or `kind`), keeping its place in list order."""
        kind = kind or obj["object"]
        self._touch(kind, obj["id"])
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        self.order.setdefault(obj["id"], next(self._sequence))
        return obj

    def get(self, kind: str, object_id: str, *, param: str = "id") -> JSON:
        """The object, or Stripe's 404 naming `param`."""
        found = self.find(kind, object_id)
        if found is None:
            raise missing(_SPOKEN.get(kind, kind), object_id, param=param)
        return found

    def find(self, kind: str, object_id: str) -> JSON | None:
        """The object, or None."""
        found = self.objects.get(kind, {}).get(object_id)
        if found is not None:
            self._touch(kind, object_id)
        return found

    def lookup(self, object_id: str) -> JSON | None:
        """The object an id names, whatever its type (coupons have free-form ids)."""
        first, _, rest = object_id.partition("_")
        two = f"{first}_{rest.partition('_')[0]}"
        kind = _TYPE_OF_PREFIX.get(two if two in _LONG_PREFIXES else first)
        if kind is not None:
            return self.find(kind, object_id)
        return self.find("coupon", object_id)

    def delete(self, kind: str, object_id: str) -> JSON:
        """Remove and return the object, or raise Stripe's 404."""
        obj = self.get(kind, object_id)
        del self.objects[kind][object_id]
        return obj

    def all(self, kind: str) -> Iterator[JSON]:
        """Objects of `kind`, newest first, as Stripe lists them."""
        found = sorted(
            self.objects.get(kind, {}).values(),
            key=lambda o: (-o.get("created", 0), -self.order[o["id"]]),
        )
        for obj in found:
            self._touch(kind, obj["id"])
        return iter(found)

    def secret(self, object_id: str) -> JSON:
        """Facts about an object that Stripe never returns (a test card's outcome...)."""
        self._touch(_PRIVATE, object_id)
        return self.private.setdefault(object_id, {})

    # -- undo ---------------------------------------------------------------------------------
    def begin(self) -> None:
        """Start recording what a request changes, so `rollback` can undo it.

        Handlers change objects in place, so each object is copied the first time the
        request reaches it (through `get`, `find`, `all`, `put`, `delete` or `secret`): the
        cost follows what a request touches, not how much the sandbox holds. `marshal`
        copies plain JSON data several times faster than `copy.deepcopy`.
        """
        self._journal = {}

    def commit(self) -> None:
        """Keep what the request changed and stop recording."""
        self._journal = None

    def rollback(self) -> None:
        """Put back every object the request touched as it was before; forget new ones."""
        journal, self._journal = self._journal, None
        for (kind, object_id), saved in (journal or {}).items():
            table = self.private if kind == _PRIVATE else self.objects.setdefault(kind, {})
            if saved is None:
                table.pop(object_id, None)
                if kind != _PRIVATE:
                    self.order.pop(object_id, None)
            else:
                table[object_id] = marshal.loads(saved)

    def _touch(self, kind: str, object_id: str) -> None:
        journal = self._journal
        if journal is None or (kind, object_id) in journal:
            return
        if kind == _PRIVATE:
            found = self.private.get(object_id)
        else:
            found = self.objects.get(kind, {}).get(object_id)
        journal[(kind, object_id)] = None if found is None else marshal.dumps(found)

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
