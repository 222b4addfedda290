"""The Wagtail plugin's `SharedCache` is Django's cache (`BILLFLOW_CACHE`): it keeps the
contract every shared cache keeps, on the cache the tests' site is configured with."""

from __future__ import annotations

import time
from typing import Any

from cache_contract import check_shared_cache

from billflow_wagtail.hosting import DjangoCache


def test_the_django_cache_keeps_the_shared_cache_contract() -> None:
    def outlive(cache: Any, key: str) -> None:
        deadline = time.monotonic() + 10
        while cache.get(key) is not None:  # Django's cache keeps whole seconds
            assert time.monotonic() < deadline, "the value did not expire"
            time.sleep(0.05)

    check_shared_cache([DjangoCache("default") for _ in range(8)], ttl=1, outlive=outlive)
