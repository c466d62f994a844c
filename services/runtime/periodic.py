"""Work repeated on a daemon thread in the embedded mode (Celery beat does it in production)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("safehub")


class Periodic:
    """Run ``work`` every ``interval`` seconds until stopped; a failure is logged and retried.

    ``first_delay``: the first run comes this soon after start (default: one interval), so a
    daily job in a process restarted more often than daily still runs.
    """

    def __init__(self, name: str, interval: float, work: Callable[[], object], *, first_delay: float | None = None):
        self.name = name
        self.interval = interval
        self.work = work
        self.first_delay = interval if first_delay is None else min(first_delay, interval)
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop (idempotent; an interval of 0 turns it off)."""
        if self._thread is None and self.interval > 0:
            self._stopped.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the loop and wait for a run in progress."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        wait = self.first_delay
        while not self._stopped.wait(wait):
            wait = self.interval
            try:
                self.work()
            except Exception:  # keep going; the next run retries
                log.exception("%s failed", self.name)
