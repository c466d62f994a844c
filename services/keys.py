"""Per-subject data keys: destroying a child's key makes its personal data unreadable everywhere.

Each key is random (AES-256), stored wrapped (encrypted) with the master key, apart from
the event store: the log is immutable, the key store is not. Erasure deletes the wrapped
key (SQLite with ``secure_delete``, so the bytes are overwritten) and keeps a tombstone
saying when. A key is never re-created for a subject that was erased.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

#: How long an unwrapped key is kept in memory; a key destroyed by another process stops
#: working here within this time (reads of an erased record are refused before that).
CACHE_SECONDS = 30.0


class KeyErased(Exception):
    """The subject's key was destroyed: its personal data can no longer be read or written."""


def _cipher(key_b64: str) -> AESCipher:
    return AESCipher(Environment(env={"CIPHER_KEY": key_b64}))


class SubjectKeys:
    """Create, use and destroy per-subject keys in SQLite (embedded) or PostgreSQL."""

    def __init__(self, master_key: str, *, sqlite_path: Path | None = None, postgres_url: str | None = None):
        self.master = _cipher(master_key)
        self.sqlite_path = sqlite_path
        self.postgres_url = postgres_url
        self._cache: dict[str, tuple[float, AESCipher]] = {}
        self._lock = threading.Lock()
        self._db_lock = threading.Lock()
        self._conn: sqlite3.Connection | psycopg.Connection | None = None
        self._execute("CREATE TABLE IF NOT EXISTS safehub_subject_keys (subject TEXT PRIMARY KEY, "
                      "wrapped TEXT, created_at TEXT NOT NULL, destroyed_at TEXT)")

    # --- use --------------------------------------------------------------------------

    def seal(self, subject: UUID, plaintext: bytes) -> str:
        """Encrypt with the subject's key (created on first use); refuse an erased subject."""
        cipher = self._key(subject, create=True)
        if cipher is None:
            raise KeyErased(f"the personal data of {subject} was erased")
        return base64.b64encode(cipher.encrypt(plaintext)).decode()

    def ensure(self, subjects: list[UUID]) -> None:
        """Create the keys of many new subjects in one transaction (one fsync, not one each).

        Called before the events that need them are stored, so no event is ever sealed
        with a key that a crash could lose.
        """
        now = time.monotonic()
        with self._lock:
            names = [str(s) for s in subjects
                     if str(s) not in self._cache or now - self._cache[str(s)][0] >= CACHE_SECONDS]
        if not names:
            return
        fresh = [(n, base64.b64encode(self.master.encrypt(AESCipher.create_key(32).encode())).decode(),
                  datetime.now(UTC).isoformat()) for n in names]
        with self._db_lock:
            try:
                self._insert_many(fresh)
            except (psycopg.OperationalError, psycopg.InterfaceError):
                self._conn = None
                self._insert_many(fresh)

    def _insert_many(self, rows: list[tuple[str, str, str]]) -> None:
        self._run("SELECT 1", ())  # open the connection if needed
        statement = "INSERT INTO safehub_subject_keys VALUES (?, ?, ?, NULL) ON CONFLICT (subject) DO NOTHING"
        if self.postgres_url:
            with self._conn.transaction():
                self._conn.cursor().executemany(statement.replace("?", "%s"), rows)
        else:
            self._conn.execute("BEGIN")
            try:
                self._conn.executemany(statement, rows)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def open(self, subject: UUID, box: str) -> bytes | None:
        """Decrypt, or None when the subject's key was destroyed."""
        cipher = self._key(subject, create=False)
        return None if cipher is None else cipher.decrypt(base64.b64decode(box))

    def destroy(self, subject: UUID) -> bool:
        """Destroy the subject's key for good; True if there was one."""
        now = datetime.now(UTC).isoformat()
        existed = self._execute("UPDATE safehub_subject_keys SET wrapped = NULL, destroyed_at = ? "
                                "WHERE subject = ? AND wrapped IS NOT NULL RETURNING subject", (now, str(subject)))
        if not existed:
            self._execute("INSERT INTO safehub_subject_keys VALUES (?, NULL, ?, ?) ON CONFLICT (subject) DO NOTHING",
                          (str(subject), now, now))
        with self._lock:
            self._cache.pop(str(subject), None)
        if self.sqlite_path is not None:
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(existed)

    def is_destroyed(self, subject: UUID) -> bool:
        """True when the subject's key was destroyed."""
        rows = self._execute("SELECT destroyed_at FROM safehub_subject_keys WHERE subject = ?", (str(subject),))
        return bool(rows and rows[0][0])

    # --- storage ----------------------------------------------------------------------

    def _key(self, subject: UUID, create: bool) -> AESCipher | None:
        name = str(subject)
        with self._lock:
            cached = self._cache.get(name)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
        rows = self._execute("SELECT wrapped, destroyed_at FROM safehub_subject_keys WHERE subject = ?", (name,))
        if not rows and create:
            fresh = base64.b64encode(self.master.encrypt(AESCipher.create_key(32).encode())).decode()
            self._execute("INSERT INTO safehub_subject_keys VALUES (?, ?, ?, NULL) ON CONFLICT (subject) DO NOTHING",
                          (name, fresh, datetime.now(UTC).isoformat()))
            rows = self._execute("SELECT wrapped, destroyed_at FROM safehub_subject_keys WHERE subject = ?", (name,))
        if not rows or rows[0][0] is None:
            return None
        cipher = _cipher(self.master.decrypt(base64.b64decode(rows[0][0])).decode())
        with self._lock:
            self._cache[name] = (time.monotonic(), cipher)
        return cipher

    def _execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one autocommitted statement on the (lazily opened, shared) connection."""
        with self._db_lock:
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
                self._conn = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None,
                                             check_same_thread=False)
                self._conn.execute("PRAGMA secure_delete = ON")
        if self.postgres_url:
            cursor = self._conn.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []
        return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._db_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
