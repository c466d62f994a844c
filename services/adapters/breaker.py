"""Fail fast while the database is down: a circuit breaker in front of every API request.

When PostgreSQL goes away, each store call waits for the connection pool (up to its
timeout) and the eventsourcing library retries it up to ten times, so a request could
hang for most of a minute, and once every thread of the web process waits like that new
requests queue behind them. The breaker:

* trips when a store call fails for want of the database, or when a watchdog sees a
  request in flight for more than a second and a TCP probe of the database's port is
  refused (the first requests to meet an outage do not fail, they wait);
* while tripped, answers API requests ``503`` with ``Retry-After`` before they touch the
  store, and makes the waiting requests' next attempt fail at once instead of waiting the
  pool out again (``guard``), so their threads come free within one pool timeout;
* after the pause, probes again: refused means still down (trip again), accepted first
  tests the connections idle in every guarded pool (those that met the outage are dead,
  and a read that takes one outside the library's retries fails) and then lets requests
  through (one that fails trips it again).

Only the PostgreSQL backend has a breaker: the embedded SQLite store is a local file whose
errors (locked, disk full) are answered one by one.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import psycopg_pool.base as psycopg_pool_base
from eventsourcing.persistence import InterfaceError, OperationalError

#: How often a pool tries again to open a connection the outage took (psycopg_pool waits
#: 1, 2, 4, 8... seconds between tries: a pool that lost its connections six seconds into an
#: outage would reconnect eight seconds after the database came back, and every request
#: meanwhile waited out the pool timeout for nothing).
RECONNECT_EVERY = 0.5
#: How long a tripped breaker answers 503 before probing again (also the Retry-After).
PAUSE_SECONDS = 2.0
#: How long the TCP probe of the database port may take.
PROBE_TIMEOUT = 0.5
#: A request in flight this long makes the watchdog probe the database's port...
STUCK_SECONDS = 1.0
#: ...at most this often (a long CSV import or a read waiting for the projections is in
#: flight that long in normal operation too: then the probe finds the port open).
PROBE_EVERY = 0.5


class StoreBreaker:
    """Remembers that the database was unreachable, per web process (shared by its threads)."""

    def __init__(self, database_url: str, pause: float = PAUSE_SECONDS):
        parts = urlsplit(database_url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.pause = pause
        self._open_until = 0.0
        self._lock = threading.Lock()
        self._in_flight: dict[int, float] = {}  # request serial -> when it started
        self._serials = itertools.count()
        self._probed_at = 0.0
        self._watchdog: threading.Thread | None = None
        self._datastores: list[Any] = []

    # --- requests ------------------------------------------------------------------------

    def begin(self) -> int:
        """A request goes to the store; returns its serial for ``end``."""
        serial = next(self._serials)
        with self._lock:
            self._in_flight[serial] = time.monotonic()
            if self._watchdog is None:  # runs while requests are in flight, in the serving process
                self._watchdog = threading.Thread(target=self._watch, name="store-breaker", daemon=True)
                self._watchdog.start()
        return serial

    def end(self, serial: int) -> None:
        """The request is answered."""
        with self._lock:
            self._in_flight.pop(serial, None)

    def trip(self) -> None:
        """The store just failed: answer 503 without trying it for a while."""
        with self._lock:
            self._open_until = time.monotonic() + self.pause

    def is_open(self) -> bool:
        """True while tripped (no probing)."""
        with self._lock:
            return self._open_until > time.monotonic()

    def retry_after(self) -> int | None:
        """Seconds a caller should wait, or None when the request may go to the store."""
        with self._lock:
            if self._open_until == 0.0:
                return None
            remaining = self._open_until - time.monotonic()
            if remaining > 0:
                return max(1, math.ceil(remaining))
            if self._reachable():
                self._refresh_pools()  # under the lock: no request takes a dead connection meanwhile
                self._open_until = 0.0
                return None
            self._open_until = time.monotonic() + self.pause
            return max(1, math.ceil(self.pause))

    # --- the store's connections ---------------------------------------------------------

    def guard(self, datastore: Any) -> None:
        """Wrap a PostgreSQL datastore's ``get_connection``: refuse at once while tripped, trip on failure."""
        original = datastore.get_connection
        breaker = self
        self._datastores.append(datastore)
        steady_reconnects(getattr(datastore, "pool", None))

        @contextlib.contextmanager
        def get_connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if breaker.is_open():
                raise OperationalError("the database is unreachable (circuit breaker open)")
            try:
                with original(*args, **kwargs) as connection:
                    try:
                        yield connection
                    except psycopg.Error as error:
                        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
                            # Closed before the pool takes it back, so the pool drops it: a
                            # connection the server terminated ("administrator command") is
                            # not always seen as broken and would fail the next request too.
                            connection.close()
                        raise
            except (OperationalError, InterfaceError):
                if not breaker._reachable():
                    breaker.trip()
                else:  # back already (a short restart): its siblings in the pools are dead too
                    breaker._refresh_pools()
                raise

        datastore.get_connection = get_connection

    def _refresh_pools(self) -> None:
        """Replace the broken connections idle in the guarded pools (psycopg_pool's check)."""
        for datastore in self._datastores:
            pool = getattr(datastore, "pool", None)
            if pool is not None:
                with contextlib.suppress(Exception):  # a pool never opened or already closed
                    pool.check()

    # --- the watchdog --------------------------------------------------------------------

    def _watch(self) -> None:
        while True:
            time.sleep(0.25)
            with self._lock:
                if not self._in_flight:  # idle: stop; the next request starts a new one
                    self._watchdog = None
                    return
                now = time.monotonic()
                if self._open_until > now or now - self._probed_at < PROBE_EVERY:
                    continue
                if not any(now - started > STUCK_SECONDS for started in self._in_flight.values()):
                    continue
                self._probed_at = now
                if not self._reachable():
                    self._open_until = time.monotonic() + self.pause

    def _reachable(self) -> bool:
        try:
            with socket.create_connection(self.address, timeout=PROBE_TIMEOUT):
                return True
        except OSError:
            return False


def steady_reconnects(pool: Any) -> None:
    """Make ``pool`` retry a lost connection every RECONNECT_EVERY seconds, not with a growing backoff.

    The breaker already keeps requests off the database while it is down, so the tries cost
    one refused TCP connection each; what matters is that the pool is full again within
    half a second of the database's return. Uses psycopg_pool's connection-adding hook;
    a pool without it keeps its own policy.
    """
    add = getattr(pool, "_add_connection", None)
    attempt_class = getattr(psycopg_pool_base, "AttemptWithBackoff", None)
    if add is None or attempt_class is None or getattr(pool, "_steady_reconnects", False):
        return

    class SteadyAttempt(attempt_class):  # type: ignore[misc, valid-type]
        INITIAL_DELAY = RECONNECT_EVERY
        DELAY_JITTER = 0.1
        DELAY_BACKOFF = 1.0

    def add_connection(attempt: Any = None, growing: bool = False) -> None:
        add(attempt or SteadyAttempt(timeout=pool.reconnect_timeout), growing=growing)

    pool._add_connection = add_connection
    pool._steady_reconnects = True
