"""Reading the log for the projections: decoding a batch at once gives the same events as
one by one, a view that reads no personal data gets the skeleton only, the key cache is
bounded, and the quicker transcoder and cipher read exactly what the library's do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.utils import Environment
from hypothesis import given
from hypothesis import strategies as st

from domain.personal_data import PERSONAL_FIELDS
from projections.registry import VIEWS
from services.adapters import keys as keys_module
from services.adapters.keys import ReusedAESCipher, SubjectKeys
from services.adapters.transcoding import DateAsISO, QuickJSONTranscoder, UUIDAsHexQuick
from tests.unit.projections.history import generate


def erase_first(services, world, ids: list[UUID]) -> UUID:
    erasure = services.erasure
    erasure.request(world.users["coordinator"].actor, ids[-1], ground="authorised_request", reference="ZI.1")
    erasure.approve(world.users["auditor"].actor, ids[-1])  # a second person
    return ids[-1]


def check_batch_decoding(services, world, clock) -> None:
    """Shared with the PostgreSQL test (tests/integration/test_rebuild_postgres.py)."""
    ids = generate(services, world, clock, children=8, signals=120)
    erased = erase_first(services, world, ids)
    notes = services.store.recorder.select_notifications(start=None, limit=10_000)
    mapper = services.store.mapper
    one_by_one = [mapper.to_domain_event(n) for n in notes]
    assert [vars(e) for e in mapper.to_domain_events(notes)] == [vars(e) for e in one_by_one]
    opened = [e for e in one_by_one if type(e) in PERSONAL_FIELDS]
    assert any(getattr(e, "details", None) for e in opened)  # the boxes were opened
    assert any(
        e.originator_id == erased and type(e).__name__ == "SignalRecorded" and e.details is None for e in opened
    )  # an erased child's box stays shut (None), as one by one
    for skeleton, full in zip(mapper.to_domain_events(notes, personal=False), one_by_one, strict=True):
        personal = PERSONAL_FIELDS.get(type(full), ())
        assert vars(skeleton) == {k: v for k, v in vars(full).items() if k not in personal}
        assert not any(hasattr(skeleton, f) for f in personal)


def test_a_batch_decodes_like_one_by_one_and_the_skeleton_has_no_personal_fields(services, world, clock):
    check_batch_decoding(services, world, clock)


def test_views_that_read_no_personal_data_rebuild_to_live_from_the_skeleton(services, world, clock):
    check_views_rebuild(services, world, clock)


def check_views_rebuild(services, world, clock) -> None:
    """Shared with the PostgreSQL test: every view followed live in small batches equals its rebuild."""
    ids = generate(services, world, clock, children=12, signals=400)
    erase_first(services, world, ids)
    assert {n for n, v in VIEWS.items() if v.personal_data} == {"timeline", "children", "deadlines"}  # + group texts
    for name in services.followers.names():
        follower = services.followers[name]
        follower.batch_size = 9  # live: small batches, the skeleton for all but the timeline
        follower.catch_up()
        live = follower.view.dump()
        follower.rebuild()  # large batches
        assert follower.view.dump() == live, name


def test_prefetched_keys_are_bounded_and_an_erased_subject_still_reads_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(keys_module, "CACHE_KEYS", 4)
    monkeypatch.setattr(keys_module, "PREFETCH_CHUNK", 3)
    master = AESCipher.create_key(32)
    keys = SubjectKeys(master, sqlite_path=tmp_path / "keys.sqlite")
    subjects = [uuid4() for _ in range(10)]
    boxes = {s: keys.seal(s, s.bytes) for s in subjects}
    keys.destroy(subjects[3])
    keys.close()
    fresh = SubjectKeys(master, sqlite_path=tmp_path / "keys.sqlite")
    queries = []
    original = fresh._execute
    monkeypatch.setattr(fresh, "_execute", lambda sql, params=(): queries.append(sql) or original(sql, params))
    fresh.prefetch(subjects[:4])
    assert len(queries) == 2 and len(fresh._cache) == 3  # two chunks; the erased one is not cached
    queries.clear()
    assert [fresh.open(s, boxes[s]) for s in subjects[:4]] == [s.bytes for s in subjects[:3]] + [None]
    assert len(queries) == 1  # only the erased subject was looked up again
    fresh.prefetch(subjects)
    assert len(fresh._cache) == 4  # bounded
    assert all(fresh.open(s, boxes[s]) == (None if s == subjects[3] else s.bytes) for s in subjects)
    fresh.close()


def library_transcoder() -> JSONTranscoder:
    t = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        t.register(transcoding)
    return t


def quick_transcoder() -> QuickJSONTranscoder:
    t = QuickJSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), UUIDAsHexQuick()):
        t.register(transcoding)
    return t


def test_the_quick_transcoder_reads_exactly_what_the_library_reads():
    library, quick = library_transcoder(), quick_transcoder()
    value = {
        "id": uuid4(),
        "ids": [uuid4(), uuid4()],
        "at": datetime.now(UTC),
        "born": date(2015, 1, 2),
        "n": Decimal("1.50"),
        "nested": {"a": [{"b": uuid4()}], "_type_": "not a transcoding"},
        "text": "zażółć",
        "none": None,
        "flag": True,
        "num": 3.5,
    }
    for data in (library.encode(value), quick.encode(value), b'  {"a": 1}\n', b'[1, {"x": 2}]', b'"s"'):
        assert quick.decode(data) == library.decode(data)
    assert quick.encode(value) == library.encode(value)
    with pytest.raises(TranscodingNotRegisteredError):
        quick.decode(json.dumps({"_type_": "nope", "_data_": 1}).encode())
    with pytest.raises(json.JSONDecodeError):
        quick.decode(b'{"a": 1} trailing')


@pytest.mark.parametrize(
    "data",
    [
        b'{"x": NaN, "y": Infinity}',  # the library writes float("nan") so; orjson refuses it
        b'{"big": 123456789012345678901234567890}',  # beyond 64 bits
        b'{"a": 1, "a": {"_type_": "uuid_hex", "_data_": "%s"}}' % uuid4().hex.encode(),  # the last key wins
        b'{"_type_": "uuid_hex", "_data_": "%s"}' % uuid4().hex.encode(),  # a transcoded value alone
        b'[{"_type_": "date_iso", "_data_": "2015-01-02"}, [[{"_type_": "decimal_str", "_data_": "1.5"}]]]',
        b'{"_type_": "x", "_data_": 1, "third": 2}',  # three keys: an ordinary dict
        b'{"_type_": "uuid_hex"}',
        b'{"_data_": "x", "other": 1}',
        b"{}",
        b"[]",
        b"null",
        b"7",
        b'"\\u00e9"',
    ],
)
def test_the_quick_transcoder_reads_what_orjson_refuses_or_might_read_otherwise_as_the_library(data):
    assert quick_transcoder().decode(data) == library_transcoder().decode(data)


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text()
        | st.uuids()
        | st.datetimes(timezones=st.just(UTC))
        | st.dates()
        | st.decimals(allow_nan=False, allow_infinity=False),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(["_type_", "_data_", "a", "ż"]), inner, max_size=3)
        ),
        max_leaves=12,
    )
)
def test_any_value_the_library_writes_reads_back_the_same_through_the_quick_transcoder(value):
    library, quick = library_transcoder(), quick_transcoder()
    data = library.encode(value)
    try:
        expected = library.decode(data)
    except (TranscodingNotRegisteredError, TypeError) as refused:  # a user dict shaped like a transcoded value
        with pytest.raises(type(refused)):
            quick.decode(data)
        return
    decoded = quick.decode(data)
    assert decoded == expected
    assert repr(decoded) == repr(expected)  # the same types all the way down (1 is not 1.0, nor True)


@pytest.mark.parametrize(
    "text",
    [
        uuid4().hex,
        uuid4().hex.upper(),
        str(uuid4()),
        "{" + str(uuid4()) + "}",
        "urn:uuid:" + str(uuid4()),
        "g" * 32,
        "0" * 31,
        "\u0661" * 32,
        "_" * 32,
    ],
)
def test_the_quick_uuid_decoding_is_uuid(text):
    try:
        expected = UUID(text)
    except ValueError:
        with pytest.raises(ValueError):
            UUIDAsHexQuick().decode(text)
        return
    decoded = UUIDAsHexQuick().decode(text)
    assert decoded == expected and str(decoded) == str(expected) and hash(decoded) == hash(expected)
    assert decoded.is_safe == expected.is_safe


def test_the_reused_cipher_reads_the_library_cipher_and_refuses_a_forgery():
    key = AESCipher.create_key(32)
    library = AESCipher(Environment(env={"CIPHER_KEY": key}))
    reused = ReusedAESCipher(Environment(env={"CIPHER_KEY": key}))
    text = library.encrypt(b"dane osobowe")
    assert reused.decrypt(text) == b"dane osobowe" == ReusedAESCipher.of(library).decrypt(text)
    assert library.decrypt(reused.encrypt(b"x")) == b"x"
    forged = text[:-1] + bytes([text[-1] ^ 1])
    for damaged in (forged, text[:10], text[:20]):
        with pytest.raises(ValueError) as reused_error:
            reused.decrypt(damaged)
        with pytest.raises(ValueError) as library_error:
            library.decrypt(damaged)
        assert str(reused_error.value) == str(library_error.value)
