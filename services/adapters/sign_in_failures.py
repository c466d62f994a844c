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

What is typed into the login field is not always a login: people type their password
there often enough. So the table never holds the text: a row is keyed by an HMAC of the
lower-cased login with the deployment's secret (``tokens.keyed_digest``), which every
worker computes alike and nobody can reverse by guessing without the secret. A table of
an older release, keyed by the login in clear, is dropped when the log opens (its rows
were only lockout counters), and SQLite overwrites deleted rows (``secure_delete``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg

from projections.schema_lock import schema_lock_if
from services.adapters.side_table import SideTable
from services.adapters.tokens import keyed_digest

MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Longest login digested; longer input is cut so a huge field costs nothing more to hash.
MAX_KEY = 200

_DDL = (
    "CREATE TABLE IF NOT EXISTS safehub_sign_in_failures (login_digest TEXT PRIMARY KEY, "
    "failures INTEGER NOT NULL, first_at TEXT NOT NULL, locked_until TEXT)"
)

#: Count one failure and, when it reaches the limit, set the lock: one statement, so
#: concurrent attempts each see their own number. Every SET reads the row as it was.
_COUNT = (
    "INSERT INTO safehub_sign_in_failures VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? END) "
    "ON CONFLICT (login_digest) DO UPDATE SET "
    "failures = CASE WHEN safehub_sign_in_failures.first_at < ? THEN 1 ELSE safehub_sign_in_failures.failures + 1 END, "
    "first_at = CASE WHEN safehub_sign_in_failures.first_at < ? THEN ? ELSE safehub_sign_in_failures.first_at END, "
    "locked_until = CASE WHEN (CASE WHEN safehub_sign_in_failures.first_at < ? THEN 1 "
    "ELSE safehub_sign_in_failures.failures + 1 END) = ? THEN ? ELSE safehub_sign_in_failures.locked_until END "
    "RETURNING failures, locked_until"
)


@dataclass(frozen=True)
class Counted:
    """One attempt's place in its login's window of failures."""

    number: int
    limit: int
    locked_until: datetime | None

    @property
    def locks(self) -> bool:
        """This attempt reached the limit: it locks the login (its password is still checked)."""
        return self.number == self.limit

    @property
    def over(self) -> bool:
        """Attempts past the limit (sent in parallel with the one that locked) are refused."""
        return self.number > self.limit


class FailureLog(SideTable):
    """Count failures per login (by its keyed digest) and answer whether a login is locked now."""

    def __init__(
        self,
        *,
        secret: bytes,
        sqlite_path: Path | None = None,
        postgres_url: str | None = None,
        max_failures: int = MAX_FAILURES,
        lock_minutes: int = LOCK_MINUTES,
    ):
        super().__init__(sqlite_path=sqlite_path, postgres_url=postgres_url)
        if not secret:
            raise ValueError("FailureLog needs the deployment secret to digest logins")
        self.secret = secret
        self.max_failures = max_failures
        self.window = timedelta(minutes=lock_minutes)
        with schema_lock_if(postgres_url):
            self._drop_clear_logins()
            self._execute(_DDL)

    def _drop_clear_logins(self) -> None:
        """An older release keyed the rows by the login as typed: drop that table (counters only)."""
        try:
            self._execute("SELECT login FROM safehub_sign_in_failures WHERE 1 = 0")
        except (sqlite3.OperationalError, psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable):
            return  # no table yet, or already keyed by digest
        self._execute("DROP TABLE safehub_sign_in_failures")

    def _key(self, login: str) -> str:
        """The row's key: an HMAC of the lower-cased login, never the text typed."""
        return keyed_digest(self.secret, "sign-in failure", login.strip().lower()[:MAX_KEY])

    def locked_until(self, login: str, now: datetime) -> datetime | None:
        """When the login's lock ends, or None if it may try now."""
        rows = self._execute(
            "SELECT locked_until FROM safehub_sign_in_failures WHERE login_digest = ?", (self._key(login),)
        )
        if rows and rows[0][0] and datetime.fromisoformat(rows[0][0]) > now:
            return datetime.fromisoformat(rows[0][0])
        return None

    def fail(self, login: str, now: datetime) -> datetime | None:
        """Count one failure; return when the lock ends if this failure locked the login."""
        counted = self.count(login, now)
        return counted.locked_until if counted.locks else None

    def count(self, login: str, now: datetime) -> Counted:
        """Count one attempt (before its password is checked) and say where it falls.

        One statement counts and sets the lock, so guesses sent in parallel each get their
        own number: the one that reaches the limit locks the login (and is still checked),
        any past it are refused. The lock runs for the window from that attempt; by its end
        the window's first failure is stale, so counting starts again from one.
        """
        key, stamp, stale = self._key(login), now.isoformat(), (now - self.window).isoformat()
        until = (now + self.window).isoformat()
        rows = self._execute(
            _COUNT, (key, stamp, self.max_failures, until, stale, stale, stamp, stale, self.max_failures, until)
        )
        number, locked = rows[0]
        if number == 1:
            self.prune(now)
        return Counted(number, self.max_failures, datetime.fromisoformat(locked) if locked else None)

    def succeed(self, login: str) -> None:
        """Forget the failures of a login that signed in."""
        self._execute("DELETE FROM safehub_sign_in_failures WHERE login_digest = ?", (self._key(login),))

    def prune(self, now: datetime) -> None:
        """Drop rows whose window and lock are both over."""
        stale = (now - self.window).isoformat()
        self._execute(
            "DELETE FROM safehub_sign_in_failures WHERE first_at < ? AND (locked_until IS NULL OR locked_until < ?)",
            (stale, now.isoformat()),
        )
