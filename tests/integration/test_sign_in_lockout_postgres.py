"""The sign-in lockout on PostgreSQL: two workers (two FailureLogs, two connections) share one count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.adapters.sign_in_failures import FailureLog

pytestmark = pytest.mark.postgres


def test_failures_counted_by_two_workers_lock_the_login_for_both(postgres_url):
    now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    first = FailureLog(secret=b"test secret", postgres_url=postgres_url)
    second = FailureLog(secret=b"test secret", postgres_url=postgres_url)
    try:
        assert [(first if n % 2 else second).fail("Anna.Nowak", now) for n in range(4)] == [None] * 4
        assert first.locked_until("anna.nowak", now) is None
        until = second.fail("anna.nowak", now)  # the fifth failure, whichever worker sees it
        assert until == now + timedelta(minutes=15)
        assert first.locked_until("anna.nowak", now + timedelta(minutes=14)) == until
        assert first.locked_until("anna.nowak", now + timedelta(minutes=16)) is None
        assert second.locked_until("piotr.zielinski", now) is None
    finally:
        first.close()
        second.close()
