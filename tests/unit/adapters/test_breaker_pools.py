"""The breaker's care of the connection pools it guards (no database needed: nothing listens on port 1)."""

from __future__ import annotations

import psycopg_pool

from services.adapters.breaker import RECONNECT_EVERY, steady_reconnects


def failed_attempt_delays(pool: psycopg_pool.ConnectionPool, tries: int) -> list[float]:
    """The delays the pool schedules between tries to open a connection that keeps failing."""
    scheduled: list = []
    pool.schedule_task = lambda task, delay: scheduled.append((task, delay))  # type: ignore[method-assign]
    pool._add_connection(None)
    for _ in range(tries - 1):
        pool._add_connection(scheduled[-1][0].attempt)
    return [delay for _, delay in scheduled]


def unreachable_pool() -> psycopg_pool.ConnectionPool:
    return psycopg_pool.ConnectionPool("host=127.0.0.1 port=1 connect_timeout=1", open=False, min_size=1)


def test_a_guarded_pool_tries_again_every_half_second_while_the_database_is_down():
    pool = unreachable_pool()
    steady_reconnects(pool)
    steady_reconnects(pool)  # guarding twice changes nothing
    delays = failed_attempt_delays(pool, 5)
    assert len(delays) == 5
    assert all(RECONNECT_EVERY * 0.85 <= d <= RECONNECT_EVERY * 1.15 for d in delays), delays


def test_an_unguarded_pool_backs_off_as_psycopg_pool_does():
    """What the breaker changes: left alone, the fifth try waits about 16 seconds."""
    delays = failed_attempt_delays(unreachable_pool(), 5)
    assert delays[-1] > 10 * RECONNECT_EVERY, delays
