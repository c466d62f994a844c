"""The event store: one eventsourcing application whose notification log is the truth.

One application (one log) keeps a single order over everything that happened, which the
projections follow and, later, the hash chain covers.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.application import Application, Cache, LRUCache, ProcessingEvent, Repository
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoder,
    Transcoding,
    UUIDAsHex,
)

from domain.children import Child
from domain.indexes import Bucket
from projections.bounded_cache import BoundedCache
from services.adapters.keys import ReusedAESCipher, SubjectKeys
from services.adapters.sealing import SealingMapper
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


class UUIDAsHexQuick(UUIDAsHex):
    """The library's ``uuid_hex`` transcoding, decoding the hex it wrote without ``UUID()``'s parsing.

    Reading the log decodes several ids per event; ``UUID(hex)`` strips prefixes, braces
    and dashes first, which a 32-character alphanumeric string cannot contain, so for
    such a string building the UUID from ``int(data, 16)`` is exactly what ``UUID(data)``
    does (same value, same error for a non-hex character). Anything else goes to ``UUID()``.
    """

    def decode(self, data: str) -> UUID:
        """Decode the hex (stored by :meth:`encode`)."""
        if type(data) is str and len(data) == 32 and data.isalnum():
            uuid = object.__new__(UUID)
            object.__setattr__(uuid, "int", int(data, 16))
            object.__setattr__(uuid, "is_safe", SafeUUID.unknown)
            return uuid
        return UUID(data)


#: orjson reads an integer beyond 64 bits as a float: a float this large may have been one.
_INT64 = 2.0**63


class _LibraryReads(Exception):
    """The document holds something orjson may read differently: the library's decoder reads it."""


class QuickJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder (same bytes, same objects), decoding with orjson.

    Every event read from the log is decoded once; the library's decoder calls a Python
    hook for every JSON object, which a rebuild pays millions of times over. Here orjson
    parses the text and one walk revives the transcoded values (``{"_type_", "_data_"}``),
    innermost first, exactly as the hook would. What orjson refuses but the library reads
    (NaN, text around the document) or may read differently (an integer beyond 64 bits,
    which it reads as a float) goes the library's way.
    """

    def __init__(self) -> None:
        super().__init__()
        names = self.names

        def hook(d: dict[str, Any]) -> Any:
            if len(d) != 2 or "_type_" not in d or "_data_" not in d:
                return d
            try:
                transcoding = names[d["_type_"]]
            except KeyError:
                return self._decode_obj(d)  # raises the library's error
            return transcoding.decode(d["_data_"])

        def revive(value: Any) -> Any:
            """Revive the transcoded values inside a parsed dict or list (in place), innermost first."""
            if type(value) is dict:
                for key, item in value.items():
                    kind = type(item)
                    if kind is dict:
                        data = item.get("_data_") if len(item) == 2 else None
                        # The usual leaf (a uuid, a datetime: its data is text) without a call.
                        value[key] = hook(item) if type(data) is str and "_type_" in item else revive(item)
                    elif kind is list:
                        revive(item)
                    elif kind is float and not -_INT64 < item < _INT64:
                        raise _LibraryReads  # perhaps an integer too long for orjson, which reads it as a float
                return hook(value) if len(value) == 2 else value
            for index, item in enumerate(value):
                kind = type(item)
                if kind is dict or kind is list:
                    value[index] = revive(item)
                elif kind is float and not -_INT64 < item < _INT64:
                    raise _LibraryReads
            return value

        self._revive = revive
        self.decoder = json.JSONDecoder(object_hook=hook)

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by :meth:`encode`; anything orjson refuses as the library does."""
        try:
            value = orjson.loads(data)
            kind = type(value)
            if kind is dict or kind is list:
                return self._revive(value)
            if kind is float and not -_INT64 < value < _INT64:
                raise _LibraryReads
            return value
        except (orjson.JSONDecodeError, _LibraryReads):
            return self.decoder.decode(data.decode("utf8"))


class _Waiting:
    """One save's stored events, waiting in a group commit for their notification ids."""

    __slots__ = ("error", "events", "ids", "written")

    def __init__(self, events: Sequence[StoredEvent]):
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.written = False


