"""One lock, held on PostgreSQL while any safehub process creates or checks its tables.

Every process that opens the store (each gunicorn worker, each Celery process, the CLI)
runs ``CREATE ... IF NOT EXISTS`` and eventsourcing's ``CREATE OR REPLACE FUNCTION`` at
start-up. PostgreSQL does not serialise such statements: two workers booting together
fail with "tuple concurrently updated" or a duplicate ``pg_type`` row, and gunicorn
then shuts the whole server down ("Worker failed to boot"). A session advisory lock on
its own connection makes the creators take turns; the second finds everything there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

#: The advisory lock key (any fixed 64-bit number no other code of ours uses).
SCHEMA_LOCK_KEY = 0x5AFE_0B5C_4E3A


@contextmanager
def schema_lock(conninfo: str = "", **connect: Any) -> Iterator[None]:
    """Hold the schema lock while the block runs (the connection's end releases it too)."""
    connect.setdefault("connect_timeout", 30)  # a server that does not answer fails the start, not hangs it
    with psycopg.connect(conninfo, autocommit=True, **connect) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))


class SchemaLocked:
    """Mixin for eventsourcing's PostgreSQL recorders: ``create_table`` under the lock."""

    datastore: Any

    def create_table(self) -> None:
        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        with schema_lock(**kwargs):
            super().create_table()  # type: ignore[misc]
