"""Processes that start together on one PostgreSQL database (gunicorn's workers, Celery's
pool, a CLI command) all create or check the schema at once, and all of them boot.

Before the schema lock, two workers booting together failed with "tuple concurrently
updated" (eventsourcing's ``CREATE OR REPLACE FUNCTION``) or a duplicate ``pg_type`` row
(``CREATE TABLE IF NOT EXISTS`` racing itself), and gunicorn shut the server down.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from projections.schema_lock import SCHEMA_LOCK_KEY
from services.bootstrap import build
from services.config import Settings
from tests.threads import at_once

pytestmark = pytest.mark.postgres
STARTERS = 6


def start_together(settings: Settings, n: int = STARTERS) -> tuple[list, list[str]]:
    """Build the services in ``n`` threads released at the same moment."""

    def boot() -> tuple[object, str | None]:
        try:
            return build(settings), None
        except Exception as exc:  # every failure is the finding
            return None, repr(exc)

    outcomes = at_once([boot] * n)
    return [s for s, _ in outcomes if s is not None], [e for _, e in outcomes if e is not None]


@pytest.mark.parametrize("round_", range(3))
def test_many_starters_on_a_new_and_then_an_existing_database_all_boot(postgres_settings, round_):
    for phase in ("new database", "existing tables"):
        built, errors = start_together(postgres_settings)
        try:
            assert errors == [], f"{phase}: {errors}"
            assert len(built) == STARTERS
        finally:
            for services in built:
                services.close()
    services = build(postgres_settings)
    try:
        created = services.directory.create_municipality("Gmina Zgodna")
        assert created["id"] in {m["id"] for m in services.directory.list_municipalities()}
    finally:
        services.close()


def test_a_starter_waits_for_the_schema_lock(postgres_settings, postgres_url):
    """The lock is really taken: while someone holds it, a start does not get past the schema."""
    booted = threading.Event()
    holder = psycopg.connect(postgres_url, autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        thread = threading.Thread(target=lambda: (build(postgres_settings).close(), booted.set()))
        thread.start()
        time.sleep(1.5)
        assert not booted.is_set(), "the start went ahead while the schema lock was held"
        holder.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
        thread.join(timeout=60)
        assert booted.is_set()
    finally:
        holder.close()


def test_a_start_on_an_existing_database_waits_for_no_batch_in_flight(postgres_settings, postgres_url):
    """A worker's batch holds row locks on view tables; a process starting meanwhile must not
    need their table locks. ``CREATE INDEX IF NOT EXISTS`` takes one even when the index
    exists, and a start holding one table's lock while waiting for another's deadlocked with
    such a batch, killing a recycled gunicorn worker and with it the server."""
    build(postgres_settings).close()  # the schema exists
    batch = psycopg.connect(postgres_url)  # a transaction left open, as a batch in flight is
    booted = threading.Event()
    try:
        for table in ("timeline_entries", "risk_signals", "deadline_items", "notices", "safehub_events"):
            batch.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")  # what an INSERT takes
        thread = threading.Thread(target=lambda: (build(postgres_settings).close(), booted.set()), daemon=True)
        thread.start()
        thread.join(timeout=20)
        assert booted.is_set(), "the start waited for the batch's tables"
    finally:
        batch.rollback()
        batch.close()
    assert booted.wait(60)
