"""Shared fixtures: a fresh store per test on a temporary data directory, and a small world.

``world`` gives a municipality with one agency of each kind and a user (with token) per
role that the tests need, so API tests read as what a person does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain.access import Actor
from services.app import create_app
from services.bootstrap import Services, build
from services.config import Settings


class Clock:
    """A controllable clock for tests (starts at a fixed instant)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))


@pytest.fixture
def recorded_by_clock(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Stamp events' recorded time from the test clock (strictly increasing by 1 µs).

    Opt in where recorded time matters (deadlines, as-of replays): move ``clock.now`` and
    the next events are recorded then.
    """
    import eventsourcing.domain

    ticks = {"n": 0}

    def now() -> datetime:
        ticks["n"] += 1
        return clock() + timedelta(microseconds=ticks["n"])

    monkeypatch.setattr(eventsourcing.domain, "datetime_now_with_tzinfo", now)
    return clock


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var")})


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    svc = build(settings, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def app(services: Services):
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Member:
    """A user of the test world: its id, token and the Actor the policy sees."""

    id: UUID
    token: str
    actor: Actor
    agency_id: UUID | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    municipality_id: UUID
    agencies: dict[str, UUID] = field(default_factory=dict)
    users: dict[str, Member] = field(default_factory=dict)


#: Who is who in a test world: label -> (agency kind or None, role).
PEOPLE = {
    "admin": (None, "admin"),
    "auditor": (None, "auditor"),
    "school": ("school", "submitter"),
    "police": ("police", "submitter"),
    "health": ("health", "submitter"),
    "day_centre": ("day_centre", "submitter"),
    "case_worker": ("ops", "case_worker"),
    "family_assistant": ("ops", "family_assistant"),
    "coordinator": ("team", "coordinator"),
}


def make_world(services: Services, name: str = "Gmina Testowa") -> World:
    """One municipality, an agency per kind, and users named by what they are."""
    municipality_id = UUID(services.directory.create_municipality(name)["id"])
    world = World(municipality_id)
    for kind in ("school", "police", "ops", "court_curator", "health", "gkrpa", "pcpr", "day_centre", "ngo", "team"):
        world.agencies[kind] = UUID(services.directory.create_agency(None, municipality_id, kind, f"{kind} 1")["id"])
    for label, (agency_kind, role) in PEOPLE.items():
        agency_id = world.agencies[agency_kind] if agency_kind else None
        created = services.directory.create_user(
            None, role=role, name=label, agency_id=agency_id, municipality_id=municipality_id
        )
        actor = services.directory.authenticate(created["token"])
        world.users[label] = Member(UUID(created["id"]), created["token"], actor, agency_id)
    return world


@pytest.fixture
def world(services: Services) -> World:
    return make_world(services)


@pytest.fixture
def other_world(services: Services) -> World:
    """A second municipality in the same deployment, for isolation tests."""
    return make_world(services, "Gmina Sąsiednia")
