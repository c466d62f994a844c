"""Per-user rates on PostgreSQL: two web workers (two RateLimits, two connections) share one count.

The import's rate (finding 9 of the security issue) must hold across gunicorn's workers: a
caller whose requests land on different workers still gets N a minute, not N per worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.adapters.rate_limits import RateLimited, RateLimits

pytestmark = pytest.mark.postgres


def test_requests_counted_by_two_workers_share_one_window(postgres_url):
    now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    first = RateLimits(postgres_url=postgres_url)
    second = RateLimits(postgres_url=postgres_url)
    try:
        for n in range(4):
            (first if n % 2 else second).take("imports", "anna", 4, now + timedelta(seconds=n))
        with pytest.raises(RateLimited) as refused:
            first.take("imports", "anna", 4, now + timedelta(seconds=20))
        assert refused.value.retry_after == 40
        second.take("imports", "piotr", 4, now + timedelta(seconds=20))  # another caller: own count
        second.take("imports", "anna", 4, now + timedelta(seconds=61))  # a new window
    finally:
        first.close()
        second.close()
