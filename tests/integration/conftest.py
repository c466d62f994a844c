"""Fixtures for tests against real servers: one PostgreSQL per session, one database per test.

The server starts on first use, so a run that selects no PostgreSQL test never starts
one. When it cannot start (no binaries, no ``postgres`` user, ...) the tests that need it
are skipped — except under ``CI=true``, where a missing server fails the run: CI must
prove the PostgreSQL path, not quietly skip it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import PostgresServer, ServerUnavailable


def in_ci() -> bool:
    """True when running in CI, where a server that cannot start is an error."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and deleted at the end."""
    try:
        server = PostgresServer.start()
    except ServerUnavailable as exc:
        message = f"cannot start PostgreSQL for the tests: {exc}"
        if in_ci():
            pytest.fail(message + " (CI=true: not skipping)", pytrace=False)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """``SAFEHUB_DATABASE_URL`` of a new, empty database; dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
