"""Move the embedded event store into PostgreSQL: same order, same ids, same bytes.

Stored events are copied as stored (topic and state bytes, never decoded and encoded
again), so whatever the store keeps in them — compression, encryption, a hash chain over
the log — arrives unchanged. Each event keeps its originator id, its version and its
notification id (the log position the projections and any chain refer to); snapshots and
the per-subject keys (wrapped by the master key, copied as stored) are copied too.
Afterwards every event is read back from both stores and compared.

The embedded server must be stopped while this runs; a write during the copy is detected.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

from services.adapters.event_store import SafehubStore, open_store
from services.config import Settings

BATCH = 1000
#: The per-subject key table (services/adapters/keys.py), in a SQLite file beside the log or in PostgreSQL.
KEYS_TABLE = "safehub_subject_keys"


class MigrationError(Exception):
    """The migration cannot go ahead or did not verify; the message says why."""


@dataclass
class MigrationResult:
    """What was copied and checked."""

    events: int
    head: int
    snapshots: int
    verified: int
    subject_keys: int = 0

    def as_dict(self) -> dict:
        """Plain values for ``--json``."""
        return {
            "events": self.events,
            "head": self.head,
            "snapshots": self.snapshots,
            "verified": self.verified,
            "subject_keys": self.subject_keys,
        }


def _table(recorder: Any) -> Any:
    schema = recorder.datastore.schema
    return Identifier(schema, recorder.events_table_name) if schema else Identifier(recorder.events_table_name)


def _count_pg(recorder: Any) -> int:
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(SQL("SELECT COUNT(*) AS n FROM {}").format(_table(recorder)))
        return int(cursor.fetchone()["n"])


def _copy_events(source: SafehubStore, target: SafehubStore, head: int, progress: Callable[[int], None]) -> int:
    """Insert the stored events in log order through the target's own recorder.

    Going through the recorder (not around it) means whatever it does on insert — the
    notification id from its sequence, a hash-chain link — happens as for a live write;
    on an empty database the ids come out as in the source, which ``_verify`` checks.
    """
    copied = position = 0
    while position < head:
        notes = source.recorder.select_notifications(start=position, limit=BATCH, stop=head, inclusive_of_start=False)
        if not notes:
            break
        if notes[0].id != copied + 1 or notes[-1].id != copied + len(notes):
            raise MigrationError(f"the embedded log has a gap after position {copied}: it cannot keep its ids")
        target.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=n.originator_id,
                    originator_version=n.originator_version,
                    topic=n.topic,
                    state=bytes(n.state),
                )
                for n in notes
            ]
        )
        copied += len(notes)
        position = notes[-1].id
        progress(copied)
    return copied


def _copy_snapshots(settings: Settings, source: SafehubStore, target: SafehubStore) -> int:
    if source.snapshots is None or target.snapshots is None:
        return 0
    table = source.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    path = settings.eventsourcing_env()["SQLITE_DBNAME"]
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {table} "  # noqa: S608
            "ORDER BY originator_id, originator_version"
        ).fetchall()
    for start in range(0, len(rows), BATCH):
        target.snapshots.recorder.insert_events(
            [
                StoredEvent(originator_id=UUID(r[0]), originator_version=r[1], topic=r[2], state=bytes(r[3]))
                for r in rows[start : start + BATCH]
            ]
        )
    return len(rows)


def _copy_subject_keys(source: SafehubStore, target_url: str) -> int:
    """Per-subject keys (wrapped by the master key) from their SQLite file into PostgreSQL, as stored."""
    path = getattr(getattr(source, "keys", None), "sqlite_path", None)
    if path is None or not Path(path).exists():
        return 0
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            f"SELECT subject, wrapped, created_at, destroyed_at FROM {KEYS_TABLE} "  # noqa: S608
            "ORDER BY subject"
        ).fetchall()
    with psycopg.connect(target_url, connect_timeout=10) as pg, pg.cursor() as cursor:
        cursor.executemany(
            SQL("INSERT INTO {} (subject, wrapped, created_at, destroyed_at) VALUES (%s, %s, %s, %s)").format(
                Identifier(KEYS_TABLE)
            ),
            rows,
        )
        cursor.execute(
            SQL("SELECT subject, wrapped, created_at, destroyed_at FROM {} ORDER BY subject").format(
                Identifier(KEYS_TABLE)
            )
        )
        copied = [tuple(r) for r in cursor.fetchall()]
    if copied != [tuple(r) for r in rows]:
        raise MigrationError(f"the per-subject keys differ in PostgreSQL ({len(copied)} rows, {len(rows)} here)")
    return len(rows)


def _verify(source: SafehubStore, target: SafehubStore, head: int) -> int:
    """Compare every event: id, originator, version, topic and the stored bytes."""
    checked = position = 0
    while position < head:
        ours = source.recorder.select_notifications(start=position, limit=BATCH, stop=head, inclusive_of_start=False)
        theirs = target.recorder.select_notifications(start=position, limit=BATCH, stop=head, inclusive_of_start=False)
        if not ours:
            break
        for a, b in zip(ours, theirs, strict=False):
            if (a.id, a.originator_id, a.originator_version, a.topic, bytes(a.state)) != (
                b.id,
                b.originator_id,
                b.originator_version,
                b.topic,
                bytes(b.state),
            ):
                raise MigrationError(
                    f"event {a.id} differs in PostgreSQL (got {b.id} {b.originator_id} v{b.originator_version})"
                )
        if len(ours) != len(theirs):
            raise MigrationError(f"after position {position}: {len(ours)} events here, {len(theirs)} in PostgreSQL")
        checked += len(ours)
        position = ours[-1].id
    return checked


def _verify_chain(source: SafehubStore, target: SafehubStore, head: int) -> None:
    """Where the store keeps a hash chain, the last link must be the same on both sides."""
    ours, theirs = getattr(source.recorder, "select_links", None), getattr(target.recorder, "select_links", None)
    if ours is None or theirs is None or head == 0:
        return
    a, b = ours(head - 1, 1), theirs(head - 1, 1)
    if a != b:
        raise MigrationError(f"the hash chain differs at position {head}: {a} here, {b} in PostgreSQL")


def migrate(settings: Settings, target_url: str, progress: Callable[[int], None] = lambda n: None) -> MigrationResult:
    """Copy the embedded store the settings name into the empty PostgreSQL database at ``target_url``."""
    if settings.uses_postgres:
        raise MigrationError("SAFEHUB_DATABASE_URL is set: the source must be the embedded store")
    source = open_store(settings)
    try:
        target = open_store(replace(settings, database_url=target_url, create_tables=True))
    except Exception:
        source.close()
        raise
    try:
        if target.recorder.max_notification_id():
            raise MigrationError("the PostgreSQL database already holds events: migrate into an empty one")
        head = source.recorder.max_notification_id() or 0
        copied = _copy_events(source, target, head, progress)
        snapshots = _copy_snapshots(settings, source, target)
        keys = _copy_subject_keys(source, target_url)
        if (source.recorder.max_notification_id() or 0) != head:
            raise MigrationError(
                "the embedded store was written during the copy: stop the server, "
                "empty the PostgreSQL database and run again"
            )
        count = _count_pg(target.recorder)
        if count != copied or (target.recorder.max_notification_id() or 0) != head:
            raise MigrationError(
                f"PostgreSQL holds {count} events up to {target.recorder.max_notification_id()}, "
                f"copied {copied} up to {head}"
            )
        verified = _verify(source, target, head)
        _verify_chain(source, target, head)
        return MigrationResult(copied, head, snapshots, verified, keys)
    finally:
        target.close()
        source.close()
