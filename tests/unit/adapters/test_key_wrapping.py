"""The key-wrapping key, the erasure ledger and the sealed backup stream, each on its own."""

from __future__ import annotations

import io
import sqlite3
from uuid import uuid4

import pytest
from eventsourcing.cryptography import AESCipher

from services.adapters import sealed_stream
from services.adapters.keys import WRAPPED, SubjectKeys, WrongWrappingKey
from services.adapters.ledger import ErasureLedger, LedgerDamaged, parse
from services.adapters.sealed_stream import SealedReader, SealedWriter, StreamDamaged

MASTER, WRAPPING = AESCipher.create_key(32), AESCipher.create_key(32)


def _stored(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT wrapped FROM safehub_subject_keys WHERE wrapped IS NOT NULL")]


def test_keys_wrapped_by_the_payload_key_are_rewrapped_when_the_store_opens(tmp_path):
    path = tmp_path / "keys.sqlite"
    legacy = SubjectKeys(MASTER, sqlite_path=path)
    subjects = [uuid4() for _ in range(3)]
    boxes = {s: legacy.seal(s, s.bytes) for s in subjects}
    legacy.close()
    assert not any(w.startswith(WRAPPED) for w in _stored(path))

    keys = SubjectKeys(MASTER, wrapping_key=WRAPPING, sqlite_path=path)
    assert all(w.startswith(WRAPPED) for w in _stored(path))
    assert [keys.open(s, boxes[s]) for s in subjects] == [s.bytes for s in subjects]
    keys.close()


def test_a_wrong_wrapping_key_is_refused_not_used(tmp_path):
    path = tmp_path / "keys.sqlite"
    keys = SubjectKeys(MASTER, wrapping_key=WRAPPING, sqlite_path=path)
    keys.seal(uuid4(), b"x")
    keys.close()
    with pytest.raises(WrongWrappingKey, match="SAFEHUB_KEY_WRAPPING_KEY_FILE"):
        SubjectKeys(MASTER, wrapping_key=AESCipher.create_key(32), sqlite_path=path)
    legacy = SubjectKeys(MASTER, sqlite_path=path)
    with pytest.raises(WrongWrappingKey):  # nor opened by the payload key alone
        legacy._unwrap(_stored(path)[0])


def test_destroying_a_key_writes_the_ledger_first_and_a_replay_does_not_write_it_again(tmp_path):
    ledger = ErasureLedger(tmp_path / "keys" / "erasures.jsonl")
    keys = SubjectKeys(MASTER, wrapping_key=WRAPPING, ledger=ledger, sqlite_path=tmp_path / "keys.sqlite")
    first, second = uuid4(), uuid4()
    box = keys.seal(first, b"tekst")
    assert keys.destroy(first)
    assert keys.open(first, box) is None
    assert list(ledger.entries()) == [str(first)]
    keys.destroy(second, at="2026-01-01T00:00:00+00:00", record=False)
    assert list(ledger.entries()) == [str(first)]
    assert oct(ledger.path.stat().st_mode & 0o777) == "0o600"
    keys.close()


def test_a_torn_last_ledger_line_is_skipped_and_a_damaged_one_refused():
    line = '{"subject": "a", "erased_at": "2026-01-02"}\n'
    assert parse(line + '{"subject": "b", "era') == {"a": "2026-01-02"}
    assert parse(line + line.replace("01-02", "01-01")) == {"a": "2026-01-01"}  # the first time counts
    with pytest.raises(LedgerDamaged):
        parse('{"subject": "b", "era\n' + line)


def _seal(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    writer = SealedWriter(out, key)
    writer.write(data)
    writer.finish()
    return out.getvalue()


def test_a_sealed_stream_reads_back_and_refuses_any_change(monkeypatch):
    monkeypatch.setattr(sealed_stream, "CHUNK", 16)
    key = bytes(range(32))
    data = bytes(range(200))
    sealed = _seal(data, key)
    assert SealedReader(io.BytesIO(sealed), key).read() == data
    assert data not in sealed

    chunk = 4 + 16 + 16  # length, 16 bytes of plaintext, the tag
    swapped = sealed[:32] + sealed[32 + chunk : 32 + 2 * chunk] + sealed[32 : 32 + chunk] + sealed[32 + 2 * chunk :]
    cut = sealed[: 32 + 3 * chunk]
    flipped = bytearray(sealed)
    flipped[40] ^= 1
    for damaged in (swapped, cut, bytes(flipped), sealed + b"x"):
        with pytest.raises(StreamDamaged):
            SealedReader(io.BytesIO(damaged), key).read()
    with pytest.raises(StreamDamaged, match="another key"):
        SealedReader(io.BytesIO(sealed), bytes(32))
