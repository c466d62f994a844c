"""One small table beside the key store: its own SQLite file, or a table in the same PostgreSQL.

The sign-in failure log and the page sessions are both tiny, shared by every web worker
and written on every request that touches them; neither belongs in the hash-chained
event log. This base holds the one connection, the lock around it, the reconnect after
PostgreSQL went away, and the '?' placeholders written once for both backends.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import psycopg

from services.config import private_file


class SideTable:
    """A lazily opened connection to the side table's database; subclasses write the SQL."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None):
        if sqlite_path is None and postgres_url is None:
            raise ValueError(f"{type(self).__name__} needs sqlite_path or postgres_url")
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | psycopg.Connection | None = None

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._run(sql, params)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                self._conn = None  # the server went away: reconnect once
                return self._run(sql, params)

    def _run(self, sql: str, params: tuple) -> list[tuple]:
        if self._conn is None:
            if self.postgres_url:
                self._conn = psycopg.connect(self.postgres_url, autocommit=True, connect_timeout=5)
            else:
                path = self.sqlite_path or Path(":memory:")
                if str(path) != ":memory:":
                    private_file(path)  # owner-only from the first byte (its -wal and -shm follow its mode)
                self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
                # A deleted row's bytes are overwritten, not left in a free page of the file.
                self._conn.execute("PRAGMA secure_delete = ON")
        if self.postgres_url:
            cursor = self._conn.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []
        return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
