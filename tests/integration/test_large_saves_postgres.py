"""Saves of tens of thousands of events on a real PostgreSQL: a bulk import is one such save.

One pipelined statement of that many events never came back (psycopg waited in
``Pipeline.sync``), so a 100,000-row import hung forever. Large saves are now written in
chunks, in one transaction: all or nothing, ids in order, every event chained.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresDatastore

from services.adapters import integrity
from services.adapters.integrity import PostgresChainedRecorder, verify
from services.config import Settings
from tests.functional.api.test_import import HEADER_EN, upload

pytestmark = pytest.mark.postgres
T = TypeVar("T")

#: Several chunks, and past the size that used to hang (about 20,000 events of this size).
MANY = 25_123


def within(seconds: float, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread; fail (rather than hang the suite) if it does not return in time."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"the save did not return within {seconds} s (the pipelined insert hangs)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def stored(count: int) -> list[StoredEvent]:
    return [
        StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="tests:Fact", state=os.urandom(500))
        for _ in range(count)
    ]


def test_a_save_of_many_events_is_stored_whole_in_order_and_chained(services):
    recorder = services.store.events.recorder
    before = recorder.max_notification_id() or 0
    events = stored(MANY)
    ids = within(120, lambda: recorder.insert_events(events))
    assert list(ids) == list(range(before + 1, before + MANY + 1))
    assert [n.originator_id for n in recorder.select_notifications(before + 1, MANY)] == [
        e.originator_id for e in events
    ]
    report = verify(recorder)
    assert report["intact"] and report["count"] == before + MANY


def test_a_conflict_in_the_last_chunk_stores_nothing_of_the_save(services, postgres_url):
    recorder = services.store.events.recorder
    taken = stored(1)
    recorder.insert_events(taken)
    before = recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        within(120, lambda: recorder.insert_events([*stored(MANY - 1), taken[0]]))
    assert recorder.max_notification_id() == before
    assert verify(recorder)["count"] == before
    with psycopg.connect(postgres_url) as conn:
        chained = conn.execute(f'SELECT count(*) FROM "{recorder.chain_table}"').fetchone()[0]
    assert chained == before


def test_a_large_save_never_leaves_its_transaction_idle_for_long(postgres_url, monkeypatch):
    """Links are hashed chunk by chunk: hashing them all at the end left the transaction
    idle past ``idle_in_transaction_session_timeout`` (5 s in production), and PostgreSQL
    ended the connection in the middle of a 100,000-row import."""
    parts = urlsplit(postgres_url)
    datastore = PostgresDatastore(
        parts.path.lstrip("/"),
        parts.hostname,
        parts.port,
        parts.username or "postgres",
        parts.password or "",
        idle_in_transaction_session_timeout=1,
    )
    recorder = PostgresChainedRecorder(datastore, events_table_name="slow_links")
    recorder.create_table()
    monkeypatch.setattr(PostgresChainedRecorder, "CHUNK", 1000)
    hash_link = integrity.link

    def slow_link(*args):  # 0.1 ms a link: 0.1 s a chunk, 2.5 s for the whole save
        time.sleep(0.0001)
        return hash_link(*args)

    monkeypatch.setattr(integrity, "link", slow_link)
    try:
        ids = within(120, lambda: recorder.insert_events(stored(MANY)))
        assert len(ids) == MANY
        assert verify(recorder)["intact"]
    finally:
        datastore.close()


def test_a_large_csv_import_completes_on_postgres(client, world):
    rows = 6_000  # each row registers a pupil: some 24,000 events in one save
    body = HEADER_EN + "".join(
        f"Uczeń{n},Nowak{n},2014-01-{n % 28 + 1:02d},unexplained_absence,2026-03-02,1,\n" for n in range(rows)
    )
    answer = upload(client, world.users["school"], body.encode(), key="duzy-eksport")
    assert answer.status_code == 201, answer.json
    assert (answer.json["accepted"], answer.json["registered_children"]) == (rows, rows)
    again = upload(client, world.users["school"], body.encode(), key="duzy-eksport")
    assert again.json["replayed"] is True and again.json["accepted"] == rows


def test_saves_larger_than_a_chunk_take_the_chunked_path():
    assert MANY > 4 * PostgresChainedRecorder.CHUNK
