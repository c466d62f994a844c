"""The read audit's table: append-only lines of who read which child's record, and their listing.

It lives beside the read models (its own SQLite file, or a table in the same PostgreSQL),
not in the event store: reads are far more frequent than writes and must not queue behind
the store's write lock. The use case that writes and lists it is
services/usecases/read_audit.py; this module only knows the table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from projections.views import ViewMixin, ts

#: The most lines one listing returns.
MAX_PAGE = 1000


class ReadLogTable(ViewMixin):
    """The append-only table; borrows the read models' backend plumbing, follows no events."""

    name = "read_audit"
    topics = ()
    tables = ("read_audit",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS read_audit ("
        " read_id TEXT PRIMARY KEY, at TEXT NOT NULL, municipality_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " role TEXT NOT NULL, agency_id TEXT, agency_kind TEXT, child_id TEXT NOT NULL, view TEXT NOT NULL,"
        " grounds TEXT NOT NULL, withheld TEXT NOT NULL, detail TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS read_audit_child ON read_audit (child_id, at)",
        "CREATE INDEX IF NOT EXISTS read_audit_municipality ON read_audit (municipality_id, at)",
    )

    def append(self, rows: list[tuple]) -> None:
        """Insert the rows of one read, all or none, committed on return.

        Usually one statement on its own (one round trip on PostgreSQL); a read of many
        children (a caseload) sends several in one transaction, within SQLite's limit on
        the parameters of one statement.
        """
        if len(rows) <= ROWS_PER_STATEMENT:
            self.execute_alone(_insert_rows(len(rows)), [v for row in rows for v in row])
            return
        with self.datastore.transaction(commit=True) as cursor:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                self.run(cursor, _insert_rows(len(chunk)), [v for row in chunk for v in row])

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


#: Audit rows per INSERT (12 parameters each: well within SQLite's 999 of old builds).
ROWS_PER_STATEMENT = 80


def _insert_rows(count: int) -> str:
    return "INSERT INTO read_audit VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)  # noqa: S608 - placeholders only
