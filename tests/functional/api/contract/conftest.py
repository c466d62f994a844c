"""API tests share one store and one app per module; each test gets its own municipality.

Municipalities are isolated from each other by design, so a fresh municipality per test
separates tests as well as a fresh store does, at a fraction of the cost: building a
store, its projections and an app, then ten agencies and nine users, took ~0.2 s a test.
The fixtures keep the names and types of ``tests/conftest.py``; a world's agencies and
users are created the first time a test asks for them, and ``clock`` is reset per test.
This lives in its own folder so other API tests keep the fresh store per test.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.app import create_app
from services.bootstrap import Services, build
from services.config import Settings
from tests.conftest import Clock
from tests.functional.api.contract.worlds import lazy_world
from tests.worlds import World

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def _shared(tmp_path_factory) -> Iterator[tuple[Services, object, Clock]]:
    clock = Clock(START)
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path_factory.mktemp("api") / "var")})
    services = build(settings, clock=clock)
    app = create_app(services=services)
    app.config["TESTING"] = True
    yield services, app, clock
    services.close()


@pytest.fixture
def clock(_shared) -> Clock:
    shared_clock = _shared[2]
    shared_clock.now = START
    return shared_clock


@pytest.fixture
def services(_shared, clock) -> Services:
    return _shared[0]


@pytest.fixture
def settings(services) -> Settings:
    return services.settings


@pytest.fixture
def app(_shared):
    return _shared[1]


@pytest.fixture
def world(services) -> World:
    return lazy_world(services)


@pytest.fixture
def other_world(services) -> World:
    """A second municipality in the same deployment, for isolation tests."""
    return lazy_world(services, "Gmina Sąsiednia")
