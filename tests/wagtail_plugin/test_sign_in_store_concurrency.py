"""The Wagtail plugin's sign-in store (marks and counts in the site's database, shared by every
app server) under requests at the same moment: a link opened twice signs in once, with the
check-then-mark interleaving forced (`tests/support/single_use.py`), and a count taken by
many requests at once loses none of them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from single_use import assert_one_sign_in_per_link

from billflow_wagtail.hosting import DatabaseSignInStore


class _OwnConnection(DatabaseSignInStore):
    """Each call on the thread's own database connection, closed after, as a request's is."""

    def add(self, key: str, ttl: float) -> bool:
        try:
            return super().add(key, ttl)
        finally:
            connection.close()

    def incr(self, key: str, ttl: float) -> int:
        try:
            return super().incr(key, ttl)
        finally:
            connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_link_opened_twice_at_once_signs_in_once() -> None:
    assert_one_sign_in_per_link(_OwnConnection(), now=time.time())


@pytest.mark.django_db(transaction=True)
def test_a_count_taken_by_many_requests_at_once_loses_none() -> None:
    store = _OwnConnection()
    start = threading.Barrier(8)

    def ask(_: int) -> int:
        start.wait()
        return store.incr("billflow:asked:ada@example.com", 3600)

    with ThreadPoolExecutor(8) as pool:
        counts = sorted(pool.map(ask, range(8)))
    assert counts == list(range(1, 9))  # each request saw its own, one more than the last
    assert store.count("billflow:asked:ada@example.com") == 8
