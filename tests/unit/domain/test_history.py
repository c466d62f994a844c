"""Folding a child's events into signals as they read now, without losing any step."""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from domain.children import Child
from domain.history import fold_signals

NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
SCHOOL = uuid4()
MUNICIPALITY = uuid4()


def new_child() -> Child:
    return Child.register(
        municipality_id=MUNICIPALITY,
        given_name="Ala",
        family_name="Kot",
        date_of_birth=date(2015, 4, 3),
        pesel=None,
        school_id=None,
        registered_by=uuid4(),
        agency_id=SCHOOL,
        today=NOW.date(),
    )


def record(child: Child, **overrides) -> UUID:
    fields = {
        "kind": "missed_remote_learning",
        "observed_at": NOW - timedelta(days=1),
        "details": "no logins",
        "severity": None,
        "days": 3,
        "agency_id": SCHOOL,
        "agency_kind": "school",
        "author_id": uuid4(),
        "author_role": "submitter",
        "now": NOW,
    }
    fields.update(overrides)
    return child.record_signal(**fields)


def correct(child: Child, signal_id: UUID, reason: str = "typo", **changes) -> None:
    child.correct_signal(
        signal_id=signal_id,
        agency_id=SCHOOL,
        author_id=uuid4(),
        author_role="submitter",
        now=NOW,
        reason=reason,
        **changes,
    )


def test_a_recorded_signal_reads_as_recorded():
    child = new_child()
    signal_id = record(child)
    state = fold_signals(child.collect_events())[signal_id]
    assert (state.kind, state.severity, state.days, state.details) == ("missed_remote_learning", "low", 3, "no logins")
    assert (state.corrected, state.retracted, state.corrections) == (False, False, ())
    assert state.child_id == child.id
    assert state.version == 2


def test_a_correction_changes_the_values_and_keeps_the_previous_ones():
    child = new_child()
    signal_id = record(child)
    correct(child, signal_id, reason="it was five days", days=5, severity="medium")
    state = fold_signals(child.collect_events())[signal_id]
    assert (state.days, state.severity, state.details) == (5, "medium", "no logins")
    assert state.corrected
    [note] = state.corrections
    assert note["previous"] == {"days": 3, "severity": "low"}
    assert note["changes"] == {"days": 5, "severity": "medium"}
    assert note["reason"] == "it was five days"


def test_each_correction_is_kept_in_order():
    child = new_child()
    signal_id = record(child)
    correct(child, signal_id, days=4)
    correct(child, signal_id, days=6)
    state = fold_signals(child.collect_events())[signal_id]
    assert state.days == 6
    assert [(c["previous"]["days"], c["changes"]["days"]) for c in state.corrections] == [(3, 4), (4, 6)]


def test_a_retracted_signal_stays_listed_and_marked():
    child = new_child()
    signal_id = record(child)
    child.retract_signal(
        signal_id=signal_id, reason="wrong pupil", agency_id=SCHOOL, author_id=uuid4(), author_role="submitter"
    )
    state = fold_signals(child.collect_events())[signal_id]
    assert state.retracted
    assert state.retraction_reason == "wrong pupil"
    assert state.retracted_at is not None
    assert state.days == 3


def test_signals_are_folded_independently():
    child = new_child()
    first, second = record(child), record(child, days=2)
    correct(child, second, days=7)
    states = fold_signals(child.collect_events())
    assert (states[first].days, states[first].corrected) == (3, False)
    assert (states[second].days, states[second].corrected) == (7, True)


def test_events_other_than_signals_are_ignored():
    child, other = new_child(), new_child()
    child.merge_into(other, reason="same child", author_id=uuid4())
    assert fold_signals([*child.collect_events(), *other.collect_events()]) == {}
