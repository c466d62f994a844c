"""The same store behaviour on every backend: embedded SQLite and a real PostgreSQL server.

``StoreBehaviour`` holds the tests; each subclass only says how to configure the store
(the ``settings`` fixture, which the shared ``services`` and ``world`` fixtures build on).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.children import Child
from domain.errors import Conflict
from domain.indexes import Bucket
from domain.pesel import make_pesel
from services.app import create_app
from services.bootstrap import Services, build
from services.config import Settings
from tests.conftest import Clock
from tests.threads import at_once
from tests.worlds import World

THREADS = 8
OBSERVED = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=1)))


def register_child(services: Services, world: World, **fields: Any) -> UUID:
    """Register a pupil as the school would and return its id."""
    values: dict[str, Any] = {"given_name": "Zofia", "family_name": "Wójcik", "date_of_birth": date(2015, 4, 3)}
    values.update(fields)
    created = services.children.register(world.users["school"].actor, **values)
    return UUID(created["id"])


def record(
    services: Services, world: World, child_id: UUID, details: str, key: str | None = None, who: str = "school"
) -> tuple[dict, bool]:
    """Record a behaviour-change signal (a kind both the school and health may submit)."""
    return services.children.record_signal(
        world.users[who].actor,
        child_id,
        kind="behaviour_change",
        observed_at=OBSERVED,
        details=details,
        idempotency_key=key,
    )


def all_notifications(services: Services) -> list:
    """Every notification in the store's log, in log order, read a section at a time."""
    log = services.store.notification_log
    found: list = []
    while page := log.select(
        start=found[-1].id if found else None, limit=log.section_size, inclusive_of_start=not found
    ):
        found.extend(page)
    return found


def versions(services: Services, child_id: UUID) -> list[int]:
    """The stored versions of a child's events, in stored order."""
    return [e.originator_version for e in services.store.events.get(child_id)]


