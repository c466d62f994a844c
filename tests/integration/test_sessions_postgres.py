"""Findings 7 and 10 on PostgreSQL: page sessions end on the server for every worker, and the
sign-in failure table holds no login as typed (an older table keyed by clear logins is dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest

from services.adapters.sessions import SessionLog
from services.adapters.sign_in_failures import FailureLog

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
TYPED = "Zimowy-Poranek-2026!"


def test_a_session_ended_by_one_worker_is_dead_for_the_other(postgres_url):
    first, second = SessionLog(postgres_url=postgres_url), SessionLog(postgres_url=postgres_url)
    try:
        user = uuid4()
        sid = first.start(user, "stamp", NOW)
        other = first.start(user, "stamp", NOW)
        assert second.alive(sid, NOW + timedelta(minutes=5)).user_id == user
        second.end(sid, NOW)
        assert first.alive(sid, NOW) is None and first.alive(other, NOW) is not None
        assert first.end_all(user, NOW) == 1 and second.alive(other, NOW) is None
        assert first.alive(first.start(user, "stamp", NOW), NOW + timedelta(hours=8, seconds=1)) is None
    finally:
        first.close()
        second.close()


def test_the_failure_table_never_holds_the_login_typed(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as old:  # an older release's table
        old.execute(
            "CREATE TABLE safehub_sign_in_failures (login TEXT PRIMARY KEY, "
            "failures INTEGER NOT NULL, first_at TEXT NOT NULL, locked_until TEXT)"
        )
        old.execute("INSERT INTO safehub_sign_in_failures VALUES (%s, 3, %s, NULL)", (TYPED.lower(), NOW.isoformat()))
    failures = FailureLog(secret=b"test secret", postgres_url=postgres_url)
    try:
        failures.fail(TYPED, NOW)
        with psycopg.connect(postgres_url) as db:
            rows = db.execute("SELECT * FROM safehub_sign_in_failures").fetchall()
        assert len(rows) == 1 and TYPED.lower() not in repr(rows) and TYPED not in repr(rows)
    finally:
        failures.close()
