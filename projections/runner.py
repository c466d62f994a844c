"""Following the event store's notification log: pull, apply in batches, track the position.

The log is the only truth; a follower reads what lies after its view's tracked position
and applies it. Two followers of the same view at once are harmless: a batch commits only
if the view is still at the position the batch was read after (checked under a lock on the
tracking row), so the second one's transaction rolls back. Nothing here knows whether it
runs in the web process (embedded) or in a Celery worker (production).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

import psycopg.errors
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, Mapper
from psycopg.sql import SQL, Identifier

from projections.collector import collector_paused
from projections.views import FOLLOWED, ViewMixin

BATCH_SIZE = 500
#: Events per batch when rebuilding from zero: fewer, larger transactions (one commit and
#: one read of the log per batch) with the same result; memory stays bounded by the batch.
REBUILD_BATCH_SIZE = 5000
#: Refusals in a row after which a conflict is no longer "someone else got there first".
MAX_CONFLICTS = 20


class Follower:
    """Moves one view along the log."""

    def __init__(
        self,
        view: ViewMixin,
        recorder: ApplicationRecorder,
        mapper: Mapper,
        batch_size: int = BATCH_SIZE,
        rebuild_batch_size: int = REBUILD_BATCH_SIZE,
    ):
        self.view = view
        self.recorder = recorder
        self.mapper = mapper
        self.batch_size = batch_size
        self.rebuild_batch_size = rebuild_batch_size
        self.lock = threading.Lock()

    @property
    def name(self) -> str:
        """The view's name."""
        return self.view.name

    def catch_up(
        self,
        max_batches: int | None = None,
        head: int | None = None,
        batch_size: int | None = None,
        position: int | None = None,
    ) -> int:
        """Apply everything recorded so far (or ``max_batches`` batches); return the count applied.

        ``head`` (the log's head) and ``position`` (this view's), read just before by the
        caller, save reading them again for the first batch: a read that finds every view
        current then costs no query here at all.
        """
        applied = batches = conflicts = 0
        given, known = head, position
        size = batch_size or self.batch_size
        if not self.lock.acquire(blocking=False):
            known = None  # another thread was catching up: the position read before may be behind
            self.lock.acquire()
        try:
            while max_batches is None or batches < max_batches:
                position, known = (known if known is not None else self.view.position()), None
                head, given = (given if given is not None else self.recorder.max_notification_id() or 0), None
                if position >= head:
                    break
                try:
                    with collector_paused():  # the batch's objects hold no cycles (see collector.py)
                        notes = self.recorder.select_notifications(
                            start=position,
                            limit=size,
                            stop=head,
                            topics=self.view.topics,
                            inclusive_of_start=False,
                        )
                        # Past the last relevant event up to ``head`` nothing concerns this view.
                        new_position = notes[-1].id if len(notes) == size else head
                        events = list(zip(self.decode(notes), (n.id for n in notes), strict=True))
                        self.view.apply_batch(events, new_position, start=position)
                        count = len(events)
                        del notes, events  # freed by their counts before the collector comes back
                except (IntegrityError, psycopg.errors.IntegrityError):
                    # Usually another follower applied this stretch first (its transaction has
                    # committed, or ours would still be waiting): read the position again, at
                    # once the first time. Many refusals in a row mean a real fault, which must surface.
                    conflicts += 1
                    if conflicts >= MAX_CONFLICTS:
                        raise
                    time.sleep(0.01 * (conflicts - 1))
                    continue
                conflicts = 0
                applied += count
                batches += 1
        finally:
            self.lock.release()
        return applied

    def decode(self, notes: list[Any]) -> list[Any]:
        """The batch's domain events; personal fields opened only for a view that reads them."""
        many = getattr(self.mapper, "to_domain_events", None)
        if many is not None:
            return many(notes, personal=self.view.personal_data)
        return [self.mapper.to_domain_event(n) for n in notes]

    def status(self) -> dict[str, Any]:
        """Position, head of the log and lag (in notifications)."""
        position, head = self.view.position(), self.recorder.max_notification_id() or 0
        return {"name": self.name, "position": position, "head": head, "lag": max(0, head - position)}

    def rebuild(self) -> int:
        """Forget everything and apply the whole log again."""
        with self.lock:
            self.view.reset()
        return self.catch_up(batch_size=self.rebuild_batch_size)