class StoreBehaviour:
    """What every backend must do; subclasses provide the ``settings`` fixture."""

    @pytest.fixture
    def second(self, settings: Settings, clock: Clock) -> Iterator[Services]:
        """Another process's view of the same store (its own connections and cache)."""
        other = build(settings, clock=clock)
        yield other
        other.close()

    def test_directory_issues_a_token_that_authenticates(self, services: Services):
        municipality = services.directory.create_municipality("Gmina Krasnystaw")
        agency = services.directory.create_agency(None, UUID(municipality["id"]), "ops", "MOPS Krasnystaw")
        user = services.directory.create_user(None, role="case_worker", name="Anna Nowak", agency_id=UUID(agency["id"]))

        actor = services.directory.authenticate(user["token"])
        assert actor is not None
        assert (str(actor.user_id), str(actor.agency_id), actor.agency_kind, actor.role) == (
            user["id"],
            agency["id"],
            "ops",
            "case_worker",
        )
        assert str(actor.municipality_id) == municipality["id"]
        assert services.directory.authenticate(user["token"] + "x") is None

        reissued = services.directory.issue_token(None, UUID(user["id"]))
        assert services.directory.authenticate(user["token"]) is None, "a replaced token must stop working"
        assert services.directory.authenticate(reissued["token"]) is not None

    def test_versions_tell_which_records_changed_since_a_token_was_looked_up(self, services: Services):
        municipality = services.directory.create_municipality("Gmina Krasnystaw")
        agency = services.directory.create_agency(None, UUID(municipality["id"]), "ops", "MOPS Krasnystaw")
        user = services.directory.create_user(None, role="case_worker", name="Anna Nowak", agency_id=UUID(agency["id"]))
        _actor, basis = services.directory.authenticate_with_basis(user["token"])
        assert services.store.versions([*basis, uuid4()]) == basis  # an unknown id is left out
        services.directory.issue_token(None, UUID(user["id"]))
        now = services.store.versions(list(basis))
        assert now[UUID(user["id"])] == basis[UUID(user["id"])] + 1
        assert {k: v for k, v in now.items() if k != UUID(user["id"])} == {
            k: v for k, v in basis.items() if k != UUID(user["id"])
        }

    def test_registered_child_and_signals_read_back(self, services: Services, world: World):
        child_id = register_child(services, world, pesel=make_pesel(date(2015, 4, 3), 1234))
        first, _ = record(services, world, child_id, "Nie odrabia lekcji, płacze na przerwach")
        second, _ = record(services, world, child_id, "Siniak na przedramieniu", who="health")

        assert services.children.get(world.users["coordinator"].actor, child_id)["family_name"] == "Wójcik"
        signals = services.children.list_signals(world.users["coordinator"].actor, child_id)
        assert [s["id"] for s in signals] == [first["id"], second["id"]]
        assert signals[0]["details"] == "Nie odrabia lekcji, płacze na przerwach"
        assert signals[1]["agency_id"] == str(world.agencies["health"])
        found = services.children.find(world.users["school"].actor, pesel=make_pesel(date(2015, 4, 3), 1234))
        assert [m["id"] for m in found["matches"]] == [str(child_id)]

    def test_notification_log_holds_every_event_in_order(self, services: Services, world: World):
        before = all_notifications(services)
        child_id = register_child(services, world)
        for n in range(3):
            record(services, world, child_id, f"sygnał {n}")

        notifications = all_notifications(services)
        ids = [n.id for n in notifications]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert notifications[: len(before)] == before, "the log only ever grows at its end"
        mine = [n for n in notifications if n.originator_id == child_id]
        assert [n.originator_version for n in mine] == [1, 2, 3, 4]
        assert mine[0].topic.endswith("Child.Registered")
        assert all(n.topic.endswith("Child.SignalRecorded") for n in mine[1:])
        assert notifications[-1] == mine[-1], "the last signal is the newest entry"

        # The recorder answers the same, and paging from a position continues after it.
        assert list(services.store.recorder.select_notifications(start=None, limit=10_000)) == notifications
        tail = services.store.recorder.select_notifications(start=mine[1].id, limit=10, inclusive_of_start=False)
        assert [n.originator_version for n in tail] == [3, 4]

    def test_retried_signal_is_recorded_once(self, services: Services, world: World):
        child_id = register_child(services, world)
        first, replayed = record(services, world, child_id, "Nieobecny od tygodnia", key="e-dziennik-17")
        assert not replayed
        log_size = len(all_notifications(services))

        again, replayed = record(services, world, child_id, "Nieobecny od tygodnia", key="e-dziennik-17")
        assert replayed and again == first
        assert len(all_notifications(services)) == log_size, "a retry must store nothing"
        assert versions(services, child_id) == [1, 2]
        with pytest.raises(Conflict):
            record(services, world, child_id, "Inna treść", key="e-dziennik-17")

    def test_concurrent_retries_record_the_signal_once(self, services: Services, second: Services, world: World):
        child_id = register_child(services, world)
        results = at_once(
            [
                lambda svc=svc: record(svc, world, child_id, "Ponowienie", key="retry-1")
                for svc in (services, second) * 2
            ]
        )

        assert len({signal["id"] for signal, _ in results}) == 1
        assert sorted(replayed for _, replayed in results) == [False, True, True, True]
        assert versions(services, child_id) == [1, 2]

    def test_concurrent_appends_to_one_child_all_succeed(self, services: Services, second: Services, world: World):
        child_id = register_child(services, world)
        # Half the writers share this process's store, half go through another instance.
        writers = [services, second] * (THREADS // 2)
        results = at_once(
            [lambda svc=svc, n=n: record(svc, world, child_id, f"wątek {n}") for n, svc in enumerate(writers)]
        )

        assert len({signal["id"] for signal, _ in results}) == THREADS
        assert versions(services, child_id) == list(range(1, THREADS + 2))
        stored = {e.signal_id for e in services.store.events.get(child_id) if isinstance(e, Child.SignalRecorded)}
        assert stored == {UUID(signal["id"]) for signal, _ in results}
        in_log = [n.originator_version for n in all_notifications(services) if n.originator_id == child_id]
        assert in_log == list(range(1, THREADS + 2))
        # Both instances see all the signals afterwards (no stale cache).
        for svc in (services, second):
            assert len(svc.children.list_signals(world.users["coordinator"].actor, child_id)) == THREADS

    def test_a_long_bucket_loads_from_a_snapshot(self, services: Services):
        """A bucket listed under for years loads from its latest snapshot, not its whole history."""
        store = services.store
        bucket = Bucket(key="notifications:from:test")
        refs = [uuid4() for _ in range(250)]
        for ref in refs:
            bucket.add(ref)
            store.save(bucket)
        assert store.snapshots is not None
        snapshots = list(store.snapshots.get(bucket.id, desc=True, limit=1))
        assert snapshots and snapshots[0].originator_version == 200, "snapshots every 100 events"
        store.repository.cache = None  # a load that must go to the store
        loaded = store.repository.get(bucket.id)
        assert loaded.refs == refs and loaded.version == 251

    def test_data_survives_closing_and_reopening(self, settings: Settings, clock: Clock):
        services = build(settings, clock=clock)
        try:
            municipality = services.directory.create_municipality("Gmina Trwała")
            school = services.directory.create_agency(None, UUID(municipality["id"]), "school", "SP 1")
            user = services.directory.create_user(None, role="submitter", name="pedagog", agency_id=UUID(school["id"]))
            actor = services.directory.authenticate(user["token"])
            child = services.children.register(
                actor, given_name="Jan", family_name="Łęcki", date_of_birth=date(2014, 9, 1)
            )
            services.children.record_signal(
                actor,
                UUID(child["id"]),
                kind="unexplained_absence",
                observed_at=OBSERVED,
                details="trzy dni",
                idempotency_key="k1",
            )
            log_size = len(all_notifications(services))
        finally:
            services.close()

        reopened = build(settings, clock=clock)
        try:
            actor = reopened.directory.authenticate(user["token"])
            assert actor is not None, "the token must still work after a restart"
            assert reopened.children.get(actor, UUID(child["id"]))["family_name"] == "Łęcki"
            signals = reopened.children.list_signals(actor, UUID(child["id"]))
            assert [s["details"] for s in signals] == ["trzy dni"]
            assert len(all_notifications(reopened)) == log_size
            _, replayed = reopened.children.record_signal(
                actor,
                UUID(child["id"]),
                kind="unexplained_absence",
                observed_at=OBSERVED,
                details="trzy dni",
                idempotency_key="k1",
            )
            assert replayed, "idempotency keys survive a restart"
        finally:
            reopened.close()

    def test_duplicate_pesel_is_refused(self, services: Services, world: World):
        pesel = make_pesel(date(2016, 1, 20), 4321)
        first = register_child(services, world, pesel=pesel, date_of_birth=date(2016, 1, 20))
        with pytest.raises(Conflict) as refused:
            register_child(
                services, world, pesel=pesel, given_name="Inna", family_name="Osoba", date_of_birth=date(2016, 1, 20)
            )
        assert refused.value.details == {"existing_id": str(first)}

    def test_concurrent_registrations_of_one_pesel_make_one_child(
        self, services: Services, second: Services, world: World
    ):
        pesel = make_pesel(date(2013, 5, 6), 777)

        def attempt(svc: Services) -> str:
            try:
                register_child(svc, world, pesel=pesel, date_of_birth=date(2013, 5, 6))
            except Conflict:
                return "refused"
            return "created"

        outcomes = at_once([lambda svc=svc: attempt(svc) for svc in (services, second) * 2])
        assert sorted(outcomes) == ["created", "refused", "refused", "refused"]
        found = services.children.find(world.users["school"].actor, pesel=pesel)
        assert len(found["matches"]) == 1

    def test_api_posts_and_reads_back(self, services: Services, world: World):
        app = create_app(services=services)
        app.config["TESTING"] = True
        client = app.test_client()
        school = world.users["school"]

        created = client.post(
            "/api/v1/children",
            headers=school.headers,
            json={"given_name": "Łucja", "family_name": "Żak", "date_of_birth": "2015-04-03"},
        )
        assert created.status_code == 201, created.json
        child_id = created.json["id"]
        body = {"kind": "missed_remote_learning", "observed_at": "2026-03-02T08:00:00+01:00", "days": 3}
        headers = {**school.headers, "Idempotency-Key": "api-1"}
        posted = client.post(f"/api/v1/children/{child_id}/signals", headers=headers, json=body)
        assert posted.status_code == 201, posted.json
        retried = client.post(f"/api/v1/children/{child_id}/signals", headers=headers, json=body)
        assert retried.status_code in (200, 201) and retried.json["id"] == posted.json["id"]

        # The coordinator reads every entry, with its place in the record (a school alone gets no positions).
        events = client.get(f"/api/v1/children/{child_id}/events", headers=world.users["coordinator"].headers)
        assert events.status_code == 200, events.json
        assert [(e["type"], e["version"]) for e in events.json] == [("Registered", 1), ("SignalRecorded", 2)]
        assert events.json[0]["data"]["family_name"] == "Żak"
        assert events.json[1]["data"]["days"] == 3
        assert client.get("/healthz").status_code == 200


class TestSqliteStore(StoreBehaviour):
    """The embedded default: an SQLite file in the data directory."""

    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var")})
        assert not settings.uses_postgres
        return settings

    def test_events_are_in_the_data_directory(self, services: Services, world: World):
        assert (services.settings.data_dir / "events.sqlite").stat().st_size > 0


@pytest.mark.postgres
class TestPostgresStore(StoreBehaviour):
    """Production: a real PostgreSQL server, a fresh database per test."""

    @pytest.fixture
    def settings(self, tmp_path: Path, postgres_url: str) -> Settings:
        settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
        assert settings.uses_postgres
        return settings

    def test_events_are_in_postgres_not_in_the_data_directory(
        self, services: Services, world: World, postgres_url: str
    ):
        import psycopg

        assert not (services.settings.data_dir / "events.sqlite").exists()
        with psycopg.connect(postgres_url) as conn:
            tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            assert tables, "eventsourcing created its tables"
            counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        assert max(counts.values()) >= len(all_notifications(services)) > 0
