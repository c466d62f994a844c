"""Fixtures for tests against real servers: one PostgreSQL per session, one database per test;
one Redis per session, emptied for every test; Celery worker and beat processes per test.

A server starts on first use, so a run that selects no PostgreSQL (or Redis) test never
starts one. When it cannot start (no binaries, no ``postgres`` user, ...) the tests that
need it are skipped — except under ``CI=true``, where a missing server fails the run: CI
must prove the PostgreSQL and Redis paths, not quietly skip them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from services.config import Settings
from tests.servers import CeleryProcess, PostgresServer, RedisServer, ServerUnavailable

S = TypeVar("S")


def in_ci() -> bool:
    """True when running in CI, where a server that cannot start is an error."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def start_or_skip(start: Callable[[], S], what: str) -> S:
    """Start a server, or skip the test saying why (fail instead under ``CI=true``)."""
    try:
        return start()
    except ServerUnavailable as exc:
        message = f"cannot start {what} for the tests: {exc}"
        if in_ci():
            pytest.fail(message + " (CI=true: not skipping)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, stopped and deleted at the end."""
    server = start_or_skip(PostgresServer.start, "PostgreSQL")
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


@pytest.fixture
def postgres_settings(tmp_path: Path, postgres_url: str) -> Settings:
    """The app's settings on a new PostgreSQL database (a module returns them as its ``settings``)."""
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    assert settings.uses_postgres
    return settings


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server (no persistence) for the whole session, stopped and deleted at the end.

    A test may stop it (``pause()``) and start it again on the same port (``resume()``).
    """
    server = start_or_skip(RedisServer.start, "Redis")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """``SAFEHUB_BROKER_URL`` of a running, empty Redis (started again if a test stopped it)."""
    from redis import Redis

    redis_server.resume()
    with Redis.from_url(redis_server.url()) as client:
        client.flushall()
    try:
        yield redis_server.url()
    finally:
        redis_server.resume()  # the next test gets a running server whatever this one did


class CeleryProcesses:
    """Starts ``safehub worker`` / ``safehub beat`` processes for one test and always stops them."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[CeleryProcess] = []

    def worker(
        self, env: dict[str, str], concurrency: int = 1, quick: bool = False, timeout: float = 30
    ) -> CeleryProcess:
        """Start a worker with these ``SAFEHUB_*`` settings; return once it is ready.

        By default this is ``safehub worker``, as an operator runs it. ``quick`` runs Celery
        directly without the start-up handshakes a lone test worker does not need (mingle
        alone waits a second), for tests that start workers again and again.
        """
        if quick:
            argv = (
                "-m",
                "celery",
                "-A",
                "workers.app",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            )
        else:
            argv = ("-m", "services.cli", "worker", "--concurrency", str(concurrency))
        return self._start("worker", env, argv, timeout)

    def beat(self, env: dict[str, str], timeout: float = 30) -> CeleryProcess:
        """Start ``safehub beat``: the periodic catch-up, every ``SAFEHUB_CATCH_UP_SECONDS``."""
        return self._start("beat", env, ("-m", "services.cli", "beat"), timeout)

    def _start(self, command: str, env: dict[str, str], argv: tuple[str, ...], timeout: float) -> CeleryProcess:
        process_env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")}
        process_env.update(env)
        n = sum(1 for p in self.started if p.command == command) + 1
        process = CeleryProcess(command, process_env, self.logs / f"{command}-{n}.log", argv)
        self.started.append(process)
        return process.start(timeout)

    def kill_all(self) -> None:
        for process in self.started:
            process.kill()

    def report(self) -> str:
        """The end of every process's log (shown when a test fails)."""
        return "\n".join(p.log_tail() for p in self.started)


@pytest.fixture
def celery_processes(tmp_path: Path) -> Iterator[CeleryProcesses]:
    """Real Celery processes for this test; all killed at the end, their logs printed."""
    processes = CeleryProcesses(tmp_path / "celery-logs")
    try:
        yield processes
    finally:
        processes.kill_all()  # the read models are transactional: a kill is a clean stop
        print(processes.report())  # pytest shows it only when the test failed
