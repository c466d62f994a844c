"""The composition root: build the store and the use cases from settings.

No Flask and no Celery here, so the CLI, the web app, the workers and the tests all get
the same wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from services.children import ChildRecords
from services.config import Settings
from services.directory import Directory
from services.store import SafehubStore, open_store


def utc_now() -> datetime:
    """Return the current time; injected so tests can control the clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a front end needs, built once per process."""

    settings: Settings
    store: SafehubStore
    directory: Directory
    children: ChildRecords

    def close(self) -> None:
        """Release database connections."""
        self.store.close()


def build(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """Open the store and wire the use cases to it."""
    store = open_store(settings)
    directory = Directory(store)
    children = ChildRecords(store, directory, settings.resolved_secret(), clock, settings.timezone)
    return Services(settings, store, directory, children)
