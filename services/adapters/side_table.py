"""One small table beside the key store: its own SQLite file, or a table in the same PostgreSQL.

The sign-in failure log, the page sessions, the rate limits and the per-subject key store
are small, shared by every worker and written outside the hash-chained event log (the
key store must be: an erasure deletes from it). This base holds the one connection, the
lock around it, the reconnect after PostgreSQL went away, one-transaction batches, and the
'?' placeholders written once for both backends.
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

    def _execute_many(self, sql: str, rows: list[tuple]) -> int:
        """Run one statement for many rows in one transaction (one fsync); return how many rows changed."""
        with self._lock:
            try:
                return self._run_many(sql, rows)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                self._conn = None  # the server went away: reconnect once
                return self._run_many(sql, rows)

    def _run_many(self, sql: str, rows: list[tuple]) -> int:
        self._run("SELECT 1", ())  # open the connection if needed
        if self.postgres_url:
            with self._conn.transaction():  # type: ignore[union-attr]
                cursor = self._conn.cursor()  # type: ignore[union-attr]
                cursor.executemany(sql.replace("?", "%s"), rows)
                return cursor.rowcount
        conn: sqlite3.Connection = self._conn  # type: ignore[assignment]
        before = conn.total_changes
        conn.execute("BEGIN")
        try:
            conn.executemany(sql, rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return conn.total_changes - before

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
