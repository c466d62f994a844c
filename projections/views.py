"""Read-model storage on eventsourcing's tracking recorders, for SQLite and PostgreSQL.

A view is a tracking recorder that also owns some tables. Each batch of events changes
the tables and advances the tracked position in ONE transaction, so a crash leaves the
view either before the batch or after it, never half way, and a batch applied twice is
refused by the tracking row instead of being counted twice.

The SQL is written once with ``?`` placeholders and portable types; the dialect class
is chosen at run time. On SQLite each view has its own file (the library's tracking
table is one per database); on PostgreSQL each view has its own tracking table.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.persistence import InfrastructureFactory, IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment, get_topic
from psycopg.sql import SQL, Identifier

from projections.schema_lock import SchemaLocked

log = logging.getLogger("safehub.projections")

#: The name of the application whose notification log every view follows.
FOLLOWED = "safehub"
#: A batch sends its queued inserts when this many are queued or a second has passed.
FLUSH_ROWS = 1000
FLUSH_SECONDS = 1.0
#: Ids per statement of :meth:`ViewMixin.query_in`.
IN_CHUNK = 500
#: Tries at truncating a view's write-ahead log after an erasure (a reader may hold an older snapshot).
CHECKPOINT_TRIES = 50


def ts(moment: datetime) -> str:
    """Format a moment as fixed-width UTC text, so text order is time order in both databases."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime's %Y does not pad such a year; keep its exact text
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as the strftime above, several times quicker (a rebuild formats millions).
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_ts(text: str) -> datetime:
    """Read a moment written by :func:`ts`."""
    return datetime.fromisoformat(text)  # 3.11 reads the trailing Z as UTC


def topics_of(*classes: type) -> tuple[str, ...]:
    """The stored topics of event classes, for filtering the log in the database."""
    return tuple(get_topic(c) for c in classes)