class GroupCommit:
    """Writes the saves of concurrent requests in one transaction (one commit, one fsync).

    Saves are serialised anyway (one writer at a time, in log order). While one
    transaction is being written and committed, the saves that arrive queue up; the
    first of them to get the writer's turn writes the whole queue in ONE transaction
    and hands every waiting save its notification ids. A save that finds the writer
    idle writes at once, alone, so a lone request waits for nothing.

    Each save still succeeds or fails on its own: if the group's transaction fails
    (say one save lost a version race), nothing of it was stored, and each save of the
    group is written again in its own transaction, so only the loser sees the conflict.
    Any other failure (outcome unknown) is given to every save of the group, as each
    would have got it alone. Nobody is answered before its commit, and a kill loses
    only saves that nobody was told were stored.
    """

    def __init__(self, recorder: ApplicationRecorder):
        self.recorder = recorder
        self._queue: list[_Waiting] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        """Everything else (reads) goes straight to the recorder."""
        return getattr(self.recorder, name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert the events in the next group commit; return their notification ids."""
        if kwargs.get("tracking") is not None or set(kwargs) - {"tracking"} or not stored_events:
            return self.recorder.insert_events(stored_events, **kwargs)
        mine = _Waiting(stored_events)
        with self._queue_lock:
            self._queue.append(mine)
        with self._writer:
            if not mine.written:  # nobody took it along: write the queue, ours included
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._write(group)
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _write(self, group: list[_Waiting]) -> None:
        if len(group) > 1:
            try:
                ids = self.recorder.insert_events([e for w in group for e in w.events])
            except IntegrityError:
                # A constraint refused a row before the commit, so nothing of the group is
                # stored: write each save on its own, so only the one that conflicts fails.
                pass
            except BaseException as e:
                # The outcome is unknown (the database went away, perhaps after committing):
                # every save of the group gets the error, exactly as it would have alone.
                for waiting in group:
                    waiting.error, waiting.written = e, True
                return
            else:
                offset = 0
                for waiting in group:
                    waiting.ids = list(ids[offset:offset + len(waiting.events)]) if ids else None
                    offset += len(waiting.events)
                    waiting.written = True
                return
        for waiting in group:
            try:
                waiting.ids = self.recorder.insert_events(waiting.events)
            except BaseException as e:  # handed to the save that made it
                waiting.error = e
            waiting.written = True


class AggregateCache(Cache):
    """The repository's cache of decoded aggregates, bounded by the events they hold.

    The library's LRU cache counts aggregates, but a child's aggregate holds every signal
    ever recorded about it, so "2,000 children" is a few MiB on the first day and grows
    with every signal after. Here the budget is in events (an aggregate weighs its
    version), so a process's memory stays flat as the histories grow.
    """

    def __init__(self, max_entries: int, max_events: int):
        super().__init__()
        self.maxsize = max_entries
        self.entries: BoundedCache[Any] = BoundedCache(max_entries, max_events, weigh=_events_in)

    def get(self, key: Any, *, evict: bool = False) -> Any:
        found = self.entries.pop(key) if evict else self.entries.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def put(self, key: Any, value: Any) -> None:
        if value is not None:
            self.entries.put(key, value)

    def reweigh(self, key: Any) -> None:
        """An aggregate fast-forwarded in place weighs more now."""
        self.entries.reweigh(key)

    def __bool__(self) -> bool:  # the library tests ``if self.cache``: an empty cache is still on
        return True


def _events_in(aggregate: Any) -> int:
    return int(getattr(aggregate, "version", 1))


class _CopyUnderLockRepository(Repository):
    """The library's repository, but a cached aggregate is copied while nobody advances it.

    With the aggregate cache in fast-forward mode, ``Repository.get`` advances the cached
    aggregate under a per-aggregate lock but deep-copies it after releasing that lock, so
    a request copying a child while another request fast-forwards the same child can fail
    with "dictionary changed size during iteration". Concurrent saves of one child make
    that likely (group commit wakes them together). Here the whole cached read of one
    aggregate (fast-forward and copy) runs under a lock striped by aggregate id.
    """

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def get(self, aggregate_id: Any, *, version: int | None = None, **kwargs: Any) -> Any:
        """Get the aggregate; a cached one is advanced and copied under its stripe's lock."""
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        with self._stripes[hash(aggregate_id) % self.STRIPES]:
            aggregate = super().get(aggregate_id, **kwargs)
            if isinstance(self.cache, AggregateCache):
                self.cache.reweigh(aggregate_id)
            return aggregate


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
        """The library's repository, with cached aggregates copied under a lock (see above)."""
        base = super().construct_repository()
        repository = _CopyUnderLockRepository(
            event_store=base.event_store, snapshot_store=base.snapshot_store,
            cache_maxsize=None if base.cache is None else getattr(base.cache, "maxsize", 0),
            fastforward=base.fastforward, fastforward_skipping=base.fastforward_skipping,
            deepcopy_from_cache=base.deepcopy_from_cache)
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
        return SealingMapper(transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher,
                             keys=self.keys)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Save atomically; first create, in one go, the keys of children new in this save."""
        if self.keys is not None:
            new = [o.id for o in objs if isinstance(o, Child) and o.pending_events
                   and isinstance(o.pending_events[0], Child.Registered)]
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
            chunk = list(ids[start:start + 1000])
            if self.factory.env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
                from psycopg.sql import SQL, Identifier

                statement = SQL("SELECT DISTINCT originator_id FROM {0}.{1} WHERE originator_id = ANY(%s)").format(
                    Identifier(recorder.datastore.schema), Identifier(table))  # type: ignore[attr-defined]
                with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                    cursor.execute(statement, (chunk,))
                    found.update(UUID(str(r["originator_id"])) for r in cursor.fetchall())
            else:
                marks = ", ".join("?" for _ in chunk)
                with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
                    cursor.execute(f"SELECT DISTINCT originator_id FROM {table} "  # noqa: S608 - a table name
                                   f"WHERE originator_id IN ({marks})", [i.hex for i in chunk])
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

            statement = SQL("SELECT originator_id, MAX(originator_version) AS version FROM {0}.{1} "
                            "WHERE originator_id = ANY(%s) GROUP BY originator_id").format(
                Identifier(recorder.datastore.schema), Identifier(table))  # type: ignore[attr-defined]
            # One statement is its own transaction: no BEGIN and ROLLBACK round trips.
            with recorder.datastore.get_connection() as connection, \
                    connection.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(statement, (list(ids),))
                return {UUID(str(r["originator_id"])): r["version"] for r in cursor.fetchall()}
        marks = ", ".join("?" for _ in ids)
        # One statement is its own (autocommit) read transaction: no BEGIN and ROLLBACK
        # round trips, each of which gives up and waits to retake the GIL.
        with recorder.datastore.get_connection(commit=False) as connection, \
                connection.cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute(f"SELECT originator_id, MAX(originator_version) FROM {table} "  # noqa: S608 - a table name
                           f"WHERE originator_id IN ({marks}) GROUP BY originator_id", [i.hex for i in ids])
            return {UUID(r[0]): r[1] for r in cursor.fetchall()}

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
    env.update({"AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size), "AGGREGATE_CACHE_FASTFORWARD": "y",
                "AGGREGATE_CACHE_EVENTS": str(settings.aggregate_cache_events)})
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
