"""Keys created in bulk are used straight away, and only when they are the stored ones."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.cryptography import AESCipher

from services.adapters.keys import SubjectKeys

MASTER = AESCipher.create_key(32)


def keys(tmp_path) -> SubjectKeys:
    return SubjectKeys(MASTER, sqlite_path=tmp_path / "keys.sqlite")


def test_a_box_sealed_with_a_key_made_in_bulk_opens_in_a_fresh_process(tmp_path):
    mine = keys(tmp_path)
    subjects = [uuid4() for _ in range(5)]
    mine.ensure(subjects)
    boxes = {s: mine.seal(s, f"dane {s}".encode()) for s in subjects}
    fresh = keys(tmp_path)  # no cache: reads the stored keys
    assert {s: fresh.open(s, box) for s, box in boxes.items()} == {s: f"dane {s}".encode() for s in subjects}


def test_a_key_another_process_stored_first_is_the_one_used(tmp_path):
    other, mine = keys(tmp_path), keys(tmp_path)
    early, new = uuid4(), uuid4()
    other.seal(early, b"x")  # ``early`` has its key already; ensure must not cache a fresh one
    mine.ensure([early, new])
    box = mine.seal(early, "Bożydar".encode())
    assert keys(tmp_path).open(early, box) == "Bożydar".encode()
    assert keys(tmp_path).open(new, mine.seal(new, b"y")) == b"y"
