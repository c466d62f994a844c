"""The time card's rules: hours from the times, impossible entries refused, states."""

from datetime import date, time
from uuid import uuid4

import pytest

from domain.errors import Conflict, InvalidInput
from domain.time_cards import TimeCard

TODAY = date(2026, 3, 28)


def card():
    return TimeCard.open(municipality_id=uuid4(), assistant_id=uuid4(), agency_id=uuid4(), month="2026-03", today=TODAY)


def add(c, day=date(2026, 3, 4), start=time(9), end=time(11, 30), child=None):
    return c.add_entry(
        day=day, start=start, end=end, place="dom", topic="budżet", today=TODAY, child_ids=[child or uuid4()]
    )


def test_minutes_are_computed_and_totalled_per_family():
    c, child = card(), uuid4()
    add(c, child=child)
    add(c, day=date(2026, 3, 5), start=time(14), end=time(14, 45), child=child)
    add(c, day=date(2026, 3, 5), start=time(15), end=time(16))
    assert c.total_minutes() == 150 + 45 + 60
    assert sorted(c.minutes_by_family().values()) == [60, 195]


def test_the_id_is_one_per_assistant_per_month():
    assistant = uuid4()
    assert TimeCard.create_id(assistant, "2026-03") == TimeCard.create_id(assistant, "2026-03")
    assert TimeCard.create_id(assistant, "2026-03") != TimeCard.create_id(assistant, "2026-04")


def test_a_month_that_has_not_begun_cannot_be_opened():
    with pytest.raises(InvalidInput) as e:
        TimeCard.open(municipality_id=uuid4(), assistant_id=uuid4(), agency_id=uuid4(), month="2026-04", today=TODAY)
    assert set(e.value.errors) == {"month"}


def test_touching_intervals_are_allowed_overlaps_are_not():
    c = card()
    add(c)
    add(c, start=time(11, 30), end=time(12))
    with pytest.raises(InvalidInput) as e:
        add(c, start=time(11, 59), end=time(12, 30))
    assert e.value.errors == {"start": ["overlaps the entry 11:30-12:00 on 2026-03-04"]}


def test_states_submit_return_accept():
    c = card()
    with pytest.raises(InvalidInput):
        c.submit(uuid4())  # empty
    add(c)
    c.submit(uuid4())
    with pytest.raises(Conflict):
        c.submit(uuid4())
    c.return_to_assistant(uuid4(), "brak podpisu")
    add(c, day=date(2026, 3, 6))
    c.submit(uuid4())
    c.accept(uuid4())
    with pytest.raises(Conflict):
        c.return_to_assistant(uuid4(), "za późno")
    with pytest.raises(InvalidInput) as e:
        add(c, day=date(2026, 3, 7))
    assert "was accepted" in e.value.errors["date"][0]
