"""Fail fast while the database is down: a circuit breaker in front of every API request.

When PostgreSQL goes away, each store call waits for the connection pool and the
eventsourcing library retries it (up to ten times), so a request could hang for most of a
minute and every thread of the web process would pile up behind it. The first request to
meet the outage trips the breaker; from then on requests are answered ``503`` with a
``Retry-After`` at once, without touching the store. Once the pause is over, a cheap TCP
probe of the database's port decides: refused means still down (trip again), accepted
lets requests through (and a request that fails trips it again).

Only the PostgreSQL backend has a breaker: the embedded SQLite store is a local file whose
errors (locked, disk full) are answered one by one.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from urllib.parse import urlsplit

#: How long a tripped breaker answers 503 before probing again (also the Retry-After).
PAUSE_SECONDS = 2.0
#: How long the TCP probe of the database port may take.
PROBE_TIMEOUT = 0.5


class StoreBreaker:
    """Remembers that the database was unreachable, per web process (shared by its threads)."""

    def __init__(self, database_url: str, pause: float = PAUSE_SECONDS):
        parts = urlsplit(database_url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.pause = pause
        self._open_until = 0.0
        self._lock = threading.Lock()

    def trip(self) -> None:
        """The store just failed: answer 503 without trying it for a while."""
        with self._lock:
            self._open_until = time.monotonic() + self.pause

    def retry_after(self) -> int | None:
        """Seconds a caller should wait, or None when the request may go to the store."""
        with self._lock:
            remaining = self._open_until - time.monotonic()
            if self._open_until == 0.0:
                return None
            if remaining > 0:
                return max(1, math.ceil(remaining))
            if self._reachable():
                self._open_until = 0.0
                return None
            self._open_until = time.monotonic() + self.pause
            return max(1, math.ceil(self.pause))

    def _reachable(self) -> bool:
        try:
            with socket.create_connection(self.address, timeout=PROBE_TIMEOUT):
                return True
        except OSError:
            return False
