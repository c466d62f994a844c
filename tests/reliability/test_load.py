"""A short soak in the suite: PostgreSQL, Redis, gunicorn (two workers) and a Celery worker
and beat under a mix of writes and reads for 25 seconds, with zero errors and flat memory.

The same script runs for as long as you like by hand (``python -m tests.perf.soak
--minutes 5``); the README shows its figures.
"""

from __future__ import annotations

import pytest

from tests.integration.conftest import start_or_skip
from tests.perf import soak
from tests.servers import find_postgres_bin, find_redis_server

SECONDS = 25
#: Growth allowed per process tree between the end of the warm-up and the end of the run:
#: caches fill (aggregates, prepared statements) but a leak of a request's worth per
#: request (hundreds of requests) would pass this.
SLACK_KIB = 24 * 1024


@pytest.mark.postgres
@pytest.mark.redis
def test_a_mix_of_writes_and_reads_has_no_errors_and_flat_memory():
    start_or_skip(lambda: (find_postgres_bin(), find_redis_server()), "PostgreSQL and Redis")
    figures = soak.run(SECONDS, clients=4, backend="stack", warmup=6)
    print(soak.report(figures))
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["requests"] > 100, "the load ran"
    assert set(figures["by_operation"]) == set(soak.MIX), "every operation of the mix ran"
    start, end = figures["memory_kib"]["start"], figures["memory_kib"]["end"]
    assert set(start) == {"web", "worker", "beat"}
    for name in start:
        assert end[name] <= start[name] * 1.10 + SLACK_KIB, f"{name} grew from {start[name]} to {end[name]} KiB"
