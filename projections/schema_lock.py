"""One lock, held on PostgreSQL while any safehub process creates or checks its tables.

Every process that opens the store (each gunicorn worker, each Celery process, the CLI)
runs ``CREATE ... IF NOT EXISTS`` and eventsourcing's ``CREATE OR REPLACE FUNCTION`` at
start-up. PostgreSQL does not serialise such statements: two workers booting together
fail with "tuple concurrently updated" or a duplicate ``pg_type`` row, and gunicorn
then shuts the whole server down ("Worker failed to boot"). A session advisory lock on
its own connection makes the creators take turns; the second finds everything there.

Taking it is a new connection (some 8 ms), so a start-up takes it once around all its
tables (``services.bootstrap``) and the recorders' own uses inside that are free.

A table or index that already exists is not created again, not even with ``IF NOT
EXISTS``: PostgreSQL takes the table's lock before it looks, and a start-up's transaction
holding one view table's lock while it waits for another's, which a worker's batch holds
while it waits for the first, is a deadlock that killed a recycled gunicorn worker (and
with it the server) in a soak. Skipping what exists, a process starting on an existing
database takes no table lock at all.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: The advisory lock key (any fixed 64-bit number no other code of ours uses).
SCHEMA_LOCK_KEY = 0x5AFE_0B5C_4E3A

#: The object a ``CREATE TABLE``/``CREATE INDEX ... IF NOT EXISTS`` statement makes.
_CREATES = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+((?:\"[^\"]+\"|\w+)"
    r"(?:\.(?:\"[^\"]+\"|\w+))?)",
    re.IGNORECASE,
)

#: The databases whose schema lock this thread holds now (see :func:`schema_lock`).
_held = threading.local()


@contextmanager
def schema_lock(conninfo: str = "", **connect: Any) -> Iterator[None]:
    """Hold the schema lock of one database while the block runs.

    Nested uses on one thread for the same database share the outer hold (the
    connection's end releases it too, should the process die holding it).
    """
    held: set[tuple] = _held.__dict__.setdefault("databases", set())
    database = _database(conninfo, connect)
    if database in held:
        yield
        return
    connect.setdefault("connect_timeout", 30)  # a server that does not answer fails the start, not hangs it
    with psycopg.connect(conninfo, autocommit=True, **connect) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        held.add(database)
        try:
            yield
        finally:
            held.discard(database)
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


def schema_lock_if(postgres_url: str | None) -> AbstractContextManager[None]:
    """The schema lock on PostgreSQL; nothing on SQLite, which serialises its own DDL."""
    return schema_lock(postgres_url) if postgres_url else nullcontext()


def _database(conninfo: str, connect: dict[str, Any]) -> tuple[str, str, str]:
    """Which database a URL or keyword set names, however it is spelled."""
    params = conninfo_to_dict(make_conninfo(conninfo, **{k: v for k, v in connect.items() if v is not None}))
    return (str(params.get("host", "")), str(params.get("port", "")), str(params.get("dbname", "")))


def created_name(statement: str) -> str | None:
    """The table or index a ``CREATE ... IF NOT EXISTS`` statement makes (None for other DDL)."""
    found = _CREATES.match(statement)
    return found.group(1) if found else None


class SchemaLocked:
    """Mixin for eventsourcing's PostgreSQL recorders: ``create_table`` under the lock, for
    the tables and indexes still missing only."""

    datastore: Any
    sql_create_statements: list

    def create_table(self) -> None:
        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        with schema_lock(**kwargs):
            everything = self.sql_create_statements
            self.sql_create_statements = self._still_missing(everything)
            try:
                super().create_table()  # type: ignore[misc]
            finally:
                self.sql_create_statements = everything

    def _still_missing(self, statements: list) -> list:
        """The statements left once those making an existing table or index are dropped.

        Types and functions stay: creating them takes no table lock (eventsourcing makes
        each type in a transaction of its own, and replaces its functions).
        """
        named = [(s, created_name(s.as_string())) for s in statements]
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NOT NULL",
                (sorted({name for _, name in named if name}),),
            )
            existing = {row["name"] for row in cursor.fetchall()}
        return [s for s, name in named if name not in existing]
