"""When a police notice is due: before the next school day starts (weekends and holidays counted)."""

from datetime import UTC, date, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.errors import Conflict, InvalidInput
from domain.notifications import (
    Notification,
    SchoolDayPolicy,
    check_intervention,
    is_school_day,
    load_school_days,
    next_school_day_start,
)

WARSAW = ZoneInfo("Europe/Warsaw")
POLICY = load_school_days()


def local(*args):
    return datetime(*args, tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("after", "due"),
    [
        (local(2026, 3, 6, 23, 0), local(2026, 3, 9, 8, 0)),  # Friday night -> Monday 08:00
        (local(2026, 3, 10, 22, 0), local(2026, 3, 11, 8, 0)),  # a normal Tuesday evening -> Wednesday
        (local(2026, 3, 10, 2, 30), local(2026, 3, 10, 8, 0)),  # small hours -> the same morning
        (local(2026, 3, 10, 8, 0), local(2026, 3, 11, 8, 0)),  # the day has just started -> tomorrow
        (local(2026, 4, 30, 23, 0), local(2026, 5, 4, 8, 0)),  # 1 May (Fri) holiday, weekend with 3 May
        (local(2026, 4, 3, 21, 0), local(2026, 4, 7, 8, 0)),  # Good Friday night -> Easter Monday off
        (local(2025, 12, 23, 20, 0), local(2025, 12, 29, 8, 0)),  # 24-26 Dec are holidays from 2025
    ],
)
def test_due_before_the_next_school_day_starts(after, due):
    assert next_school_day_start(after, POLICY) == due


def test_a_moment_in_another_zone_is_the_same_instant():
    assert next_school_day_start(datetime(2026, 3, 6, 22, 0, tzinfo=UTC), POLICY) == local(2026, 3, 9, 8, 0)


def test_school_days_and_start_time_are_configurable():
    policy = SchoolDayPolicy.from_dict(
        {"school_days": ["mon", "tue", "wed", "thu", "fri", "sat"], "day_starts": "07:45", "days_off": ["2026-03-09"]}
    )
    assert next_school_day_start(local(2026, 3, 6, 23, 0), policy) == local(2026, 3, 7, 7, 45)
    assert not is_school_day(date(2026, 3, 9), policy)
    with pytest.raises(InvalidInput) as e:
        SchoolDayPolicy.from_dict({"school_days": ["monday"]})
    assert "school_days" in e.value.errors


def test_intervention_details_are_checked_by_field():
    with pytest.raises(InvalidInput) as e:
        check_intervention("domestic_intervention", {"place": "", "child_present": "yes"})
    assert set(e.value.errors) == {"intervention.police_reference", "intervention.place", "intervention.child_present"}
    with pytest.raises(InvalidInput) as e:
        check_intervention("injury_observed", {"police_reference": "x"})
    assert set(e.value.errors) == {"intervention"}
    assert check_intervention("domestic_intervention", None) == {}


def notice(observed, recorded):
    return Notification.issue(
        municipality_id=uuid4(),
        child_id=uuid4(),
        signal_id=uuid4(),
        recipient_agency_id=uuid4(),
        recipient_kind="school",
        sender_agency_id=uuid4(),
        author_id=uuid4(),
        observed_at=observed,
        recorded_at=recorded,
        intervention={},
        details="",
        policy=POLICY,
    )


def test_a_late_record_is_due_from_when_it_was_recorded_and_keeps_the_ideal_time():
    n = notice(local(2026, 3, 6, 23, 0), local(2026, 3, 9, 10, 0))
    assert n.due_at == local(2026, 3, 10, 8, 0)
    assert n.pending_events[0].due_by_observation == local(2026, 3, 9, 8, 0)


def test_escalates_once_and_never_after_acknowledgement():
    n = notice(local(2026, 3, 6, 23, 0), local(2026, 3, 6, 23, 30))
    team = [uuid4()]
    assert not n.escalate(local(2026, 3, 9, 7, 59), team)
    assert n.escalate(local(2026, 3, 9, 8, 1), team) and n.status == "escalated"
    assert not n.escalate(local(2026, 3, 9, 9, 0), team)
    n.acknowledge(uuid4(), "przyjęte")
    assert n.status == "acknowledged" and n.delivered
    with pytest.raises(Conflict):
        n.acknowledge(uuid4())
    fresh = notice(local(2026, 3, 6, 23, 0), local(2026, 3, 6, 23, 30))
    fresh.acknowledge(uuid4())
    assert not fresh.escalate(local(2026, 3, 20, 9, 0), team)
