"""A text about several persons is sealed under every one of their keys: erasing any one closes it."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex

from domain import personal_data
from services.adapters.keys import SubjectKeys
from services.adapters.sealing import SEALED, SealingMapper
from services.adapters.transcoding import DateAsISO

MASTER = AESCipher.create_key(32)


class Account(Aggregate):
    """A stand-in for a card: one text about a child and some adults."""

    class Written(Aggregate.Event):
        text: str
        child_id: UUID | None
        adult_ids: list[UUID]

    @classmethod
    def write(cls, text: str, child_id: UUID | None, adult_ids: list[UUID]) -> Account:
        account = cls()
        account._written(text=text, child_id=child_id, adult_ids=adult_ids)
        return account

    @event(Written)
    def _written(self, text: str, child_id: UUID | None, adult_ids: list[UUID]) -> None:
        self.text = text


@pytest.fixture(autouse=True)
def declared(monkeypatch):
    monkeypatch.setitem(personal_data.PERSONAL_FIELDS, Account.Written, ("text",))
    monkeypatch.setitem(personal_data.SUBJECTS_OF, Account.Written, ("child_id", "adult_ids"))
    import services.adapters.sealing as sealing

    monkeypatch.setattr(sealing, "PERSONAL_FIELDS", personal_data.PERSONAL_FIELDS)
    monkeypatch.setattr(sealing, "SUBJECTS_OF", personal_data.SUBJECTS_OF)


def mapper(tmp_path) -> SealingMapper:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    transcoder.register(DateAsISO())
    return SealingMapper(transcoder=transcoder, keys=SubjectKeys(MASTER, sqlite_path=tmp_path / "keys.sqlite"))


def written(child: UUID | None, adults: list[UUID]):
    return Account.write("ojciec bije", child, adults).collect_events()[-1]


def test_the_text_opens_while_every_key_lives_and_is_not_stored_in_clear(tmp_path):
    m, child, adults = mapper(tmp_path), uuid4(), [uuid4(), uuid4()]
    stored = m.to_stored_event(written(child, adults))
    assert b"ojciec bije" not in stored.state
    assert m.to_domain_event(stored).text == "ojciec bije"
    assert m.to_domain_events([stored])[0].text == "ojciec bije"


@pytest.mark.parametrize("erased", [0, 1, 2])
def test_erasing_any_one_person_closes_the_box(tmp_path, erased):
    m, child, adults = mapper(tmp_path), uuid4(), [uuid4(), uuid4()]
    stored = m.to_stored_event(written(child, adults))
    m.keys.destroy([child, *adults][erased])
    fresh = mapper(tmp_path)  # another process, no cached keys
    assert fresh.to_domain_event(stored).text is None
    assert fresh.to_domain_events([stored])[0].text is None
    assert m.to_domain_event(stored).text is None


def test_a_text_naming_nobody_is_stored_as_it_was(tmp_path):
    m = mapper(tmp_path)
    stored = m.to_stored_event(written(None, []))
    assert b"ojciec bije" in stored.state and SEALED.encode() not in stored.state
    assert m.to_domain_event(stored).text == "ojciec bije"


def test_a_text_written_after_one_persons_erasure_is_sealed_under_the_others_keys(tmp_path):
    """The group's work for a sibling goes on; erasing the sibling later closes the new text too."""
    m, child, adult = mapper(tmp_path), uuid4(), uuid4()
    m.keys.seal(child, b"x")
    m.keys.destroy(child)
    stored = m.to_stored_event(written(child, [adult]))
    assert b"ojciec bije" not in stored.state
    assert m.to_domain_event(stored).text == "ojciec bije"
    m.keys.destroy(adult)
    assert mapper(tmp_path).to_domain_event(stored).text is None


def test_a_text_about_erased_persons_only_is_not_kept(tmp_path):
    m, child = mapper(tmp_path), uuid4()
    m.keys.seal(child, b"x")
    m.keys.destroy(child)
    stored = m.to_stored_event(written(child, []))
    assert b"ojciec bije" not in stored.state
    assert m.to_domain_event(stored).text is None


def test_the_prefetch_fetches_every_subject_of_a_shared_box(tmp_path):
    m, child, adults = mapper(tmp_path), uuid4(), [uuid4(), uuid4()]
    stored = m.to_stored_event(written(child, adults))
    fresh = mapper(tmp_path)
    asked: list[set] = []
    original = fresh.keys.prefetch
    fresh.keys.prefetch = lambda subjects: (asked.append(set(subjects)), original(subjects))[1]
    assert fresh.to_domain_events([stored])[0].text == "ojciec bije"
    assert asked == [{str(child), *map(str, adults)}]
    assert fresh.to_domain_events([stored], personal=False)[0].__dict__.get("text", "absent") == "absent"


def test_an_old_single_subject_box_still_opens(tmp_path):
    m, child = mapper(tmp_path), uuid4()
    personal_data.SUBJECTS_OF.pop(Account.Written)
    personal_data.SUBJECT_OF[Account.Written] = "child_id"
    try:
        stored = m.to_stored_event(written(child, []))
    finally:
        personal_data.SUBJECT_OF.pop(Account.Written)
        personal_data.SUBJECTS_OF[Account.Written] = ("child_id", "adult_ids")
    assert b'"v"' not in stored.state
    assert m.to_domain_event(stored).text == "ojciec bije"


def test_a_card_and_its_steps_of_version_1_still_read(tmp_path):
    """Stored before adults were persons: names as text, no subject ids, texts in clear; all still read."""
    import json
    from datetime import date

    from domain.blue_cards import BlueCard

    m, child = mapper(tmp_path), uuid4()
    card = BlueCard.fill_form_a(
        municipality_id=uuid4(),
        filled_by=uuid4(),
        agency_id=None,
        agency_kind="police",
        author_role="submitter",
        filled_on=date(2026, 3, 2),
        incident_date=date(2026, 3, 1),
        place="dom",
        description="awantura",
        child_victim_ids=[child],
        adult_victims=["Anna Nowak"],
        perpetrators=["Jan Nowak"],
        today=date(2026, 3, 2),
    )
    card.forward_to_chair(forwarded_by=uuid4(), note="pilne")
    old = []
    for e in card.collect_events():
        stored = m.to_stored_event(e)
        state = json.loads(stored.state)
        for field in ("adult_victim_ids", "perpetrator_ids", "subject_ids"):
            state.pop(field, None)
        state.pop("_sealed", None)
        state.update({"place": "dom", "description": "awantura"} if "place" in vars(e) else {"note": "pilne"})
        state["class_version"] = 1
        old.append(
            type(stored)(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())
        )
    filled, forwarded = m.to_domain_events(old)
    assert (filled.adult_victims, filled.perpetrators, filled.adult_victim_ids, filled.perpetrator_ids) == (
        ["Anna Nowak"],
        ["Jan Nowak"],
        [],
        [],
    )
    assert filled.place == "dom" and forwarded.note == "pilne" and forwarded.subject_ids == []
