"""Fixtures for the reliability tests: the real-server fixtures of tests/integration, a web
server per test (always stopped, its log shown when the test fails), and store counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID

import pytest

from services.bootstrap import build
from services.config import Settings
from tests.integration.conftest import (  # noqa: F401 - fixtures shared with the integration tests
    celery_processes,
    postgres_server,
    postgres_url,
    redis_server,
    redis_url,
)
from tests.reliability.live import WebServer


@pytest.fixture
def web_servers(tmp_path: Path) -> Iterator[Callable[..., WebServer]]:
    """Start web servers with given settings; all are stopped (SIGKILL) at the end."""
    started: list[WebServer] = []

    def start(env: dict[str, str], gunicorn_workers: int = 0, port: int | None = None) -> WebServer:
        n = len(started) + 1
        server = WebServer(env, tmp_path / "logs" / f"web-{n}.log", gunicorn_workers)
        if port is not None:
            server.port = port
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()
    for server in started:
        print(server.log_tail())  # pytest shows it only when the test failed


def stored_topics(env: dict[str, str]) -> Counter[str]:
    """How many events of each kind the store holds (read straight from the notification log)."""
    services = build(Settings.from_env(env))
    services.projector.stop()
    try:
        counts: Counter[str] = Counter()
        start = 1
        while True:
            batch = services.store.recorder.select_notifications(start=start, limit=1000)
            if not batch:
                return counts
            for notification in batch:
                counts[notification.topic.split(":")[-1]] += 1
            start = batch[-1].id + 1
    finally:
        services.close()


def child_versions(env: dict[str, str], child_id: str) -> list[tuple[int, str]]:
    """(version, event class) of every stored event of one child, in order."""
    services = build(Settings.from_env(env))
    services.projector.stop()
    try:
        return [(e.originator_version, type(e).__qualname__) for e in services.store.events.get(UUID(child_id))]
    finally:
        services.close()
