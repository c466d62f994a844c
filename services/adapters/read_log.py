"""The read audit's table: append-only, hash-chained lines of who read which child's record.

It lives beside the read models (its own SQLite file, or a table in the same PostgreSQL),
not in the event store: reads are far more frequent than writes and must not queue behind
the store's write lock. The use case that writes and lists it is
services/usecases/read_audit.py; this module only knows the table and its chain.

Tamper evidence, as for the events (services/adapters/integrity.py): each municipality's
lines form one chain. Line ``n`` (``seq``, counted from 1 per municipality) carries
``link_n = SHA-256(link_{n-1} || record_n)``, ``link_0`` being 64 zeros (hex) and
``record_n`` the UTF-8 JSON array ``[seq, read_id, at, municipality_id, user_id, role,
agency_id, agency_kind, child_id, view, grounds, withheld, detail]`` (compact separators,
non-ASCII kept). A deleted line leaves a gap in ``seq``; an edited, moved or reordered one
breaks its link; a line slipped in without a link is seen too. An auditor who keeps a
chain's head can also detect a truncated tail. One chain per municipality, so two
municipalities' reads never wait for each other, and the auditor verifies its own.

Appends take turns on a municipality's chain: ``BEGIN IMMEDIATE`` on SQLite (the file's
write lock, across processes), a transaction-scoped advisory lock per municipality on
PostgreSQL; a unique index on ``(municipality_id, seq)`` refuses a fork should anything
get past them. Lines written before the chain existed (no ``seq``) are legacy: counted by
the verification, never judged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from projections.views import ViewMixin, ts

#: The most lines one listing returns.
MAX_PAGE = 1000
#: The link before a chain's first line.
GENESIS = "0" * 64
#: Lines read per query while verifying.
VERIFY_PAGE = 1000
#: The columns a line is written with, in the order of its hashed record (after ``seq``).
COLUMNS = (
    "read_id",
    "at",
    "municipality_id",
    "user_id",
    "role",
    "agency_id",
    "agency_kind",
    "child_id",
    "view",
    "grounds",
    "withheld",
    "detail",
)


def read_link(previous: str, seq: int, row: Sequence[Any]) -> str:
    """The chain link of one line (see the module docstring for the algorithm)."""
    record = json.dumps([seq, *row], ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(bytes.fromhex(previous) + record).hexdigest()


class ReadLogTable(ViewMixin):
    """The append-only table; borrows the read models' backend plumbing, follows no events."""

    name = "read_audit"
    topics = ()
    tables = ("read_audit",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS read_audit ("
        " read_id TEXT PRIMARY KEY, at TEXT NOT NULL, municipality_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " role TEXT NOT NULL, agency_id TEXT, agency_kind TEXT, child_id TEXT NOT NULL, view TEXT NOT NULL,"
        " grounds TEXT NOT NULL, withheld TEXT NOT NULL, detail TEXT NOT NULL, seq BIGINT, link TEXT)",
        "CREATE INDEX IF NOT EXISTS read_audit_child ON read_audit (child_id, at)",
        "CREATE INDEX IF NOT EXISTS read_audit_municipality ON read_audit (municipality_id, at)",
    )

    def create_table(self) -> None:
        """Create the table, and give a table from before the chain its two columns and index."""
        super().create_table()  # type: ignore[misc]
        present = self._columns()
        with self.datastore.transaction(commit=True) as cursor:
            for column, kind in (("seq", "BIGINT"), ("link", "TEXT")):
                if column not in present:
                    self.run(cursor, f"ALTER TABLE read_audit ADD COLUMN {column} {kind}")
            if "seq" not in present or not self._chain_index_exists(cursor):
                self.run(
                    cursor, "CREATE UNIQUE INDEX IF NOT EXISTS read_audit_chain ON read_audit (municipality_id, seq)"
                )

    def _columns(self) -> set[str]:
        if self.dialect == "postgres":
            rows = self.query(
                "SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass('read_audit')"
                " AND attnum > 0 AND NOT attisdropped"
            )
        else:
            rows = self.query("SELECT name FROM pragma_table_info('read_audit')")
        return {r["name"] for r in rows}

    def _chain_index_exists(self, cursor: Any) -> bool:
        """Checked first: on PostgreSQL even ``IF NOT EXISTS`` takes the table's lock (see projections.schema_lock)."""
        if self.dialect == "postgres":
            return bool(self.run(cursor, "SELECT to_regclass('read_audit_chain') IS NOT NULL AS found")[0]["found"])
        return bool(self.run(cursor, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'read_audit_chain'"))

    # --- appending ---------------------------------------------------------------------

    def append(self, rows: list[tuple]) -> None:
        """Chain and insert the lines of one read (one municipality's), all or none, committed on return.

        ``rows`` are tuples in :data:`COLUMNS` order. The chain's head is read and extended
        while the municipality's chain is held, so concurrent appends (threads or
        processes) line up one after another.
        """
        if not rows:
            return
        municipality = str(rows[0][2])
        if any(str(row[2]) != municipality for row in rows):
            raise ValueError("one append is one municipality's lines")
        if self.dialect == "postgres":
            with self.datastore.transaction(commit=True) as cursor:
                self.run(cursor, "SELECT pg_advisory_xact_lock(?)", (_lock_key(municipality),))
                self._chain_and_insert(cursor, municipality, rows)
            return
        with self.datastore.get_connection(commit=True) as connection:
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")  # the file's write lock now, not at the first INSERT
            try:
                self._chain_and_insert(cursor, municipality, rows)
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    def _chain_and_insert(self, cursor: Any, municipality: str, rows: list[tuple]) -> None:
        head = self.run(
            cursor,
            "SELECT seq, link FROM read_audit WHERE municipality_id = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            (municipality,),
        )
        seq, previous = (int(head[0]["seq"]), head[0]["link"]) if head else (0, GENESIS)
        chained = []
        for row in rows:
            seq += 1
            previous = read_link(previous, seq, row)
            chained.append((*row, seq, previous))
        marks = ", ".join("?" for _ in range(len(COLUMNS) + 2))
        self.run_many(cursor, f"INSERT INTO read_audit ({', '.join(COLUMNS)}, seq, link) VALUES ({marks})", chained)  # noqa: S608 - constants

    # --- listing -----------------------------------------------------------------------

    def newest(
        self,
        municipality_id: UUID,
        *,
        child_id: UUID | None = None,
        user_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The municipality's lines, newest first, narrowed to a child, a reader and a period."""
        clauses, params = ["municipality_id = ?"], [str(municipality_id)]
        for column, value in (("child_id", child_id), ("user_id", user_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value))
        if since is not None:
            clauses.append("at >= ?")
            params.append(ts(since))
        if until is not None:
            clauses.append("at < ?")
            params.append(ts(until))
        return self.query(
            f"SELECT * FROM read_audit WHERE {' AND '.join(clauses)} ORDER BY at DESC, read_id DESC LIMIT ?",  # noqa: S608 - column names are constants
            (*params, limit),
        )

    # --- verifying ---------------------------------------------------------------------

    def municipalities(self) -> list[str]:
        """Every municipality with a line (each has its own chain)."""
        return [r["municipality_id"] for r in self.query("SELECT DISTINCT municipality_id FROM read_audit ORDER BY 1")]

    def verify_chain(self, municipality_id: UUID | str, expect_head: str | None = None) -> dict:
        """Recompute one municipality's chain; report the first broken place and the legacy lines.

        ``expect_head``, a head an auditor kept from an earlier verification, must appear in
        the intact chain; if it does not, lines were removed from its end or rewritten since.
        """
        municipality = str(municipality_id)
        previous, count, expected, seen = GENESIS, 0, 1, expect_head == GENESIS
        broken = None
        for row in self._chained(municipality):
            if row["seq"] != expected:
                broken = _broken(expected, None, f"read line {expected} is missing (deleted, or its seq was changed)")
                break
            link = read_link(previous, expected, [row[c] for c in COLUMNS])
            if link != row["link"]:
                broken = _broken(
                    expected, row["read_id"], "the read line was altered, moved or reordered (or its link was)"
                )
                break
            previous, count, expected = link, count + 1, expected + 1
            seen = seen or link == expect_head
        unlinked = self.query(
            "SELECT read_id FROM read_audit WHERE municipality_id = ? AND seq IS NULL ORDER BY read_id", (municipality,)
        )
        first = self.query(
            "SELECT read_id FROM read_audit WHERE municipality_id = ? AND seq IS NOT NULL ORDER BY seq LIMIT 1",
            (municipality,),
        )
        start = first[0]["read_id"] if first else None
        legacy = [r for r in unlinked if start is None or r["read_id"] < start]
        slipped = [r for r in unlinked if start is not None and r["read_id"] >= start]
        if broken is None and slipped:
            broken = _broken(None, slipped[0]["read_id"], "a read line without a link (inserted behind safehub's back)")
        report = {
            "municipality_id": municipality,
            "intact": broken is None,
            "count": count,
            "legacy": len(legacy),
            "head": previous,
            "first_broken": broken,
        }
        if expect_head is not None:
            report["expected_head_found"] = seen and broken is None
        return report

    def _chained(self, municipality: str) -> Iterator[dict[str, Any]]:
        after: int | None = None
        while True:
            page = self.query(
                "SELECT * FROM read_audit WHERE municipality_id = ? AND seq IS NOT NULL AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (municipality, -(2**62) if after is None else after, VERIFY_PAGE),
            )
            if not page:
                return
            for row in page:
                row["seq"] = int(row["seq"])
            yield from page
            after = page[-1]["seq"]


def _broken(seq: int | None, read_id: str | None, problem: str) -> dict:
    return {"seq": seq, "read_id": read_id, "problem": problem}


def _lock_key(municipality: str) -> int:
    """The PostgreSQL advisory lock of one municipality's chain: a signed 64-bit number from its id."""
    digest = hashlib.sha256(b"safehub read_audit chain " + municipality.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
