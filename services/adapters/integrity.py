"""Tamper evidence: a hash chain over the stored events, written with them, verifiable by anyone.

Each stored event gets a link: ``link_n = SHA-256(link_{n-1} || record_n)``, where
``link_0`` is 64 zeros (hex) and ``record_n`` is the UTF-8 text
``"{notification_id}|{originator_id}|{originator_version}|{topic}|"`` (the originator id
in its canonical 8-4-4-4-12 form) followed by the event's stored bytes exactly as they
sit in the database (encrypted, when encryption is on). The link is inserted in the same
transaction as the event, under the store's write lock, so links follow commit order.

Altering, removing or reordering a stored event breaks the link at that event and every
link after it; ``verify`` names the first one. An auditor who keeps the head hash of an
earlier verification can also detect a truncated or wholly rewritten tail.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg.sql import SQL, Identifier

from projections.schema_lock import SchemaLocked

GENESIS = "0" * 64
PAGE = 1000


def link(previous: str, notification_id: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    """The chain link of one stored event (see the module docstring for the algorithm)."""
    record = f"{notification_id}|{UUID(str(originator_id))}|{version}|{topic}|".encode() + bytes(state)
    return hashlib.sha256(bytes.fromhex(previous) + record).hexdigest()


class SQLiteChainedRecorder(SQLiteApplicationRecorder):
    """The SQLite event store, with a link per event in ``event_chain``."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS event_chain (notification_id INTEGER PRIMARY KEY, link TEXT NOT NULL)",
        ]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any):
        ids = super()._insert_events(c, stored_events, **kwargs)
        c.execute("SELECT link FROM event_chain ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        previous = row[0] if row else GENESIS
        for notification_id, event in zip(ids or [], stored_events, strict=True):
            previous = link(
                previous, notification_id, event.originator_id, event.originator_version, event.topic, event.state
            )
            c.execute("INSERT INTO event_chain VALUES (?, ?)", (notification_id, previous))
        return ids

    def select_links(self, after: int, limit: int) -> list[tuple[int, str]]:
        """Chain rows after a notification id, in order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT notification_id, link FROM event_chain WHERE notification_id > ? "
                "ORDER BY notification_id LIMIT ?",
                (after, limit),
            )
            return [(r[0], r[1]) for r in c.fetchall()]


class PostgresChainedRecorder(SchemaLocked, PostgresApplicationRecorder):
    """The PostgreSQL event store, with a link per event in ``<events>_chain``.

    A large save (a bulk import writes hundreds of thousands of events in one all-or-nothing
    save) is written in chunks of ``CHUNK`` events, still in one transaction under the
    table lock, and without psycopg's pipeline mode: one pipelined statement of tens of
    thousands of events never returns (psycopg waits in ``Pipeline.sync`` while the server
    waits for the rest of the query), so such an import hung forever.
    """

    CHUNK = 5000

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.chain_table = f"{self.events_table_name}_chain"
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (notification_id BIGINT PRIMARY KEY, link TEXT NOT NULL)").format(
                Identifier(self.datastore.schema), Identifier(self.chain_table)
            )
        )
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        self._last_link_statement = SQL("SELECT link FROM {0} ORDER BY notification_id DESC LIMIT 1").format(table)
        self._insert_links_statement = SQL(
            "INSERT INTO {0} (notification_id, link) SELECT * FROM unnest(%s::bigint[], %s::text[])"
        ).format(table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if len(stored_events) <= self.CHUNK:
            return super().insert_events(stored_events, **kwargs)
        return self._insert_in_chunks(stored_events, **kwargs)

    def _insert_in_chunks(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        """One transaction, one table lock, the events and their links sent ``CHUNK`` at a time.

        Each chunk's links are written as soon as its ids are known: hashing all of a large
        import's links at the end kept the transaction idle past the server's
        ``idle_in_transaction_session_timeout``, which then ended the connection.
        """
        ids: list[int] = []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            self._lock_table(curs)
            self._notify_channel(curs)
            previous = self._last_link(curs)
            for start in range(0, len(stored_events), self.CHUNK):
                chunk = stored_events[start : start + self.CHUNK]
                rows = [
                    self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                    for e in chunk
                ]
                curs.execute(self.insert_events_statement, (rows,))  # ends "RETURNING notification_id"
                chunk_ids = [row["notification_id"] for row in curs.fetchall()]
                previous = self._write_links(curs, previous, chunk_ids, chunk)
                ids.extend(chunk_ids)
        return ids

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any):
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._write_links(curs, self._last_link(curs), ids or [], stored_events)
        return ids

    def _last_link(self, curs: Any) -> str:
        """The chain's head; read inside the insert's transaction and its exclusive table lock."""
        curs.execute(self._last_link_statement)
        row = curs.fetchone()
        return row["link"] if row else GENESIS

    def _write_links(self, curs: Any, previous: str, ids: Sequence[int], stored_events: Sequence[StoredEvent]) -> str:
        """Chain these events after ``previous``; return the new head."""
        links = []
        for notification_id, event in zip(ids, stored_events, strict=True):
            previous = link(
                previous, notification_id, event.originator_id, event.originator_version, event.topic, event.state
            )
            links.append(previous)
        if ids:
            curs.execute(self._insert_links_statement, (list(ids), links))
        return previous

    def select_links(self, after: int, limit: int) -> list[tuple[int, str]]:
        """Chain rows after a notification id, in order."""
        table = SQL("{0}.{1}").format(Identifier(self.datastore.schema), Identifier(self.chain_table))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, link FROM {0} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(table),
                (after, limit),
            )
            return [(r["notification_id"], r["link"]) for r in curs.fetchall()]


def _pages(fetch: Any) -> Iterator[Any]:
    """Iterate over ``fetch(after)`` pages until one comes back empty."""
    after = 0
    while True:
        page = fetch(after)
        if not page:
            return
        yield from page
        after = page[-1][0] if isinstance(page[-1], tuple) else page[-1].id


def verify(recorder: Any, expect_head: str | None = None) -> dict:
    """Recompute the chain over the stored events and report the first broken link.

    ``expect_head``, a head an auditor kept from an earlier verification, must appear in
    the intact chain; if it does not, the history was truncated or rewritten since.
    """
    report = _walk(recorder, expect_head)
    if expect_head is None:
        report.pop("expected_head_found")
    return report


def _walk(recorder: Any, expect_head: str | None) -> dict:
    events = _pages(lambda after: recorder.select_notifications(after, PAGE, inclusive_of_start=False))
    links = _pages(lambda after: recorder.select_links(after, PAGE))
    previous, count, seen = GENESIS, 0, expect_head == GENESIS
    event, chained = next(events, None), next(links, None)
    while event is not None or chained is not None:
        problem = _mismatch(event, chained)
        if problem:
            return {
                "intact": False,
                "count": count,
                "head": previous,
                "first_broken": problem,
                "expected_head_found": False,
            }
        expected = link(previous, event.id, event.originator_id, event.originator_version, event.topic, event.state)
        if expected != chained[1]:
            return {
                "intact": False,
                "count": count,
                "head": previous,
                "expected_head_found": False,
                "first_broken": {
                    "notification_id": event.id,
                    "problem": "the stored event was altered (or its link was)",
                    "expected_link": expected,
                    "stored_link": chained[1],
                },
            }
        previous, count = expected, count + 1
        seen = seen or expected == expect_head
        event, chained = next(events, None), next(links, None)
    return {"intact": True, "count": count, "head": previous, "first_broken": None, "expected_head_found": seen}


def _mismatch(event: Any, chained: tuple[int, str] | None) -> dict | None:
    if chained is None:
        return {"notification_id": event.id, "problem": "an event without a link (inserted behind safehub's back)"}
    if event is None or event.id > chained[0]:
        return {"notification_id": chained[0], "problem": "a linked event is missing (removed or renumbered)"}
    if event.id < chained[0]:
        return {"notification_id": event.id, "problem": "an event without a link (inserted or renumbered)"}
    return None


def export_lines(recorder: Any) -> Iterator[str]:
    """JSON lines an auditor can verify with the algorithm above and nothing else."""
    links = _pages(lambda after: recorder.select_links(after, PAGE))
    for event in _pages(lambda after: recorder.select_notifications(after, PAGE, inclusive_of_start=False)):
        chained = next(links, (None, None))
        yield json.dumps(
            {
                "notification_id": event.id,
                "originator_id": str(UUID(str(event.originator_id))),
                "originator_version": event.originator_version,
                "topic": event.topic,
                "state": base64.b64encode(bytes(event.state)).decode(),
                "link": chained[1],
            }
        )
