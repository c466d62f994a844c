"""Redis stopped and the Celery worker SIGKILLed under concurrent load: writes keep
succeeding, projections catch up, and the read models equal a rebuild.

The production shape on one machine: PostgreSQL, Redis as the Celery broker, a real web
server in celery mode (a write only nudges the workers through Redis), a real Celery
worker and beat. Four clients post signals over HTTP without pause while the worker is
killed with SIGKILL in the middle of its work, Redis is stopped for a few seconds and
started again, empty (the nudges sent meanwhile are lost), and a new worker is started.
Every write must succeed, quickly, the whole time; once Redis is back, beat's catch-up
brings the timeline up to date with every accepted signal, once each; and with the
workers stopped, every read model equals one rebuilt from zero.
(tests/integration/test_celery_projections.py kills the worker half way through a large
batch written straight to the store; here the kill lands among live HTTP writes.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from services.bootstrap import build
from services.config import Settings
from tests.reliability.live import call, make_users
from tests.servers import wait_for

WRITERS = 4


@pytest.mark.postgres
@pytest.mark.redis
def test_writes_succeed_through_a_killed_worker_and_redis_down_and_read_models_equal_a_rebuild(
    postgres_url, redis_server, redis_url, celery_processes, web_servers, tmp_path: Path
):
    env = {
        "SAFEHUB_DATA_DIR": str(tmp_path / "var"),
        "SAFEHUB_DATABASE_URL": postgres_url,
        "SAFEHUB_PROJECTIONS": "celery",
        "SAFEHUB_BROKER_URL": redis_url,
        "SAFEHUB_CATCH_UP_SECONDS": "1",
        "SAFEHUB_READ_WAIT_SECONDS": "1",
        "SAFEHUB_PULL_LOCK_SECONDS": "3",
    }
    users = make_users(env)[0]
    worker = celery_processes.worker(env, quick=True)
    celery_processes.beat(env)
    server = web_servers(env)
    child = server.call(
        "POST",
        "/api/v1/children",
        users["school"],
        {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"},
    )
    assert child.status == 201, child.body
    child_id = child.body["id"]
    stop = threading.Event()
    accepted: list[str] = []
    failures: list[tuple[int, object]] = []
    slowest = [0.0]
    lock = threading.Lock()

    def writer(w: int) -> None:
        n = 0
        while not stop.is_set():
            answer = call(
                server.base,
                "POST",
                f"/api/v1/children/{child_id}/signals",
                users["school"],
                {"kind": "behaviour_change", "observed_at": "2026-02-20T08:00:00", "details": f"{w}/{n}"},
                headers={"Idempotency-Key": f"redis-{w}-{n}"},
                timeout=60,
            )
            with lock:
                slowest[0] = max(slowest[0], answer.seconds)
                if answer.status == 201:
                    accepted.append(answer.body["id"])
                else:
                    failures.append((answer.status, answer.body))
            n += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(2)
    worker.kill()  # SIGKILL: whatever batch it was applying is rolled back, its lock orphaned
    time.sleep(1)
    redis_server.pause()
    paused_with = len(accepted)
    time.sleep(4)
    written_while_down = len(accepted) - paused_with
    redis_server.resume()
    celery_processes.worker(env, quick=True)
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join(60)

    assert not failures, failures[:5]
    assert written_while_down >= WRITERS, f"only {written_while_down} writes while Redis was down"
    assert slowest[0] < 5, f"a write took {slowest[0]:.1f}s"
    assert len(set(accepted)) == len(accepted)

    def caught_up() -> dict | None:
        answer = server.call("GET", f"/api/v1/children/{child_id}/timeline", users["coordinator"])
        assert answer.status == 200, answer.body
        return answer.body if answer.body["freshness"]["includes_latest"] else None

    timeline = wait_for(
        caught_up, 60, "the timeline to catch up after Redis came back", explain=celery_processes.report
    )
    signals = [e["id"] for e in timeline["entries"] if e["type"] == "signal"]  # type: ignore[index]
    assert sorted(signals) == sorted(accepted), "every accepted signal, once"

    for process in celery_processes.started:
        process.stop()
    services = build(Settings.from_env(env))
    services.projector.stop()
    try:
        head = services.store.recorder.max_notification_id()
        for name in services.followers.names():
            follower = services.followers[name]
            assert follower.view.position() == head, f"{name} is behind"
            live = follower.view.dump()
            follower.rebuild()
            assert follower.view.dump() == live, f"{name}: the live read model differs from a rebuild"
    finally:
        services.close()
