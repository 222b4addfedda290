"""The delivery loop: what `billflow bridge worker` runs, and what `billflow bridge serve`
runs in a thread of each web process. It wakes when the outbox keeps an event in the same
process, and polls for the rest (events kept by other processes, retries coming due)."""

from __future__ import annotations

import logging
import threading

from .delivery import Deliverer

__all__ = ["DeliveryWorker"]

log = logging.getLogger(__name__)


class DeliveryWorker:
    """Runs `deliverer` until stopped. `poll`: seconds between looks when nothing woke it;
    `purge_every`: seconds between purges of old deliveries."""

    def __init__(self, deliverer: Deliverer, *, poll: float = 0.25, purge_every: float = 3600.0):
        self.deliverer = deliverer
        self.poll = poll
        self.purge_every = purge_every
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Look for due deliveries now (the outbox calls this after keeping an event)."""
        self._wake.set()

    def run(self) -> None:
        """Deliver until `stop()`; a failing round (the database away) is logged and retried."""
        clock = self.deliverer.clock
        next_purge = clock()
        while not self._stop.is_set():
            try:
                if clock() >= next_purge:
                    self.deliverer.purge()
                    next_purge = clock() + self.purge_every
                if self.deliverer.run_once():
                    continue  # there may be more due: look again at once
            except Exception:
                log.exception("a delivery round failed; trying again")
            self._wake.wait(self.poll)
            self._wake.clear()

    def start(self) -> threading.Thread:
        """Run in a daemon thread of this process."""
        self._thread = threading.Thread(target=self.run, name="billflow-deliveries", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
