"""Per-user rates (N of a costly request per minute), counted in the database so every
gunicorn worker sees the same count.

The first user of it is the CSV import: a dry run of a full file costs seconds of CPU and
tens of MiB, so one user may start only a few a minute. Process memory would let a caller
spread requests over the workers; so, as for failed sign-ins, a small side table (its own
SQLite file in the embedded mode, a table in the same PostgreSQL in production) holds one
row per (limit, user), counted with a single atomic upsert: a fixed window that starts at
the first request, and every request in it, refused or not, adds one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from projections.schema_lock import schema_lock_if
from services.adapters.side_table import SideTable

_DDL = (
    "CREATE TABLE IF NOT EXISTS safehub_rate_limits (bucket TEXT PRIMARY KEY, "
    "started_at TEXT NOT NULL, hits INTEGER NOT NULL)"
)

#: Count one request: a window older than its length starts again at one. Every SET reads
#: the row as it was, so requests sent together each get their own number.
_COUNT = (
    "INSERT INTO safehub_rate_limits VALUES (?, ?, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN safehub_rate_limits.started_at <= ? THEN 1 ELSE safehub_rate_limits.hits + 1 END, "
    "started_at = CASE WHEN safehub_rate_limits.started_at <= ? THEN ? ELSE safehub_rate_limits.started_at END "
    "RETURNING hits, started_at"
)


class RateLimited(Exception):
    """Too many requests of one kind by one caller: try again in ``retry_after`` seconds."""

    def __init__(self, what: str, limit: int, window_seconds: int, retry_after: int):
        window = "minute" if window_seconds == 60 else f"{window_seconds} s"
        super().__init__(f"at most {limit} {what} per {window}; try again in {retry_after} s")
        self.what = what
        self.limit = limit
        self.window_seconds = window_seconds
        self.retry_after = retry_after


class RateLimits(SideTable):
    """Fixed-window counters per key, shared by every process through the database."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None, window_seconds: int = 60):
        super().__init__(sqlite_path=sqlite_path, postgres_url=postgres_url)
        self.window = timedelta(seconds=window_seconds)
        with schema_lock_if(postgres_url):
            self._execute(_DDL)

    def take(self, what: str, caller: str, limit: int, now: datetime) -> None:
        """Count one request of ``what`` by ``caller``; raise ``RateLimited`` past ``limit`` in the window."""
        now = now.astimezone(UTC)
        stamp, stale = now.isoformat(), (now - self.window).isoformat()
        rows = self._execute(_COUNT, (f"{what}:{caller}", stamp, stale, stale, stamp))
        hits, started = rows[0][0], datetime.fromisoformat(rows[0][1])
        if hits == 1:
            self._execute("DELETE FROM safehub_rate_limits WHERE started_at <= ?", (stale,))
        if hits > limit:
            wait = (started + self.window - now).total_seconds()
            raise RateLimited(what, limit, int(self.window.total_seconds()), max(1, math.ceil(wait)))
