"""A sign-in link opened twice at the same moment signs in once, whatever store holds the
marks, with the interleaving that would break a check-then-mark forced rather than hoped for.

`Interleaving` sits between the sign-in code and a real store. A check of a used-link mark
(`has`) waits until the other request has checked too, so were the code to check and then
mark in two steps, both requests would pass the check before either marked, every time. The
atomic `add` the code must use passes straight through to the store, which then decides.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from billflow_core.errors import Forbidden
from billflow_core.identity.signin import SignIn, SignInStore
from billflow_core.settings import PortalSettings

SETTINGS = PortalSettings(
    email_sign_in=True,
    company_name="Acme",
    sign_in_from_address="billing@acme.example",
    sign_in_redirect_url="https://acme.example/account",
)
SECRET = "single-use-secret-0123456789"
USED = "billflow:used:"


class Interleaving:
    """`store`, with each check of a used-link mark held until `parties` requests made it."""

    def __init__(self, store: SignInStore, parties: int = 2) -> None:
        self.store = store
        self.checked = threading.Barrier(parties, timeout=30)  # a safety net, never the test
        self.added: list[bool] = []  # what the store answered each add of a used-link mark

    def add(self, key: str, ttl: float) -> bool:
        made = self.store.add(key, ttl)
        if key.startswith(USED):
            self.added.append(made)
        return made

    def has(self, key: str) -> bool:
        if key.startswith(USED):
            self.checked.wait()
        return self.store.has(key)

    def count(self, key: str) -> int:
        return self.store.count(key)

    def incr(self, key: str, ttl: float) -> int:
        return self.store.incr(key, ttl)


def assert_one_sign_in_per_link(store: SignInStore, *, now: float = 1_800_000_000.0) -> None:
    """Two requests exchange one link at once: one session, one `link_used`."""
    between = Interleaving(store)
    sign_in = SignIn(SETTINGS, SECRET, find=lambda _: True, mailer=None, store=between,
                     clock=lambda: now)  # fmt: skip
    token = sign_in.link("ada@example.com", int(now) + 600).split("billflow_token=", 1)[1]
    start = threading.Barrier(2)

    def exchange(_: Any) -> str:
        start.wait()
        try:
            sign_in.exchange(token)
        except Forbidden as refused:
            return refused.code
        return "signed in"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(exchange, range(2)))
    assert outcomes == ["link_used", "signed in"]
    assert sorted(between.added) == [False, True]  # the store's own add decided
