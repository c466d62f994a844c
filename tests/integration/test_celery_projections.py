"""Production projections against real servers: Redis as the broker, real Celery processes.

The web side is this test process: ``build(settings)`` in celery mode, so a write only
nudges (a "pull now" message through Redis) and a read only waits for the workers. The
workers are real ``safehub worker`` (and ``safehub beat``) processes with the same
settings, sharing the event store and the read models (PostgreSQL, or the SQLite files
of the shared data directory). What is checked is what the issue promises: signals
reach the timeline through the worker; a worker killed with SIGKILL half way through a
large batch loses and doubles nothing; writes keep working while Redis is down and the
projections catch up when it is back; any number of duplicate or late nudges is harmless.

"Equals a rebuild" is checked with the workers stopped: dump the live read models, rebuild
each from zero in this process, and compare every row of every table.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient
from redis import Redis

from domain.children import Child
from domain.signals import kinds_for_agency
from services.app import create_app
from services.bootstrap import Services, build
from services.config import Settings
from services.runtime.projecting import PULL_TASK
from tests.integration.conftest import CeleryProcesses
from tests.servers import CeleryProcess, RedisServer, wait_for
from tests.worlds import World, make_world

API = "/api/v1"
#: Short, so a lock orphaned by a killed worker is taken over within the test.
LOCK_SECONDS = 3
#: How often beat sends its catch-up nudge.
BEAT_SECONDS = 1
#: Upper bound for any wait on the workers (generous: CI machines can be slow).
PATIENCE = 60
#: Children whose new signals are saved in one transaction when writing a large history.
SAVE_TOGETHER = 25
#: Children (20 signals each, with corrections and retractions) in the kill test: 6,000
#: signals, about 7,300 events, fourteen or more 500-event batches per view. The views send
#: a batch's inserts in one executemany, so a pass on PostgreSQL takes a second or two: with
#: 150 children the restarted worker finished the risk view before the test's SIGKILL landed.
KILL_CHILDREN = 600


def row_differences(live: list[dict], rebuilt: list[dict], show: int = 3) -> str:
    """A short account of the rows only one side has (a table can hold thousands)."""

    def counted(rows: list[dict]) -> Counter[str]:
        return Counter(json.dumps(r, sort_keys=True, default=str) for r in rows)

    extra, missing = counted(live) - counted(rebuilt), counted(rebuilt) - counted(live)
    return (
        f"{len(live)} live rows, {len(rebuilt)} rebuilt; {extra.total()} only live (doubled or wrong), "
        f"{missing.total()} only rebuilt (missing or wrong)\n"
        f"only live: {list(extra.elements())[:show]}\nonly rebuilt: {list(missing.elements())[:show]}"
    )


def backend(name: str) -> Any:
    """A parameter for tests that run on both stores (PostgreSQL needs its server)."""
    marks = [pytest.mark.postgres] if name == "postgres" else []
    return pytest.param(name, marks=marks, id=name)


# --- a deployment: this process as the web side, Celery processes as the workers ----------------


@dataclass
class Deployment:
    """The settings shared by this process (the web side) and the Celery processes."""

    env: dict[str, str]
    services: Services
    processes: CeleryProcesses
    redis: RedisServer
    worker: CeleryProcess | None = None
    beat: CeleryProcess | None = None
    _client: Redis | None = field(default=None, repr=False)

    # --- processes ---------------------------------------------------------------------

    def start_worker(self, concurrency: int = 1, quick: bool = True) -> CeleryProcess:
        self.worker = self.processes.worker(self.env, concurrency=concurrency, quick=quick)
        return self.worker

    def start_beat(self) -> CeleryProcess:
        self.beat = self.processes.beat(self.env)
        return self.beat

    def stop_workers(self) -> None:
        """Stop beat and the worker (warm shutdown), so nothing else writes the read models."""
        for process in (self.beat, self.worker):
            if process is not None:
                process.stop()

    # --- the log and the read models -----------------------------------------------------

    def head(self) -> int:
        return self.services.store.recorder.max_notification_id() or 0

    def positions(self) -> dict[str, int]:
        return {name: self.services.followers[name].view.position() for name in self.services.followers.names()}

    def caught_up(self) -> bool:
        head = self.head()
        return all(position >= head for position in self.positions().values())

    def wait_caught_up(self, timeout: float = PATIENCE) -> None:
        wait_for(
            self.caught_up,
            timeout,
            "the workers to apply the whole log",
            explain=lambda: f"head {self.head()}, positions {self.positions()}\n{self.processes.report()}",
        )

    def dumps(self) -> dict[str, dict[str, list[dict]]]:
        return {name: self.services.followers[name].view.dump() for name in self.services.followers.names()}

    def assert_live_equals_rebuild(self) -> dict[str, dict[str, list[dict]]]:
        """Stop the workers, then rebuild every view from zero: it must equal the live one."""
        self.stop_workers()
        live = self.dumps()
        for name in self.services.followers.names():
            self.services.followers[name].rebuild()
        rebuilt = self.dumps()
        for name in live:
            for table in live[name]:
                if rebuilt[name][table] != live[name][table]:
                    pytest.fail(
                        f"{name}.{table}: live differs from a rebuild\n"
                        f"{row_differences(live[name][table], rebuilt[name][table])}",
                        pytrace=False,
                    )
        return live

    # --- the broker ---------------------------------------------------------------------

    @property
    def redis_client(self) -> Redis:
        if self._client is None:
            self._client = Redis.from_url(self.env["SAFEHUB_BROKER_URL"])
        return self._client

    def send_pull(self, task_id: str | None = None) -> None:
        """Send "pull now" the way the web process does (a message, no events in it)."""
        self.services.projector.client.send_task(PULL_TASK, ignore_result=True, task_id=task_id)  # type: ignore[union-attr]

    def pulls_done(self) -> set[str]:
        """The ids of the pull tasks the worker has finished (from its log)."""
        text = "".join(p.log_text() for p in self.processes.started if p.command == "worker")
        return set(re.findall(rf"Task {re.escape(PULL_TASK)}\[([^\]]+)\] succeeded", text))


@pytest.fixture
def deploy(
    tmp_path: Path, redis_server: RedisServer, redis_url: str, celery_processes: CeleryProcesses
) -> Iterator[Callable[..., Deployment]]:
    """Make a celery-mode deployment on SQLite (``None``) or a PostgreSQL URL; cleaned up after."""
    made: list[Deployment] = []

    def make(database_url: str | None, **settings: str) -> Deployment:
        env = {
            "SAFEHUB_DATA_DIR": str(tmp_path / "var"),
            "SAFEHUB_PROJECTIONS": "celery",
            "SAFEHUB_BROKER_URL": redis_url,
            "SAFEHUB_PULL_LOCK_SECONDS": str(LOCK_SECONDS),
            "SAFEHUB_CATCH_UP_SECONDS": str(BEAT_SECONDS),
            "SAFEHUB_READ_WAIT_SECONDS": "10",
            **({"SAFEHUB_DATABASE_URL": database_url} if database_url else {}),
            **settings,
        }
        deployment = Deployment(env, build(Settings.from_env(env)), celery_processes, redis_server)
        made.append(deployment)
        return deployment

    yield make
    celery_processes.kill_all()  # before the store goes away under them
    for deployment in made:
        deployment.services.close()
        if deployment._client is not None:
            deployment._client.close()


@pytest.fixture(params=[backend("sqlite"), backend("postgres")])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """The event store (and read models) of the deployment: SQLite files or PostgreSQL."""
    return request.getfixturevalue("postgres_url") if request.param == "postgres" else None


@pytest.fixture
def postgres_deploy(postgres_url: str, deploy: Callable[..., Deployment]) -> Callable[..., Deployment]:
    """A deployment on PostgreSQL, as production runs (the database outlives the processes)."""
    return lambda **settings: deploy(postgres_url, **settings)


# --- writing --------------------------------------------------------------------------------


def api_client(services: Services) -> FlaskClient:
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app.test_client()


def yesterday() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).isoformat()


def post_child(client: FlaskClient, world: World, name: str = "Łucja") -> str:
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        json={"given_name": name, "family_name": "Żak", "date_of_birth": "2015-04-03"},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def post_signal(client: FlaskClient, world: World, child_id: str, who: str, kind: str, details: str):
    return client.post(
        f"{API}/children/{child_id}/signals",
        headers=world.users[who].headers,
        json={"kind": kind, "observed_at": yesterday(), "details": details},
    )


def get_timeline(client: FlaskClient, world: World, child_id: str) -> dict:
    response = client.get(f"{API}/children/{child_id}/timeline", headers=world.users["coordinator"].headers)
    assert response.status_code == 200, response.json
    return response.json


def signal_ids(timeline: dict) -> set[str]:
    return {e["id"] for e in timeline["entries"] if e["type"] == "signal"}


@dataclass
class History:
    children: list[UUID]
    recorded: int = 0
    corrected: int = 0
    retracted: int = 0
    merged: int = 0


def write_history(
    services: Services, world: World, *, children: int, signals_per_child: int, start: int = 0
) -> History:
    """Open child records and give each a run of signals, corrections and retractions.

    The aggregates are driven directly and many children are saved in one go (one save,
    many events), so a large batch lands in the log in a couple of seconds; the merges at
    the end go through the use case.
    """
    now = datetime.now(UTC)
    coordinator = world.users["coordinator"].actor
    submitters = [world.users[who].actor for who in ("school", "police", "health")]
    history = History([])
    pending: list[Child] = []
    for c in range(start, start + children):
        child = Child.register(
            municipality_id=world.municipality_id,
            given_name=f"Dziecko{c}",
            family_name=f"Próbne{c}",
            date_of_birth=date(2010, 1, 1) + timedelta(days=3 * c),
            pesel=None,
            school_id=None,
            registered_by=coordinator.user_id,
            agency_id=coordinator.agency_id,
            today=now.date(),
        )
        for s in range(signals_per_child):
            actor = submitters[(c + s) % len(submitters)]
            kinds = kinds_for_agency(actor.agency_kind)
            signal_id = child.record_signal(
                kind=kinds[(c * 7 + s) % len(kinds)].code,
                observed_at=now - timedelta(days=(c + 5 * s) % 400),
                details=f"obserwacja {c}/{s}",
                severity=None,
                days=None,
                agency_id=actor.agency_id,
                agency_kind=actor.agency_kind,
                author_id=actor.user_id,
                author_role=actor.role,
                now=now,
            )
            history.recorded += 1
            if s % 10 == 3:
                child.correct_signal(
                    signal_id=signal_id,
                    agency_id=actor.agency_id,
                    author_id=actor.user_id,
                    author_role=actor.role,
                    now=now,
                    reason="ponowna ocena",
                    severity="high",
                )
                history.corrected += 1
            if s % 20 == 7:
                child.retract_signal(
                    signal_id=signal_id,
                    reason="pomyłka",
                    agency_id=actor.agency_id,
                    author_id=actor.user_id,
                    author_role=actor.role,
                )
                history.retracted += 1
        history.children.append(child.id)
        pending.append(child)
        if len(pending) == SAVE_TOGETHER or c == start + children - 1:
            services.store.save(*pending)
            pending = []
    ids = history.children
    for source, target in zip(ids[:2], ids[2:4], strict=True):
        services.children.merge(coordinator, source, target, reason="duplikat")
        history.merged += 1
    return history


def assert_history_projected_once(live: dict[str, dict[str, list[dict]]], history: History) -> None:
    """Count what the read models hold against what was written: nothing missing, nothing doubled."""
    entries = [e for e in live["timeline"]["timeline_entries"] if e["entry_type"] == "signal"]
    assert len(entries) == history.recorded
    assert sum(len(_json(e["corrections"])) for e in entries) == history.corrected
    assert sum(bool(e["retracted"]) for e in entries) == history.retracted
    assert sum(e["entry_type"] == "merged_into" for e in live["timeline"]["timeline_entries"]) == history.merged
    assert len(live["risk"]["risk_signals"]) == history.recorded
    assert sum(bool(s["retracted"]) for s in live["risk"]["risk_signals"]) == history.retracted


def _json(text: str) -> list[Any]:
    return json.loads(text or "[]")


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.redis
def test_signals_posted_through_the_api_reach_the_timeline_via_the_worker(database_url, deploy):
    deployment = deploy(database_url)
    services = deployment.services
    world = make_world(services.directory)
    client = api_client(services)
    child_id = post_child(client, world)
    assert set(deployment.positions().values()) == {0}, "in celery mode the web process never projects"

    deployment.start_worker(quick=False)  # `safehub worker`, as an operator starts it
    posted = {}
    for who, kind in (
        ("school", "behaviour_change"),
        ("police", "domestic_intervention"),
        ("health", "injury_treated"),
    ):
        response = post_signal(client, world, child_id, who, kind, f"{who}: {kind}")
        assert response.status_code == 201, response.json
        posted[response.json["id"]] = (who, kind)

    timeline = get_timeline(client, world, child_id)
    assert timeline["freshness"]["includes_latest"] is True, timeline["freshness"]
    assert timeline["freshness"]["lag"] == 0
    entries = {e["id"]: e for e in timeline["entries"] if e["type"] == "signal"}
    assert set(entries) == set(posted)
    for signal_id, (who, kind) in posted.items():
        assert (entries[signal_id]["agency"]["kind"], entries[signal_id]["kind"]) == (who, kind)
        assert entries[signal_id]["details"] == f"{who}: {kind}"
    assert [e["type"] for e in timeline["entries"]].count("registered") == 1

    risk = client.get(f"{API}/children/{child_id}/risk", headers=world.users["coordinator"].headers)
    assert risk.status_code == 200, risk.json
    assert risk.json["freshness"]["includes_latest"] is True
    assert {c["signal_id"] for c in risk.json["contributions"]} == set(posted)

    # The worker logs "succeeded" after the task has returned, a moment after the views committed.
    wait_for(deployment.pulls_done, PATIENCE, "the worker to log the pull task it ran")


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_killed_mid_batch_resumes_and_equals_a_rebuild(postgres_deploy):
    deployment = postgres_deploy()
    services = deployment.services
    world = make_world(services.directory)
    history = write_history(services, world, children=KILL_CHILDREN, signals_per_child=20)
    assert history.recorded == 20 * KILL_CHILDREN
    head = deployment.head()
    timeline, risk = services.followers["timeline"].view, services.followers["risk"].view
    assert timeline.position() == risk.position() == 0, "nothing projected yet: no worker is running"

    # The queued nudges start the worker on the whole history; kill -9 while the timeline is half way.
    worker = deployment.start_worker()
    wait_for(lambda: timeline.position() > 0, PATIENCE, "the timeline to start moving", interval=0.005)
    at_kill = timeline.position()
    worker.kill()
    assert 0 < at_kill <= timeline.position() < head, "killed half way through the timeline"
    orphaned = deployment.redis_client.pttl("safehub:pull:timeline:lock")
    assert orphaned > 0, "the killed worker still held the timeline's pull lock"

    # Restart, with beat nudging every second. The timeline's lock is orphaned until it expires
    # (LOCK_SECONDS), so the worker gets on with the risk view first: kill -9 it half way there.
    worker = deployment.start_worker()
    deployment.start_beat()
    wait_for(lambda: risk.position() > 0, PATIENCE, "the risk view to start moving", interval=0.005)
    worker.kill()
    assert risk.position() < head, "killed half way through the risk view"

    deployment.start_worker()
    deployment.wait_caught_up()
    assert set(deployment.positions().values()) == {head}

    live = deployment.assert_live_equals_rebuild()
    assert_history_projected_once(live, history)


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_child_past_its_memory_ceiling_is_replaced_and_nothing_is_lost(postgres_deploy):
    # A ceiling of 1 MiB: every pool process is past it after its first task, so each task
    # runs in a new child (the default ceiling is 512 MiB; the worker soaks at ~240 MiB).
    deployment = postgres_deploy(SAFEHUB_WORKER_MAX_MEMORY_MIB="1")
    services = deployment.services
    world = make_world(services.directory)
    worker = deployment.start_worker()
    history = History([])
    for round_ in range(3):
        written = write_history(services, world, children=10, signals_per_child=8, start=10 * round_)
        history.children += written.children
        for counted in ("recorded", "corrected", "retracted", "merged"):
            setattr(history, counted, getattr(history, counted) + getattr(written, counted))
        deployment.send_pull()
        deployment.wait_caught_up()
    logged = [json.loads(text) for text in worker.log_text().splitlines() if text.startswith("{")]
    pools = {line["pid"] for line in logged if re.match(rf"Task {re.escape(PULL_TASK)}\[.*\] succeeded", line["msg"])}
    assert len(pools) >= 3, f"pull tasks ran in pool processes {pools}\n{deployment.processes.report()}"

    live = deployment.assert_live_equals_rebuild()
    assert_history_projected_once(live, history)


@pytest.mark.redis
@pytest.mark.postgres
def test_with_redis_stopped_writes_succeed_and_the_projections_catch_up_later(postgres_deploy):
    deployment = postgres_deploy(SAFEHUB_READ_WAIT_SECONDS="1")
    services = deployment.services
    world = make_world(services.directory)
    client = api_client(services)
    deployment.start_worker()
    deployment.start_beat()
    child_id = post_child(client, world)
    first = post_signal(client, world, child_id, "school", "behaviour_change", "przed awarią")
    assert first.status_code == 201
    deployment.wait_caught_up()

    deployment.redis.pause()
    accepted = {first.json["id"]}
    for n in range(20):
        who, kind = (("school", "unexplained_absence"), ("police", "home_visit"))[n % 2]
        started = time.monotonic()
        response = post_signal(client, world, child_id, who, kind, f"podczas awarii {n}")
        elapsed = time.monotonic() - started
        assert response.status_code == 201, response.json
        assert elapsed < 2, f"POST took {elapsed:.2f}s with the broker down"
        accepted.add(response.json["id"])
    late_child = post_child(client, world, "Ola")  # a new record while the broker is down, too

    stale = get_timeline(client, world, child_id)
    assert stale["freshness"]["includes_latest"] is False, "the read says it is behind"
    assert stale["freshness"]["lag"] > 0
    assert signal_ids(stale) == {first.json["id"]}
    stored = client.get(f"{API}/children/{child_id}/signals", headers=world.users["coordinator"].headers)
    assert {s["id"] for s in stored.json} == accepted, "every accepted signal is in the event store"

    deployment.redis.resume()  # empty: the nudges sent while it was down are gone; beat covers them

    def fresh() -> dict | None:
        timeline = get_timeline(client, world, child_id)
        return timeline if timeline["freshness"]["includes_latest"] else None

    timeline = wait_for(
        fresh, PATIENCE, "the timeline to catch up after Redis came back", explain=deployment.processes.report
    )
    assert signal_ids(timeline) == accepted
    assert get_timeline(client, world, late_child)["freshness"]["includes_latest"] is True
    deployment.wait_caught_up()
    deployment.assert_live_equals_rebuild()


@pytest.mark.redis
@pytest.mark.postgres
def test_duplicate_and_late_nudges_are_harmless(postgres_deploy):
    deployment = postgres_deploy()
    services = deployment.services
    world = make_world(services.directory)
    history = write_history(services, world, children=40, signals_per_child=10)
    deployment.start_worker(concurrency=4)  # four pool processes pulling at once: the lock decides

    # Duplicates while work is pending, and while more is being written.
    sent = [f"duplicate-{n}" for n in range(20)]
    for task_id in sent[:10]:
        deployment.send_pull(task_id)
    more = write_history(services, world, children=10, signals_per_child=10, start=40)
    for task_id in sent[10:]:
        deployment.send_pull(task_id)
    wait_for(
        lambda: set(sent) <= deployment.pulls_done(),
        PATIENCE,
        "the worker to run every duplicate pull",
        explain=deployment.processes.report,
    )
    deployment.wait_caught_up()
    settled, positions = deployment.dumps(), deployment.positions()

    # Late nudges, long after the work was done: nothing to do, nothing changes.
    late = [f"late-{n}" for n in range(20)]
    for task_id in late:
        deployment.send_pull(task_id)
    wait_for(
        lambda: set(late) <= deployment.pulls_done(),
        PATIENCE,
        "the worker to run every late pull",
        explain=deployment.processes.report,
    )
    assert deployment.positions() == positions
    assert deployment.dumps() == settled

    live = deployment.assert_live_equals_rebuild()
    total = History(
        [*history.children, *more.children],
        history.recorded + more.recorded,
        history.corrected + more.corrected,
        history.retracted + more.retracted,
        history.merged + more.merged,
    )
    assert_history_projected_once(live, total)


# --- two pullers of one view at the same moment -------------------------------------------------


@pytest.mark.postgres
def test_two_pullers_at_once_never_apply_an_event_twice(postgres_url, tmp_path):
    """Pullers A and B of the timeline, interleaved as two processes can be.

    The Redis lock normally keeps a second puller away, but not always: it expires (a
    batch slower than SAFEHUB_PULL_LOCK_SECONDS) and ``safehub projections catch-up`` does
    not take it. A reads its position and the head of the log and chooses its batch (a
    correction). A new signal is recorded. B reads the same position and the newer head:
    its batch is the correction and the new signal. A commits, then B. B's batch overlaps
    A's, and B's end is further on than A's, so only a check that the view is still where
    B started refuses it; without that check the correction was applied twice.
    """
    import threading

    from projections.runner import Follower
    from projections.views import open_view

    services = build(
        Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    )
    services.projector.stop()
    second_view = None
    try:
        world = make_world(services.directory)
        school = world.users["school"].actor
        child_id = UUID(
            services.children.register(school, given_name="Ala", family_name="Kot", date_of_birth=date(2015, 4, 3))[
                "id"
            ]
        )
        signal, _ = services.children.record_signal(
            school, child_id, kind="behaviour_change", observed_at=datetime.now(UTC) - timedelta(days=1)
        )
        first = services.followers["timeline"]
        first.catch_up()
        second_view = open_view(type(first.view).__mro__[1], services.settings.view_env("timeline"))
        second = Follower(second_view, first.recorder, first.mapper)
        services.children.correct_signal(school, child_id, UUID(signal["id"]), severity="high", reason="ocena")

        a_chose, a_may_commit, a_committed = threading.Event(), threading.Event(), threading.Event()
        a_apply, b_apply = first.view.apply_batch, second.view.apply_batch

        def a_waits(*args: Any, **kwargs: Any) -> None:
            a_chose.set()
            a_may_commit.wait(10)
            try:
                a_apply(*args, **kwargs)
            finally:
                a_committed.set()

        def b_after_a(*args: Any, **kwargs: Any) -> None:
            a_may_commit.set()
            a_committed.wait(10)
            b_apply(*args, **kwargs)

        first.view.apply_batch, second.view.apply_batch = a_waits, b_after_a  # type: ignore[method-assign]
        a = threading.Thread(target=first.catch_up, kwargs={"max_batches": 1})
        a.start()
        assert a_chose.wait(10)
        services.children.record_signal(
            school, child_id, kind="behaviour_change", observed_at=datetime.now(UTC) - timedelta(days=1)
        )
        b = threading.Thread(target=second.catch_up, kwargs={"max_batches": 1})
        b.start()
        a.join(30)
        b.join(30)
        del first.view.apply_batch, second.view.apply_batch
        first.catch_up()

        corrections = [
            len(_json(e["corrections"])) for e in first.view.dump()["timeline_entries"] if e["entry_type"] == "signal"
        ]
        assert sorted(corrections) == [0, 1], "the correction is applied exactly once"
    finally:
        if second_view is not None:
            second_view.datastore.close()
        services.close()
