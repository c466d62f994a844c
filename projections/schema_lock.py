"""One lock, held on PostgreSQL while any safehub process creates or checks its tables.

Every process that opens the store (each gunicorn worker, each Celery process, the CLI)
runs ``CREATE ... IF NOT EXISTS`` and eventsourcing's ``CREATE OR REPLACE FUNCTION`` at
start-up. PostgreSQL does not serialise such statements: two workers booting together
fail with "tuple concurrently updated" or a duplicate ``pg_type`` row, and gunicorn
then shuts the whole server down ("Worker failed to boot"). A session advisory lock on
its own connection makes the creators take turns; the second finds everything there.

Taking it is a new connection (some 8 ms), so a start-up takes it once around all its
tables (``services.bootstrap``) and the recorders' own uses inside that are free.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

#: The advisory lock key (any fixed 64-bit number no other code of ours uses).
SCHEMA_LOCK_KEY = 0x5AFE_0B5C_4E3A

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


class SchemaLocked:
    """Mixin for eventsourcing's PostgreSQL recorders: ``create_table`` under the lock."""

    datastore: Any

    def create_table(self) -> None:
        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        with schema_lock(**kwargs):
            super().create_table()  # type: ignore[misc]