class ViewMixin:
    """What every read model shares; combined with a dialect's tracking recorder."""

    name: ClassVar[str]
    topics: ClassVar[tuple[str, ...]]
    tables: ClassVar[tuple[str, ...]]
    ddl: ClassVar[tuple[str, ...]]
    dialect: ClassVar[str] = "sqlite"
    #: Whether ``apply`` reads personal fields (``domain.personal_data``). A view that does
    #: not gets its events with those fields left sealed and absent (no key is looked up).
    personal_data: ClassVar[bool] = True
    datastore: Any
    #: Inserts queued during a batch (see :meth:`defer`); None outside a batch.
    _deferred: list[tuple[str, tuple]] | None = None
    #: The cursor of the batch in progress (a reader on another thread never flushes its queue).
    _batch_cursor: Any = None
    #: When the batch in progress last sent a statement (see :meth:`defer`).
    _sent_at: float = 0.0
    #: Tables the batch in progress scrubbed of an erased person's texts (see :meth:`after_scrub`).
    _scrubbed: set[str] = frozenset()  # type: ignore[assignment]
    #: Scrubbed tables whose storage is still to be cleared (a checkpoint that found readers in the way).
    _owed: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.dialect == "postgres":
            self.sql_create_statements.extend(SQL(s) for s in self.ddl)  # type: ignore[attr-defined]

    def construct_create_table_statements(self) -> list[str]:
        """Add the view's tables to the SQLite tracking table (PostgreSQL uses the list above)."""
        return [*super().construct_create_table_statements(), *self.ddl]  # type: ignore[misc]

    # --- writing ---------------------------------------------------------------------

    def apply_batch(self, events: Sequence[tuple[Any, int]], position: int, start: int | None = None) -> None:
        """Apply events (with their log positions) and track ``position``, atomically.

        With ``start`` (the position the batch was read after) the batch is refused unless
        the view is still there, checked under a lock on the tracking row: another puller
        that got further first, or a reset, makes this batch fail instead of double it.
        """
        self._scrubbed = set()
        with self.datastore.transaction(commit=True) as cursor:
            if self.dialect == "sqlite":  # this batch's deletes and overwrites zero the old bytes
                cursor.execute("PRAGMA secure_delete = ON")
            if start is not None:
                self._claim(cursor, start)
            self._deferred, self._batch_cursor, self._sent_at = [], cursor, time.monotonic()
            try:
                for event, event_position in events:
                    self.apply(cursor, event, event_position)
                self.finish_batch(cursor)
                self._flush(cursor)
            finally:
                self._deferred, self._batch_cursor = None, None
            self._insert_tracking(cursor, Tracking(FOLLOWED, position))  # type: ignore[attr-defined]
        owed, self._scrubbed = self._owed | self._scrubbed, set()
        if owed:
            try:
                self.after_scrub(sorted(owed))
                self._owed = frozenset()
            except Exception:  # the scrub itself committed: the next batch tries this again
                self._owed = frozenset(owed)
                log.exception("%s: could not clear the scrubbed bytes after an erasure; retrying", self.name)

    def scrubbed(self, *tables: str) -> None:
        """Note that this batch scrubbed personal text from these tables (see :meth:`after_scrub`)."""
        self._scrubbed.update(tables)

    def after_scrub(self, tables: Sequence[str]) -> None:
        """Leave no copy of the scrubbed bytes in the view's storage, once the erasure's batch committed.

        SQLite: every view connection runs with ``secure_delete`` (freed cells and pages are
        zeroed), but the write-ahead log still holds the pages as they were before the
        erasure; a ``wal_checkpoint(TRUNCATE)`` copies the scrubbed pages into the database
        and cuts the log to zero bytes (retried while a reader holds an older snapshot).

        PostgreSQL: an UPDATE leaves the old row version in the table as a dead tuple, and
        VACUUM only marks its space free, it does not overwrite it. ``VACUUM FULL`` of each
        scrubbed table rewrites the table (and its indexes) into new files holding only the
        live rows, and drops the old files, so no page of the database holds the text once
        this returns; it locks the table for the rewrite (erasures are rare and the tables
        a municipality's size). What it cannot reach, and the deployment must bound: the
        server's WAL segments (recycled after checkpoints) and any WAL archive or replica
        keep the pre-erasure row images until they expire; blocks of dropped files are
        freed, not wiped, by the file system (use encrypted storage).
        """
        if self.dialect == "postgres":
            with self.datastore.get_connection() as connection, connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(SQL("VACUUM (FULL) {0}").format(Identifier(table)))
            return
        for attempt in range(CHECKPOINT_TRIES):
            with self.datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = cursor.fetchone()[0]
            if not busy:
                return
            time.sleep(0.01 * (attempt + 1))
        raise RuntimeError(f"{self.name}: the write-ahead log could not be truncated after an erasure")

    def finish_batch(self, cursor: Any) -> None:
        """Write what a view kept in memory for the batch (runs before the batch commits)."""

    def defer(self, cursor: Any, statement: str, params: Sequence[Any]) -> None:
        """Queue an INSERT of a new row, to be sent with others like it in one ``executemany``.

        Only for statements whose relative order does not matter (inserting distinct new
        rows): any other statement through :meth:`run` sends the queue first, so reads and
        updates always see every earlier write of the batch. Outside a batch it runs now.
        """
        if self._deferred is None or cursor is not self._batch_cursor:
            self.run(cursor, statement, params)
            return
        self._deferred.append((statement, tuple(params)))
        if len(self._deferred) >= FLUSH_ROWS or time.monotonic() - self._sent_at > FLUSH_SECONDS:
            # PostgreSQL ends a transaction idle for a few seconds (eventsourcing sets
            # idle_in_transaction_session_timeout): a batch busy in Python, judging a child
            # with a long history, still talks to it at least once a second.
            self._flush(cursor)

    def run_many(self, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one portable statement for many parameter rows, after the queued inserts."""
        if self._deferred and cursor is self._batch_cursor:
            self._flush(cursor)
        if rows:
            cursor.executemany(
                statement.replace("?", "%s") if self.dialect == "postgres" else statement, [tuple(r) for r in rows]
            )

    def _flush(self, cursor: Any) -> None:
        """Send the queued inserts, one ``executemany`` per statement (one round trip on PostgreSQL)."""
        queued, self._deferred = self._deferred, ([] if self._deferred is not None else None)
        self._sent_at = time.monotonic()
        if not queued:
            return
        by_statement: dict[str, list[tuple]] = {}
        for statement, params in queued:
            by_statement.setdefault(statement, []).append(params)
        for statement, rows in by_statement.items():
            if self.dialect == "postgres":
                statement = statement.replace("?", "%s")
            cursor.executemany(statement, rows)

    def _claim(self, cursor: Any, start: int) -> None:
        """Lock the tracking row at ``start`` (create it at 0 for a view that has none yet)."""
        tracking = getattr(self, "tracking_table_name", "tracking")
        if self.run(
            cursor,
            f"UPDATE {tracking} SET notification_id = notification_id "  # noqa: S608
            "WHERE application_name = ? AND notification_id = ? RETURNING notification_id",
            (FOLLOWED, start),
        ):
            return
        if start == 0:  # nothing tracked yet: take the row (a concurrent taker conflicts on the key)
            self.run(cursor, f"INSERT INTO {tracking} VALUES (?, 0)", (FOLLOWED,))  # noqa: S608
            return
        raise IntegrityError(f"{self.name}: the view is no longer at {start}")

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Change the tables for one event (subclasses dispatch on the event's type)."""
        raise NotImplementedError

    def run(self, cursor: Any, statement: str, params: Sequence[Any] = ()) -> list[dict]:
        """Execute portable SQL in the current transaction and return rows as dicts."""
        if cursor is self._batch_cursor:  # readers on other threads have their own cursor
            self._flush(cursor)  # also notes when the batch last talked to the database
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        cursor.execute(statement, tuple(params))
        if self.dialect == "postgres" and cursor.description is None:
            return []  # INSERT/UPDATE/DELETE without RETURNING
        return [dict(r) for r in cursor.fetchall()]

    # --- reading ---------------------------------------------------------------------

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict]:
        """Run one read-only statement on its own: a transaction of its own, without BEGIN and ROLLBACK.

        Every read of a timeline makes a few of these; on PostgreSQL an explicit transaction
        around each would cost two more round trips to the server.
        """
        if self.dialect == "postgres":
            with self.datastore.get_connection() as connection, connection.cursor() as cursor:
                cursor.execute(statement.replace("?", "%s"), tuple(params))
                return [dict(r) for r in cursor.fetchall()] if cursor.description is not None else []
        with self.datastore.get_connection(commit=False) as connection, connection.cursor() as cursor:
            cursor.execute(statement, tuple(params))
            return [dict(r) for r in cursor.fetchall()]

    def query_in(self, statement: str, ids: Sequence[str]) -> list[dict]:
        """Run ``statement`` for many ids, ``{marks}`` standing for one chunk's placeholders.

        A chunk at a time (``IN_CHUNK`` ids, well under every database's limit on
        parameters); the rows are the chunks' rows one after another.
        """
        rows: list[dict] = []
        for start in range(0, len(ids), IN_CHUNK):
            chunk = list(ids[start : start + IN_CHUNK])
            rows += self.query(statement.format(marks=", ".join("?" for _ in chunk)), chunk)
        return rows

    def execute_alone(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one writing statement as its own transaction (committed when it returns)."""
        if self.dialect == "postgres":
            with self.datastore.get_connection() as connection, connection.cursor() as cursor:
                cursor.execute(statement.replace("?", "%s"), tuple(params))
            return
        with self.datastore.get_connection(commit=True) as connection, connection.cursor() as cursor:
            cursor.execute(statement, tuple(params))

    def position(self) -> int:
        """The notification id up to which this view has applied the log."""
        return self.max_tracking_id(FOLLOWED) or 0  # type: ignore[attr-defined]

    def dump(self) -> dict[str, list[dict]]:
        """Every row of every table, in a stable order (to compare a rebuild with live)."""
        out = {}
        for table in self.tables:
            rows = self.query(f"SELECT * FROM {table}")  # noqa: S608 - table names are constants
            out[table] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        return out

    def reset(self) -> None:
        """Empty the tables and forget the position, so the next catch-up starts from zero."""
        tracking = getattr(self, "tracking_table_name", "tracking")
        with self.datastore.transaction(commit=True) as cursor:
            # Lock the position row first: a batch in flight either commits before the
            # deletes (and is deleted with the rest) or finds the row gone and rolls back.
            self.run(
                cursor,
                f"UPDATE {tracking} SET notification_id = notification_id "  # noqa: S608
                "WHERE application_name = ?",
                (FOLLOWED,),
            )
            for table in self.tables:
                self.run(cursor, f"DELETE FROM {table}")  # noqa: S608 - table names are constants
            self.run(cursor, f"DELETE FROM {tracking} WHERE application_name = ?", (FOLLOWED,))  # noqa: S608


def open_view(view_class: type[ViewMixin], env: dict[str, str]) -> ViewMixin:
    """Build the view on the backend ``env`` names, creating its tables if needed."""
    factory = InfrastructureFactory.construct(Environment(view_class.name, env))
    is_pg = env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres"
    bases = (view_class, SchemaLocked, PostgresTrackingRecorder) if is_pg else (view_class, SQLiteTrackingRecorder)
    dialect_class = type(
        f"{'Postgres' if is_pg else 'SQLite'}{view_class.__name__}",
        bases,
        {"dialect": "postgres" if is_pg else "sqlite"},
    )
    view = factory.tracking_recorder(dialect_class)
    if not is_pg:
        _secure_delete(view.datastore.pool)
    return view  # type: ignore[return-value]


def _secure_delete(pool: Any) -> None:
    """Open every later connection of this SQLite pool with ``secure_delete`` on (freed bytes zeroed).

    Batches also set it on their own connection (those opened before this ran included).
    """
    create = pool._create_connection

    def create_secure() -> Any:
        connection = create()
        connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
        return connection

    pool._create_connection = create_secure


def as_json(value: Any) -> str:
    """Serialise a JSON column."""
    return json.dumps(value, ensure_ascii=False, default=str)


def rows_by(rows: Iterable[dict], key: str) -> dict[Any, dict]:
    """Index rows by one column."""
    return {r[key]: r for r in rows}