class Followers:
    """All the projections of a deployment, by name."""

    def __init__(self, followers: Iterable[Follower]):
        self.by_name = {f.name: f for f in followers}

    def __getitem__(self, name: str) -> Follower:
        return self.by_name[name]

    def names(self) -> list[str]:
        """The projection names."""
        return list(self.by_name)

    def catch_up(
        self, names: Iterable[str] | None = None, head: int | None = None, positions: dict[str, int] | None = None
    ) -> dict[str, int]:
        """Catch up the named projections (all by default), up to ``head`` if given.

        The log's head and the views' positions are read together first (one statement on
        PostgreSQL), unless the caller just read them (``head``, ``positions``), so a read
        that finds its views current costs at most one round trip here.
        """
        chosen = list(names or self.by_name)
        if not chosen:
            return {}
        if head is None or positions is None or not set(chosen) <= set(positions):
            read_head, positions = self.positions(chosen, with_head=head is None)
            head = read_head if head is None else head
        return {n: self.by_name[n].catch_up(head=head, position=positions[n]) for n in chosen}

    def positions(self, names: Iterable[str], *, with_head: bool = True) -> tuple[int, dict[str, int]]:
        """The log's head (0 unless ``with_head``) and each named view's position, read together."""
        chosen = [self.by_name[n] for n in names]
        together = _positions_statement(chosen, with_head) if chosen else None
        if together is not None:
            statement, params = together
            with chosen[0].view.datastore.get_connection() as connection, connection.cursor() as cursor:
                cursor.execute(statement, params)
                row = cursor.fetchone()
            values = [v or 0 for v in row.values()]
            head = values.pop(0) if with_head else 0
            return head, {f.name: v for f, v in zip(chosen, values, strict=True)}
        head = (chosen[0].recorder.max_notification_id() or 0) if with_head and chosen else 0
        return head, {f.name: f.view.position() for f in chosen}

    def status(self) -> list[dict[str, Any]]:
        """Position and lag of every projection."""
        return [f.status() for f in self.by_name.values()]

    def wait_until(
        self, position: int, timeout: float, names: Iterable[str] | None = None, positions: dict[str, int] | None = None
    ) -> bool:
        """Wait (polling) until the views have applied ``position``; True if they did in time.
        ``positions``: the views' positions the caller just read (the first poll, not read again)."""
        deadline = time.monotonic() + timeout
        chosen = list(names or self.by_name)
        while True:
            if positions is None or not set(chosen) <= set(positions):
                positions = self.positions(chosen, with_head=False)[1]
            if all(positions[n] >= position for n in chosen):
                return True
            positions = None
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _positions_statement(followers: list[Follower], with_head: bool) -> tuple[Any, tuple] | None:
    """On PostgreSQL, where the log and every view share one database: one SELECT of them all."""
    recorder = getattr(followers[0].recorder, "recorder", followers[0].recorder)  # a GroupCommit wraps it
    if not all(f.view.dialect == "postgres" for f in followers) or not hasattr(recorder, "events_table_name"):
        return None
    parts = []
    if with_head:
        parts.append(
            SQL("(SELECT MAX(notification_id) FROM {0}.{1})").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
            )
        )
    for f in followers:
        parts.append(
            SQL("(SELECT MAX(notification_id) FROM {0}.{1} WHERE application_name = %s)").format(
                Identifier(f.view.datastore.schema), Identifier(f.view.tracking_table_name)
            )
        )
    names = [SQL("AS {0}").format(Identifier(f"p{n}")) for n in range(len(parts))]
    columns = SQL(", ").join(SQL("{0} {1}").format(p, a) for p, a in zip(parts, names, strict=True))
    return SQL("SELECT {0}").format(columns), tuple(FOLLOWED for _ in followers)
