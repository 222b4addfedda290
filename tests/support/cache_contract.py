"""What every `SharedCache` must do, checked the same way for each implementation (the
process's own, Redis, Django's cache, the bridge's database): `add` wins once across
threads, a delete naming a value leaves another holder's alone, a later `set` replaces,
and values expire. (A module, not a fixture file: tests import it by name.)"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from billflow_core import SharedCache

__all__ = ["check_shared_cache"]


def check_shared_cache(
    caches: Sequence[SharedCache], *, ttl: float, outlive: Callable[[SharedCache, str], None]
) -> None:
    """`caches`: several clients of one store (as several processes hold); `ttl`: the
    lifetime the expiry checks use; `outlive(cache, key)` returns once `key`'s value has
    expired (a test clock moved on, or the store's own clock waited for)."""
    lock = "billflow:action-lock:contract"
    start = threading.Barrier(len(caches))
    won: list[bool] = []

    def add(n: int, cache: SharedCache) -> None:
        start.wait()
        won.append(cache.add(lock, f"token-{n}", ttl))

    threads = [threading.Thread(target=add, args=pair) for pair in enumerate(caches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(won) == [False] * (len(caches) - 1) + [True]
    holder = caches[0].get(lock)
    assert holder is not None and holder.startswith("token-")
    caches[1].delete(lock, "token-not-the-holder")
    assert caches[0].get(lock) == holder

    outlive(caches[0], lock)  # expired: another may take it; the old holder's release spares it
    assert caches[1].add(lock, "token-late", ttl)
    caches[0].delete(lock, holder)
    assert caches[1].get(lock) == "token-late"
    caches[1].delete(lock, "token-late")
    assert caches[0].get(lock) is None

    version = "billflow:catalog:contract"
    caches[0].set(version, "one", ttl)
    caches[1].set(version, "two", ttl)  # a later set replaces
    assert caches[0].get(version) == "two"
    outlive(caches[0], version)
    assert caches[1].get(version) is None
    caches[0].set(version, "three", ttl)
    caches[1].delete(version)
    assert caches[0].get(version) is None
    assert caches[0].get("billflow:never-set") is None
