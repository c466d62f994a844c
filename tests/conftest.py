"""Shared fixtures: a fresh store per test on a temporary data directory, and a small world.

``world`` gives a municipality with one agency of each kind and a user (with token) per
role that the tests need, so API tests read as what a person does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.app import create_app
from services.bootstrap import Services, build
from services.config import Settings
from tests.worlds import World, make_world


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


@pytest.fixture
def world(services: Services) -> World:
    return make_world(services.directory)


@pytest.fixture
def other_world(services: Services) -> World:
    """A second municipality in the same deployment, for isolation tests."""
    return make_world(services.directory, "Gmina Sąsiednia")
