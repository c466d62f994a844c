"""Group commit: concurrent saves share one transaction, yet each succeeds or fails on its own."""

from __future__ import annotations

import threading
import time
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from services.adapters.group_commit import GroupCommit


class FakeRecorder:
    """Records each insert call; the first one blocks until the test lets it go."""

    def __init__(self, fail_group_with: BaseException | None = None):
        self.calls: list[int] = []
        self.gate = threading.Event()
        self.stored: dict[tuple, int] = {}
        self.fail_group_with = fail_group_with

    def insert_events(self, events, **kwargs):
        self.calls.append(len(events))
        if len(self.calls) == 1:
            assert self.gate.wait(5)
        if self.fail_group_with is not None and len(events) > 1:
            raise self.fail_group_with
        keys = [(e.originator_id, e.originator_version) for e in events]
        if len(set(keys)) < len(keys) or any(k in self.stored for k in keys):
            raise IntegrityError("version taken")
        ids = []
        for k in keys:
            self.stored[k] = len(self.stored) + 1
            ids.append(self.stored[k])
        return ids

    def max_notification_id(self) -> int:
        return len(self.stored)


def event(originator, version: int = 1) -> StoredEvent:
    return StoredEvent(originator_id=originator, originator_version=version, topic="t", state=b"x")


def run_saves(committer: GroupCommit, recorder: FakeRecorder, first: list, queued: list[list]) -> list:
    """The first save blocks inside the recorder while the others queue; return each outcome."""
    outcomes: list = [None] * (1 + len(queued))

    def save(n: int, events: list) -> None:
        try:
            outcomes[n] = committer.insert_events(events, tracking=None)
        except BaseException as e:  # the outcome under test
            outcomes[n] = e

    threads = [threading.Thread(target=save, args=(0, first))]
    threads[0].start()
    while not recorder.calls:
        time.sleep(0.001)
    for n, events in enumerate(queued, start=1):
        threads.append(threading.Thread(target=save, args=(n, events)))
        threads[-1].start()
    deadline = time.monotonic() + 5
    while len(committer._queue) < len(queued) and time.monotonic() < deadline:
        time.sleep(0.001)
    recorder.gate.set()
    for t in threads:
        t.join(5)
    return outcomes


def test_saves_that_queue_behind_a_commit_are_written_in_one_transaction():
    recorder = FakeRecorder()
    committer = GroupCommit(recorder)
    queued = [[event(uuid4()), event(uuid4())] for _ in range(4)]
    outcomes = run_saves(committer, recorder, [event(uuid4())], queued)
    assert recorder.calls == [1, 8]  # the lone first save, then the four waiting ones together
    assert outcomes[0] == [1]
    ids = [i for o in outcomes[1:] for i in o]
    assert sorted(ids) == list(range(2, 10))
    for events, got in zip(queued, outcomes[1:], strict=True):  # each save gets its own events' ids
        assert got == [recorder.stored[(e.originator_id, e.originator_version)] for e in events]


def test_a_conflict_in_a_group_fails_only_the_save_that_conflicts():
    recorder = FakeRecorder()
    committer = GroupCommit(recorder)
    contested = uuid4()
    queued = [[event(uuid4())], [event(contested)], [event(contested)], [event(uuid4())]]
    outcomes = run_saves(committer, recorder, [event(uuid4())], queued)
    assert recorder.calls[:2] == [1, 4]  # the group was tried, refused, then written one by one
    failed = [o for o in outcomes if isinstance(o, IntegrityError)]
    assert len(failed) == 1
    assert len(recorder.stored) == 4  # nothing doubled, nothing but the loser lost
    assert all(isinstance(o, list) for o in outcomes if o is not failed[0])


def test_an_unknown_outcome_is_reported_to_every_save_of_the_group_and_never_retried():
    recorder = FakeRecorder(fail_group_with=OSError("connection lost"))
    committer = GroupCommit(recorder)
    outcomes = run_saves(committer, recorder, [event(uuid4())], [[event(uuid4())], [event(uuid4())]])
    assert recorder.calls == [1, 2]  # no second attempt that could store an event twice
    assert outcomes[0] == [1]
    assert all(isinstance(o, OSError) for o in outcomes[1:])


def test_reads_and_tracked_writes_go_straight_to_the_recorder():
    recorder = FakeRecorder()
    recorder.gate.set()
    committer = GroupCommit(recorder)
    assert committer.insert_events([event(uuid4())], tracking=None) == [1]
    assert committer.max_notification_id() == 1
    with pytest.raises(IntegrityError):
        committer.insert_events([event(uuid4()), event(uuid4())][:1] * 2)


def test_many_threads_writing_one_child_all_succeed_through_the_shared_cache(services, world):
    """Concurrent saves of one child: each load copies the cached child while others advance it."""
    from datetime import UTC, datetime

    school = world.users["school"]
    child = services.children.register(
        school.actor, given_name="Ola", family_name="Nowicka", date_of_birth=datetime(2015, 5, 14).date()
    )
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for i in range(25):
            try:
                services.children.record_signal(
                    school.actor,
                    UUID(child["id"]),
                    kind="behaviour_change",
                    observed_at=datetime(2026, 2, 20, 8, tzinfo=UTC),
                    details=f"{n}/{i}",
                )
            except BaseException as e:  # the outcome under test
                errors.append(e)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert len(services.children.list_signals(world.users["coordinator"].actor, UUID(child["id"]))) == 200


def test_a_writer_that_keeps_colliding_waits_a_random_and_growing_pause_and_then_succeeds(monkeypatch):
    from eventsourcing.persistence import IntegrityError

    from services.adapters import event_store as store

    pauses: list[float] = []
    monkeypatch.setattr(store.time, "sleep", pauses.append)
    collisions = iter(range(8))

    def attempt() -> str:
        if next(collisions, None) is not None:
            raise IntegrityError("version taken")
        return "saved"

    assert store.retry_on_conflict(attempt) == "saved"
    assert len(pauses) == 8
    ceilings = [min(store.CONFLICT_PAUSE_MAX_MS, store.CONFLICT_PAUSE_FIRST_MS * 2**n) / 1000 for n in range(8)]
    assert all(0 <= p <= c for p, c in zip(pauses, ceilings, strict=True))
    assert max(store.conflict_pause(20) for _ in range(200)) > store.CONFLICT_PAUSE_FIRST_MS / 1000  # it grows
