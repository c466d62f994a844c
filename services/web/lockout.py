"""Failed sign-ins, counted in the database so every gunicorn worker sees the same count.

A login is locked for ``LOCK_MINUTES`` after ``MAX_FAILURES`` failures within that window.
Process memory would let an attacker spread guesses over the workers; an event per failed
guess would fill the permanent, hash-chained log with noise. So a small side table
(beside the key store: its own SQLite file, or a table in the same PostgreSQL) holds one
row per login, updated with a single atomic upsert.

Denial of service: anyone who knows a login can keep it locked. The lock is short and
per login (not per address, which a botnet evades), a locked login is refused before its
password is checked (no argon2 work to amplify), and unknown logins are counted the same
way so the answer never tells which logins exist. Rows past their window are pruned.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from projections.schema_lock import schema_lock_if

MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Longest login stored; longer input is cut so the table cannot be stuffed with huge keys.
MAX_KEY = 64

_DDL = ("CREATE TABLE IF NOT EXISTS safehub_sign_in_failures (login TEXT PRIMARY KEY, "
        "failures INTEGER NOT NULL, first_at TEXT NOT NULL, locked_until TEXT)")


class FailureLog:
    """Count failures per login and answer whether a login is locked now."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None,
                 max_failures: int = MAX_FAILURES, lock_minutes: int = LOCK_MINUTES):
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self.max_failures = max_failures
        self.window = timedelta(minutes=lock_minutes)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | psycopg.Connection | None = None
        with schema_lock_if(postgres_url):
            self._execute(_DDL)

    def locked_until(self, login: str, now: datetime) -> datetime | None:
        """When the login's lock ends, or None if it may try now."""
        rows = self._execute("SELECT locked_until FROM safehub_sign_in_failures WHERE login = ?", (_key(login),))
        if rows and rows[0][0] and datetime.fromisoformat(rows[0][0]) > now:
            return datetime.fromisoformat(rows[0][0])
        return None

    def fail(self, login: str, now: datetime) -> datetime | None:
        """Count one failure; return when the lock ends if this failure locked the login."""
        key, stamp, stale = _key(login), now.isoformat(), (now - self.window).isoformat()
        rows = self._execute(
            "INSERT INTO safehub_sign_in_failures VALUES (?, 1, ?, NULL) ON CONFLICT (login) DO UPDATE SET "
            "failures = CASE WHEN safehub_sign_in_failures.first_at < ? THEN 1 "
            "ELSE safehub_sign_in_failures.failures + 1 END, "
            "first_at = CASE WHEN safehub_sign_in_failures.first_at < ? THEN ? "
            "ELSE safehub_sign_in_failures.first_at END RETURNING failures",
            (key, stamp, stale, stale, stamp))
        if rows and rows[0][0] >= self.max_failures:
            until = now + self.window
            self._execute("UPDATE safehub_sign_in_failures SET locked_until = ?, failures = 0, first_at = ? "
                          "WHERE login = ?", (until.isoformat(), stamp, key))
            return until
        if rows and rows[0][0] == 1:
            self.prune(now)
        return None

    def succeed(self, login: str) -> None:
        """Forget the failures of a login that signed in."""
        self._execute("DELETE FROM safehub_sign_in_failures WHERE login = ?", (_key(login),))

    def prune(self, now: datetime) -> None:
        """Drop rows whose window and lock are both over."""
        stale = (now - self.window).isoformat()
        self._execute("DELETE FROM safehub_sign_in_failures WHERE first_at < ? AND "
                      "(locked_until IS NULL OR locked_until < ?)", (stale, now.isoformat()))

    # --- storage ----------------------------------------------------------------------

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
                if self.sqlite_path is None:
                    raise ValueError("FailureLog needs sqlite_path or postgres_url")
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None,
                                             check_same_thread=False)
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


def _key(login: str) -> str:
    return login.strip().lower()[:MAX_KEY]
