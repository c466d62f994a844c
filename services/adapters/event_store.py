"""The event store: one eventsourcing application whose notification log is the truth.

One application (one log) keeps a single order over everything that happened, which the
projections follow and, later, the hash chain covers. This module is the store's face:
opening it, saving, the bulk version queries and retrying a lost race. The pieces it
assembles live beside it: ``transcoding`` (event bodies), ``group_commit`` (concurrent
saves in one transaction) and ``aggregate_cache`` (the repository's cache).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, LRUCache, ProcessingEvent, Repository
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Transcoder

from domain.children import Child
from domain.indexes import Bucket
from domain.personal_data import PERSON_AGGREGATES
from services.adapters.aggregate_cache import AggregateCache, CopyUnderLockRepository
from services.adapters.group_commit import GroupCommit
from services.adapters.keys import ReusedAESCipher, SubjectKeys
from services.adapters.ledger import ErasureLedger
from services.adapters.sealing import SealingMapper
from services.adapters.transcoding import DateAsISO, QuickJSONTranscoder, UUIDAsHexQuick
from services.config import Settings

KEYS_FILE = "keys.sqlite"

T = TypeVar("T")
#: How often a write is retried when another writer changed the same aggregate first.
CONFLICT_RETRIES = 50
#: The ceiling of the random pause after a conflict: 2 ms after the first, doubling to 100 ms.
CONFLICT_PAUSE_FIRST_MS = 2
CONFLICT_PAUSE_MAX_MS = 100
#: The events all cached aggregates may hold together (``SAFEHUB_AGGREGATE_CACHE_EVENTS``).
DEFAULT_CACHE_EVENTS = 20_000


class SafehubStore(Application):
    """All of safehub's aggregates, in one notification log."""

    name = "safehub"
    #: A Bucket lists every aggregate filed under one key, for ever (the children born on one
    #: day, a municipality's agencies; stores from before the notices read model also hold
    #: notice buckets). Without snapshots each uncached load replays all of it: a quarter of
    #: a second at 5,000 refs on PostgreSQL.
    snapshotting_intervals = {Child: 100, Bucket: 100}

    def __init__(self, env: dict[str, str] | None = None, keys: SubjectKeys | None = None):
        #: Per-child keys that seal personal fields (crypto-shredding); None stores them as they are.
        self.keys = keys
        super().__init__(env=env)
        #: Concurrent saves share a transaction (see GroupCommit); reads use the recorder.
        self.events.recorder = GroupCommit(self.events.recorder)  # type: ignore[assignment]
        #: Called after every successful save; used to nudge the projections.
        self.after_save: list[Callable[[], None]] = []

    def construct_repository(self) -> Repository:
        """The library's repository, with cached aggregates copied under a lock (see ``CopyUnderLockRepository``)."""
        base = super().construct_repository()
        repository = CopyUnderLockRepository(
            event_store=base.event_store,
            snapshot_store=base.snapshot_store,
            cache_maxsize=None if base.cache is None else getattr(base.cache, "maxsize", 0),
            fastforward=base.fastforward,
            fastforward_skipping=base.fastforward_skipping,
            deepcopy_from_cache=base.deepcopy_from_cache,
        )
        if isinstance(base.cache, LRUCache):
            events = int(self.env.get("AGGREGATE_CACHE_EVENTS") or DEFAULT_CACHE_EVENTS)
            repository.cache = AggregateCache(base.cache.maxsize, events)
        return repository

    def construct_transcoder(self) -> Transcoder:
        """The JSON transcoder with the quicker decoding (see :class:`QuickJSONTranscoder`)."""
        transcoder = QuickJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper:
        """Seal personal fields with the subject's key, under the application-wide cipher."""
        mapper = super().construct_mapper()
        if type(mapper.cipher) is AESCipher:
            mapper.cipher = ReusedAESCipher.of(mapper.cipher)
        if self.keys is None:
            return mapper
        return SealingMapper(
            transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher, keys=self.keys
        )

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save atomically; first create, in one go, the keys of persons (children, adults) new in this save."""
        if self.keys is not None:
            new = [
                o.id
                for o in objs
                if type(o) in PERSON_AGGREGATES
                and o.pending_events
                and isinstance(o.pending_events[0], PERSON_AGGREGATES[type(o)])
            ]
            if new:
                self.keys.ensure(new)
        # The library's save, but an aggregate's events are collected with a plain class
        # check: its Protocol isinstance checks cost ~30 µs per object on Python 3.11
        # (20% of a 3,000-row import's save).
        processing_event: ProcessingEvent = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, as its save calls it
        return recordings

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        """Which of these aggregates have any stored event, in one query per thousand ids.

        For a bulk use case that would otherwise ask the repository for each of many
        aggregates, most of which do not exist yet (the birthday buckets of new pupils).
        An aggregate created after this answer still collides on its version when saved.
        """
        found: set[UUID] = set()
        recorder = self.recorder
        table = recorder.events_table_name  # type: ignore[attr-defined]
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            if self.factory.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
                from psycopg.sql import SQL, Identifier

                statement = SQL("SELECT DISTINCT originator_id FROM {0}.{1} WHERE originator_id = ANY(%s)").format(
                    Identifier(recorder.datastore.schema), Identifier(table)
                )  # type: ignore[attr-defined]
                with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                    cursor.execute(statement, (chunk,))
                    found.update(UUID(str(r["originator_id"])) for r in cursor.fetchall())
            else:
                marks = ", ".join("?" for _ in chunk)
                with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                    cursor.execute(
                        f"SELECT DISTINCT originator_id FROM {table} "  # noqa: S608 - a table name
                        f"WHERE originator_id IN ({marks})",
                        [i.hex for i in chunk],
                    )
                    found.update(UUID(r[0]) for r in cursor.fetchall())
        return found

    def versions(self, ids: Sequence[UUID]) -> dict[UUID, int]:
        """The stored version of each of a few aggregates (absent ones left out), in one query.

        Lets a caller keep something derived from these aggregates (who a token belongs
        to) for as long as none of them has a newer event, whichever process wrote it.
        """
        recorder = self.recorder
        table = recorder.events_table_name  # type: ignore[attr-defined]
        if self.factory.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
            from psycopg.sql import SQL, Identifier

            statement = SQL(
                "SELECT originator_id, MAX(originator_version) AS version FROM {0}.{1} "
                "WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(Identifier(recorder.datastore.schema), Identifier(table))  # type: ignore[attr-defined]
            # One statement is its own transaction: no BEGIN and ROLLBACK round trips.
            with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(statement, (list(ids),))
                return {UUID(str(r["originator_id"])): r["version"] for r in cursor.fetchall()}
        marks = ", ".join("?" for _ in ids)
        # One statement is its own (autocommit) read transaction: no BEGIN and ROLLBACK
        # round trips, each of which gives up and waits to retake the GIL.
        with recorder.datastore.get_connection(commit=False) as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(
                f"SELECT originator_id, MAX(originator_version) FROM {table} "  # noqa: S608 - a table name
                f"WHERE originator_id IN ({marks}) GROUP BY originator_id",
                [i.hex for i in ids],
            )
            return {UUID(r[0]): r[1] for r in cursor.fetchall()}

    def topic_counts(self, after: int, upto: int) -> list[tuple[str, int]]:
        """How many events of each topic the log holds between two positions (for the metrics)."""
        recorder: Any = self.recorder
        table = recorder.events_table_name
        datastore = recorder.datastore
        if hasattr(datastore, "schema"):  # PostgreSQL
            from psycopg.sql import SQL, Identifier

            name = Identifier(datastore.schema, table) if datastore.schema else Identifier(table)
            statement: Any = SQL(
                "SELECT topic AS topic, COUNT(*) AS n FROM {} WHERE notification_id > %s "
                "AND notification_id <= %s GROUP BY topic"
            ).format(name)
        else:
            statement = (
                f"SELECT topic AS topic, COUNT(*) AS n FROM {table} "  # noqa: S608 - the library's name
                "WHERE rowid > ? AND rowid <= ? GROUP BY topic"
            )
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (after, upto))
            return [(row["topic"], int(row["n"])) for row in cursor.fetchall()]

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
        transcoder.register(UUIDAsHexQuick())
        transcoder.register(DateAsISO())


def open_store(settings: Settings) -> SafehubStore:
    """Open (creating tables if needed) the store the settings point at."""
    env = settings.eventsourcing_env()
    env.update(
        {
            "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
            "AGGREGATE_CACHE_EVENTS": str(settings.aggregate_cache_events),
        }
    )
    return SafehubStore(env=env, keys=open_keys(settings))


def open_keys(settings: Settings) -> SubjectKeys:
    """The per-subject key store: beside the embedded store, or in the same PostgreSQL.

    Its keys are wrapped by the key-wrapping key, held outside both (services/adapters/keys.py),
    and each erasure is written to the erasure ledger a restore replays.
    """
    ledger = ErasureLedger(settings.erasure_ledger_path)
    wrapping = {"wrapping_key": settings.resolved_wrapping_key(), "ledger": ledger}
    if settings.database_url:
        return SubjectKeys(settings.resolved_cipher_key(), postgres_url=settings.database_url, **wrapping)
    return SubjectKeys(settings.resolved_cipher_key(), sqlite_path=settings.data_dir / KEYS_FILE, **wrapping)


def retry_on_conflict(attempt: Callable[[], T], on_conflict: Callable[[], Any] | None = None) -> T:
    """Run a load-decide-save attempt again when a concurrent writer got there first.

    Optimistic concurrency means two clients appending to one child both succeed: the
    loser of the race reloads the aggregate and decides again. ``on_conflict`` may turn
    a conflict into a domain answer (for example, a key claimed by the other writer).
    """
    for tries in range(CONFLICT_RETRIES):
        try:
            return attempt()
        except IntegrityError:
            if on_conflict is not None:
                on_conflict()
            time.sleep(conflict_pause(tries))
    raise IntegrityError("gave up after repeated concurrent changes")


def conflict_pause(tries: int) -> float:
    """Seconds to wait before trying again: random, up to a ceiling that doubles per try.

    Without a pause, writers that keep colliding on one busy child retry in lock step
    and some use up every retry (a 409) while the others win; a random pause under a
    growing ceiling lets them take turns.
    """
    ceiling_ms = min(CONFLICT_PAUSE_MAX_MS, CONFLICT_PAUSE_FIRST_MS * 2**tries)
    return secrets.randbelow(ceiling_ms + 1) / 1000
