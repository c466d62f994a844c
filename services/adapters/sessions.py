"""Page sessions kept on the server, so signing out (or a new password) ends them for good.

A signed cookie alone cannot be revoked: a copy taken before sign-out worked until it
expired. Now the cookie carries only a random session id (256 bits); this table holds
the SHA-256 of that id (a stolen copy of the table opens no session), the user, the
password stamp at sign-in, when the session started and was last seen, and when it
ended. A session is alive while it has not ended and is younger than ``MAX_AGE``.

Like the sign-in failure log it is a small side table beside the key store (its own
SQLite file on the embedded default, a table in the same PostgreSQL in production), so
every web worker sees the same sessions and an ended one is refused by all of them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from projections.schema_lock import schema_lock_if
from services.adapters.side_table import SideTable
from services.adapters.tokens import token_hash

#: A session ends this long after sign-in, whatever the activity.
MAX_AGE = timedelta(hours=8)
#: Last-seen is written at most this often (not on every page view).
SEEN_EVERY = timedelta(minutes=1)
#: Ended and expired rows are kept this long (who was signed in when), then pruned.
KEEP = timedelta(days=30)

_DDL = (
    "CREATE TABLE IF NOT EXISTS safehub_web_sessions (id_digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, "
    "password_stamp TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, ended_at TEXT)",
    "CREATE INDEX IF NOT EXISTS safehub_web_sessions_user ON safehub_web_sessions (user_id)",
)


@dataclass(frozen=True)
class LiveSession:
    """Who a live session belongs to, and the password stamp it was opened with."""

    user_id: UUID
    password_stamp: str


class SessionLog(SideTable):
    """Start, look up and end page sessions; ``end_all`` ends every session of a user."""

    def __init__(self, *, sqlite_path: Path | None = None, postgres_url: str | None = None):
        super().__init__(sqlite_path=sqlite_path, postgres_url=postgres_url)
        with schema_lock_if(postgres_url):
            for statement in _DDL:
                self._execute(statement)

    def start(self, user_id: UUID, password_stamp: str, now: datetime) -> str:
        """Open a session and return its id (for the cookie only; the table keeps its hash)."""
        session_id = secrets.token_urlsafe(32)
        stamp = _ts(now)
        self._execute(
            "INSERT INTO safehub_web_sessions VALUES (?, ?, ?, ?, ?, NULL)",
            (token_hash(session_id), str(user_id), password_stamp, stamp, stamp),
        )
        self._execute(
            "DELETE FROM safehub_web_sessions WHERE created_at < ?",
            (_ts(now - MAX_AGE - KEEP),),
        )
        return session_id

    def alive(self, session_id: str, now: datetime) -> LiveSession | None:
        """The session's owner if it has not ended nor expired; notes that it was seen."""
        if not session_id or len(session_id) > 100:
            return None
        digest = token_hash(session_id)
        rows = self._execute(
            "SELECT user_id, password_stamp, last_seen_at FROM safehub_web_sessions "
            "WHERE id_digest = ? AND ended_at IS NULL AND created_at > ?",
            (digest, _ts(now - MAX_AGE)),
        )
        if not rows:
            return None
        user_id, stamp, seen = rows[0]
        if seen < _ts(now - SEEN_EVERY):
            self._execute("UPDATE safehub_web_sessions SET last_seen_at = ? WHERE id_digest = ?", (_ts(now), digest))
        return LiveSession(UUID(user_id), stamp)

    def end(self, session_id: str, now: datetime | None = None) -> None:
        """End one session (sign-out): its cookie, and every copy of it, stops working."""
        if session_id:
            self._execute(
                "UPDATE safehub_web_sessions SET ended_at = ? WHERE id_digest = ? AND ended_at IS NULL",
                (_ts(now or datetime.now(UTC)), token_hash(session_id)),
            )

    def end_all(self, user_id: UUID, now: datetime | None = None) -> int:
        """End every open session of a user (a new password, a deactivation); return how many."""
        rows = self._execute(
            "UPDATE safehub_web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL RETURNING id_digest",
            (_ts(now or datetime.now(UTC)), str(user_id)),
        )
        return len(rows)


def _ts(moment: datetime) -> str:
    """A UTC ISO timestamp: text that sorts in time order in both backends."""
    return moment.astimezone(UTC).isoformat()
