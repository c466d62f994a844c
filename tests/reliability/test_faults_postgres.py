"""PostgreSQL restarted under load: fail fast with 503 while it is down, nothing lost or doubled.

A real web server (``safehub serve`` on PostgreSQL) takes signals from several clients at
once, each signal sent with its own ``Idempotency-Key`` and retried (after the answer's
``Retry-After``) until it is accepted, while a reader keeps asking for the timeline. The
test's own PostgreSQL is stopped (fast shutdown: connections cut) for a few seconds and
started again. The requests in flight at that moment wait (and succeed when it is back);
every new request is answered at once with a 503, ``Retry-After`` and a JSON body naming
the problem; afterwards every signal is stored exactly once and the timeline holds them
all.

Killing the Celery worker mid-projection on PostgreSQL, and Redis stopped under writes,
are covered in tests/integration/test_celery_projections.py
(``test_a_worker_killed_mid_batch_resumes_and_equals_a_rebuild``,
``test_with_redis_stopped_writes_succeed_and_the_projections_catch_up_later``); this
folder adds Redis stopped under concurrent load (test_redis_under_load.py).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import start_or_skip
from tests.reliability.conftest import child_versions, stored_topics
from tests.reliability.live import Answer, call, make_users
from tests.servers import PostgresServer

WRITERS = 4
SIGNALS_PER_WRITER = 25
#: How long PostgreSQL stays down.
OUTAGE_SECONDS = 8
#: POSTGRES_CONNECT_TIMEOUT (services.config): how long a store call waits for a connection.
POOL_TIMEOUT = 5


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own: it is stopped and started under the load."""
    server = start_or_skip(PostgresServer.start, "PostgreSQL")
    try:
        yield server
    finally:
        server.stop()


def stop_postgres(server: PostgresServer) -> None:
    server._run("pg_ctl", "-D", str(server.data_dir), "-m", "fast", "-w", "stop")


def start_postgres(server: PostgresServer) -> None:
    server._start_listening()


