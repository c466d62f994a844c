"""The event store: one eventsourcing application whose notification log is the truth.

One application (one log) keeps a single order over everything that happened, which the
projections follow and, later, the hash chain covers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Transcoding

from domain.children import Child
from services.config import Settings
from services.keys import SubjectKeys
from services.sealing import SealingMapper

KEYS_FILE = "keys.sqlite"

T = TypeVar("T")
#: How often a write is retried when another writer changed the same aggregate first.
CONFLICT_RETRIES = 50


class DateAsISO(Transcoding):
    """Store calendar dates (a date of birth) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Encode the date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Decode the date."""
        return date.fromisoformat(data)


class SafehubStore(Application):
    """All of safehub's aggregates, in one notification log."""

    name = "safehub"
    snapshotting_intervals = {Child: 100}

    def __init__(self, env: dict[str, str] | None = None, keys: SubjectKeys | None = None):
        #: Per-child keys that seal personal fields (crypto-shredding); None stores them as they are.
        self.keys = keys
        super().__init__(env=env)
        #: Called after every successful save; used to nudge the projections.
        self.after_save: list[Callable[[], None]] = []

    def construct_mapper(self) -> Mapper:
        """Seal personal fields with the subject's key, under the application-wide cipher."""
        mapper = super().construct_mapper()
        if self.keys is None:
            return mapper
        return SealingMapper(transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher,
                             keys=self.keys)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save atomically; first create, in one go, the keys of children new in this save."""
        if self.keys is not None:
            new = [o.id for o in objs if isinstance(o, Child) and o.pending_events
                   and isinstance(o.pending_events[0], Child.Registered)]
            if new:
                self.keys.ensure(new)
        return super().save(*objs, **kwargs)

    def close(self) -> None:
        """Close the store and the key store."""
        super().close()
        if self.keys is not None:
            self.keys.close()

    def _notify(self, recordings: list) -> None:
        """Nudge whoever follows the log; a failing nudge must never fail the write."""
        for listener in self.after_save:
            try:
                listener()
            except Exception:  # the event is stored; projections catch up on their schedule
                logging.getLogger("safehub.store").warning("after-save listener failed", exc_info=True)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add the value types our events carry beyond eventsourcing's defaults."""
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def open_store(settings: Settings) -> SafehubStore:
    """Open (creating tables if needed) the store the settings point at."""
    env = settings.eventsourcing_env()
    env.update({"AGGREGATE_CACHE_MAXSIZE": "2000", "AGGREGATE_CACHE_FASTFORWARD": "y"})
    return SafehubStore(env=env, keys=open_keys(settings))


def open_keys(settings: Settings) -> SubjectKeys:
    """The per-subject key store: beside the embedded store, or in the same PostgreSQL."""
    if settings.database_url:
        return SubjectKeys(settings.resolved_cipher_key(), postgres_url=settings.database_url)
    return SubjectKeys(settings.resolved_cipher_key(), sqlite_path=settings.data_dir / KEYS_FILE)


def retry_on_conflict(attempt: Callable[[], T], on_conflict: Callable[[], Any] | None = None) -> T:
    """Run a load-decide-save attempt again when a concurrent writer got there first.

    Optimistic concurrency means two clients appending to one child both succeed: the
    loser of the race reloads the aggregate and decides again. ``on_conflict`` may turn
    a conflict into a domain answer (for example, a key claimed by the other writer).
    """
    for _ in range(CONFLICT_RETRIES):
        try:
            return attempt()
        except IntegrityError:
            if on_conflict is not None:
                on_conflict()
    raise IntegrityError("gave up after repeated concurrent changes")
