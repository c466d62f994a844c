"""Cached reads of one aggregate from many threads while it is being written: no torn copies."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from domain.children import Child
from services.adapters.event_store import SafehubStore


def test_many_threads_copy_a_cached_child_while_others_append_to_it():
    store = SafehubStore(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.popo",
            "AGGREGATE_CACHE_MAXSIZE": "10",
            "AGGREGATE_CACHE_FASTFORWARD": "y",
        }
    )
    now = datetime(2026, 3, 3, tzinfo=UTC)
    child = Child.register(
        municipality_id=uuid4(),
        given_name="Ola",
        family_name="Nowak",
        date_of_birth=date(2015, 5, 14),
        pesel=None,
        school_id=None,
        registered_by=uuid4(),
        agency_id=uuid4(),
        today=now.date(),
    )
    store.save(child)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            try:
                fresh = store.repository.get(child.id)
                fresh.record_signal(
                    kind="behaviour_change",
                    observed_at=now,
                    details="x" * 50,
                    severity=None,
                    days=None,
                    agency_id=uuid4(),
                    agency_kind="school",
                    author_id=uuid4(),
                    author_role="submitter",
                    now=now,
                )
                store.save(fresh)
            except IntegrityError:
                pass  # another writer got there first: a version conflict is the expected answer
            except RuntimeError as exc:
                errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            try:
                store.repository.get(child.id)
            except RuntimeError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)] + [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    threading.Event().wait(2)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert store.repository.get(child.id).version > 5