class Log:
    """Every answer the clients got, with when it came."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[tuple[float, str, Answer]] = []
        self.connection_errors = 0

    def add(self, what: str, answer: Answer) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), what, answer))


@pytest.mark.postgres
def test_postgres_restarted_under_load_fails_fast_then_loses_and_doubles_nothing(
    own_postgres, web_servers, tmp_path: Path
):
    database = own_postgres.create_database()
    env = {
        "SAFEHUB_DATA_DIR": str(tmp_path / "var"),
        "SAFEHUB_DATABASE_URL": own_postgres.url(database),
        "SAFEHUB_READ_WAIT_SECONDS": "1",
    }
    users = make_users(env)[0]
    server = web_servers(env)
    child = server.call(
        "POST",
        "/api/v1/children",
        users["school"],
        {"given_name": "Zuzanna", "family_name": "Wiśniewska", "date_of_birth": "2014-09-17"},
    )
    assert child.status == 201, child.body
    child_id = child.body["id"]
    log = Log()
    stop = threading.Event()
    ids: dict[str, set[str]] = {}

    def writer(w: int) -> None:
        for n in range(SIGNALS_PER_WRITER):
            key = f"writer-{w}-signal-{n}"
            while True:
                try:
                    answer = call(
                        server.base,
                        "POST",
                        f"/api/v1/children/{child_id}/signals",
                        users["school" if w % 2 else "police"],
                        {
                            "kind": "behaviour_change" if w % 2 else "home_visit",
                            "observed_at": "2026-02-20T08:00:00",
                            "details": key,
                        },
                        headers={"Idempotency-Key": key},
                        timeout=120,
                    )
                except OSError:
                    with log.lock:
                        log.connection_errors += 1
                    time.sleep(0.2)
                    continue
                log.add("write", answer)
                if answer.status == 201:
                    ids.setdefault(key, set()).add(answer.body["id"])
                    break
                time.sleep(float(answer.headers.get("retry-after", "1")))
            time.sleep(0.05)

    def reader() -> None:
        while not stop.is_set():
            try:
                answer = call(
                    server.base, "GET", f"/api/v1/children/{child_id}/timeline", users["coordinator"], timeout=120
                )
            except OSError:
                with log.lock:
                    log.connection_errors += 1
                continue
            log.add("read", answer)
            time.sleep(0.1 if answer.status == 200 else 0.5)

    probes: list[tuple[float, Answer]] = []

    def probe() -> None:  # a new request, whoever else is waiting
        sent = time.monotonic()
        with contextlib.suppress(OSError):
            answer = call(server.base, "GET", f"/api/v1/children/{child_id}/signals", users["coordinator"], timeout=120)
            log.add("probe", answer)
            with log.lock:
                probes.append((sent, answer))

    def prober() -> None:
        while not stop.is_set():
            threading.Thread(target=probe, daemon=True).start()
            time.sleep(0.25)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=reader), threading.Thread(target=prober)]
    for t in threads:
        t.start()
    time.sleep(1.5)  # load running
    stop_postgres(own_postgres)
    down_at = time.monotonic()
    time.sleep(POOL_TIMEOUT + 1)
    # A person at the sign-in page meanwhile gets a page saying so, in Polish, not JSON.
    page = call(server.base, "GET", "/sign-in", headers={"Accept": "text/html"}, timeout=30)
    time.sleep(max(0.0, down_at + OUTAGE_SECONDS - time.monotonic()))
    up_at = time.monotonic()
    start_postgres(own_postgres)
    for t in threads[:WRITERS]:
        t.join(180)
        assert not t.is_alive(), "a writer never got its signals accepted"
    time.sleep(max(1.0, up_at + 6 - time.monotonic()))  # the probes after the restart have seconds to succeed
    stop.set()
    for t in threads[WRITERS:]:
        t.join(60)

    statuses = Counter(a.status for _, _, a in log.answers)
    print(
        f"answers {dict(statuses)}; 503 latencies (s): "
        f"{sorted(round(a.seconds, 2) for _, _, a in log.answers if a.status == 503)}"
    )
    assert set(statuses) <= {200, 201, 503}, statuses
    assert log.connection_errors == 0, "the web server itself stayed up and answered every request"
    refused = [(at, a) for at, _, a in log.answers if a.status == 503]
    assert refused, f"no request met the outage: {statuses}"
    for _, answer in refused:
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.body["error"] == "unavailable" and "database is unreachable" in answer.body["message"]
        assert answer.headers["content-type"].startswith("application/json")
    # Fail fast: within a second the breaker has tripped; the requests that were waiting get
    # their 503 within one pool timeout, and from then on every request is answered at once.
    settled = down_at + POOL_TIMEOUT
    during = [a for sent, a in probes if settled < sent < up_at - 0.5]
    assert len(during) >= 4, f"{len(during)} probes while PostgreSQL was down"
    assert all(a.status == 503 and a.seconds < 1 for a in during), [(a.status, round(a.seconds, 2)) for a in during]
    assert all(a.seconds < POOL_TIMEOUT + 3 for _, _, a in log.answers if a.status == 503), "no 503 waited long"
    assert any(a.status == 200 for sent, a in probes if sent > up_at + 3), "requests succeed again"
    assert page.status == 503 and page.headers["content-type"].startswith("text/html"), page
    assert int(page.headers["retry-after"]) >= 1 and "Chwilowo niedostępne" in page.body and page.seconds < 1
    assert call(server.base, "GET", "/sign-in").status == 200, "the page is back"

    # Nothing lost, nothing doubled: one stored signal per key, the ids the clients were given.
    assert all(len(v) == 1 for v in ids.values()), "a retry got a different signal"
    assert len(ids) == WRITERS * SIGNALS_PER_WRITER
    answer = server.call("GET", f"/api/v1/children/{child_id}/signals", users["coordinator"])
    assert answer.status == 200
    assert sorted(s["id"] for s in answer.body) == sorted(next(iter(v)) for v in ids.values())
    timeline = server.call("GET", f"/api/v1/children/{child_id}/timeline", users["coordinator"])
    assert timeline.status == 200
    assert sum(e["type"] == "signal" for e in timeline.body["entries"]) == WRITERS * SIGNALS_PER_WRITER
    server.stop()
    assert stored_topics(env)["Child.SignalRecorded"] == WRITERS * SIGNALS_PER_WRITER
    versions = [v for v, _ in child_versions(env, child_id)]
    assert versions == list(range(1, len(versions) + 1)), "versions are contiguous"
