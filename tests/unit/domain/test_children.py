"""The Child aggregate: identity rules, signals, corrections, retractions and merges."""

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.field_checks import CLOCK_SKEW
from domain.pesel import make_pesel

TODAY = date(2026, 3, 3)
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
MUNICIPALITY = UUID("00000000-0000-0000-0000-00000000000a")
SCHOOL = UUID("00000000-0000-0000-0000-0000000000c1")
POLICE = UUID("00000000-0000-0000-0000-0000000000c2")


def register(**overrides) -> Child:
    fields = {
        "municipality_id": MUNICIPALITY,
        "given_name": "Ala",
        "family_name": "Kot",
        "date_of_birth": date(2015, 4, 3),
        "pesel": None,
        "school_id": None,
        "registered_by": uuid4(),
        "agency_id": SCHOOL,
        "today": TODAY,
    }
    fields.update(overrides)
    return Child.register(**fields)


def record(child: Child, **overrides) -> UUID:
    fields = {
        "kind": "injury_observed",
        "observed_at": NOW - timedelta(hours=1),
        "details": "",
        "severity": None,
        "days": None,
        "agency_id": SCHOOL,
        "agency_kind": "school",
        "author_id": uuid4(),
        "author_role": "submitter",
        "now": NOW,
    }
    fields.update(overrides)
    return child.record_signal(**fields)


def correct(child: Child, signal_id: UUID, **overrides) -> None:
    fields = {
        "signal_id": signal_id,
        "agency_id": SCHOOL,
        "author_id": uuid4(),
        "author_role": "submitter",
        "now": NOW,
        "reason": "typo",
    }
    fields.update(overrides)
    child.correct_signal(**fields)


def retract(child: Child, signal_id: UUID, **overrides) -> None:
    fields = {
        "signal_id": signal_id,
        "reason": "wrong pupil",
        "agency_id": SCHOOL,
        "author_id": uuid4(),
        "author_role": "submitter",
    }
    fields.update(overrides)
    child.retract_signal(**fields)


def last_event(child: Child):
    return child.collect_events()[-1]


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.errors


# --- registering ----------------------------------------------------------------------


def test_register_trims_names_and_keeps_the_identity():
    child = register(given_name="  Łucja ", family_name="Nowak   Kowalska", pesel=make_pesel(date(2015, 4, 3), 12))
    assert (child.given_name, child.family_name) == ("Łucja", "Nowak Kowalska")
    assert child.pesel == make_pesel(date(2015, 4, 3), 12)
    assert child.merged_into is None


def test_register_collects_every_field_error_at_once():
    with pytest.raises(InvalidInput) as excinfo:
        register(given_name="  ", family_name="", date_of_birth=TODAY + timedelta(days=1), pesel="12345678901")
    assert set(errors_of(excinfo)) == {"given_name", "family_name", "date_of_birth", "pesel"}


def test_register_refuses_a_date_of_birth_in_the_future():
    with pytest.raises(InvalidInput) as excinfo:
        register(date_of_birth=TODAY + timedelta(days=1))
    assert errors_of(excinfo) == {"date_of_birth": ["must not be in the future"]}


def test_register_accepts_a_child_born_today():
    assert register(date_of_birth=TODAY).date_of_birth == TODAY


def test_register_refuses_an_implausibly_old_date_of_birth():
    with pytest.raises(InvalidInput) as excinfo:
        register(date_of_birth=date(1990, 1, 1))
    assert errors_of(excinfo) == {"date_of_birth": ["is too far in the past for a child"]}


@pytest.mark.parametrize("name", ["Ala\x00", "Ala\x1b[31m", "A\u200bla"])
def test_register_refuses_control_characters_in_a_name(name):
    with pytest.raises(InvalidInput) as excinfo:
        register(given_name=name)
    assert list(errors_of(excinfo)) == ["given_name"]


def test_register_refuses_an_overlong_name():
    with pytest.raises(InvalidInput) as excinfo:
        register(family_name="x" * 101)
    assert list(errors_of(excinfo)) == ["family_name"]


def test_register_refuses_a_pesel_that_encodes_another_birth_date():
    with pytest.raises(InvalidInput) as excinfo:
        register(date_of_birth=date(2015, 4, 3), pesel=make_pesel(date(2015, 4, 4), 1))
    assert errors_of(excinfo) == {"pesel": ["encodes a different date of birth than date_of_birth"]}


def test_register_refuses_a_pesel_with_a_bad_checksum():
    good = make_pesel(date(2015, 4, 3), 1)
    bad = good[:10] + str((int(good[10]) + 1) % 10)
    with pytest.raises(InvalidInput) as excinfo:
        register(pesel=bad)
    assert errors_of(excinfo) == {"pesel": ["checksum digit does not match"]}


# --- recording signals ----------------------------------------------------------------


def test_record_signal_stores_who_what_and_when():
    child = register()
    author = uuid4()
    signal_id = record(child, kind="behaviour_change", details="quiet", author_id=author)
    e = last_event(child)
    assert isinstance(e, Child.SignalRecorded)
    assert (e.signal_id, e.kind, e.details, e.agency_id, e.agency_kind, e.author_id) == (
        signal_id,
        "behaviour_change",
        "quiet",
        SCHOOL,
        "school",
        author,
    )


def test_record_signal_refuses_a_kind_outside_the_agency_field():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), kind="domestic_intervention", agency_kind="school")
    assert list(errors_of(excinfo)) == ["kind"]
    assert "domestic_intervention" in errors_of(excinfo)["kind"][0]


def test_record_signal_refuses_an_unknown_kind():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), kind="alien_abduction")
    assert "unknown signal kind 'alien_abduction'" in errors_of(excinfo)["kind"][0]


def test_record_signal_takes_the_default_severity_from_the_catalogue():
    child = register()
    record(child, kind="domestic_intervention", agency_id=POLICE, agency_kind="police")
    assert last_event(child).severity == "high"


def test_record_signal_keeps_an_explicit_severity():
    child = register()
    record(child, kind="injury_observed", severity="critical")
    assert last_event(child).severity == "critical"


def test_record_signal_refuses_an_unknown_severity():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), severity="apocalyptic")
    assert list(errors_of(excinfo)) == ["severity"]


def test_record_signal_accepts_an_observation_within_the_clock_skew():
    child = register()
    record(child, observed_at=NOW + CLOCK_SKEW)
    assert last_event(child).observed_at == NOW + CLOCK_SKEW


def test_record_signal_refuses_an_observation_beyond_the_clock_skew():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), observed_at=NOW + CLOCK_SKEW + timedelta(seconds=1))
    assert errors_of(excinfo) == {"observed_at": ["must not be in the future"]}


def test_record_signal_refuses_a_naive_observation_time():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), observed_at=datetime(2026, 3, 2, 8, 0))
    assert errors_of(excinfo) == {"observed_at": ["must include a time zone"]}


def test_record_signal_stores_the_observation_in_utc():
    child = register()
    warsaw_morning = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    record(child, observed_at=warsaw_morning)
    stored = last_event(child).observed_at
    assert stored == warsaw_morning
    assert stored.utcoffset() == timedelta(0)


def test_days_are_refused_for_a_kind_without_a_quantity():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), kind="injury_observed", days=2)
    assert errors_of(excinfo) == {"days": ["is not used by signal kind 'injury_observed'"]}


@pytest.mark.parametrize("days", [0, -1, 367])
def test_days_out_of_range_are_refused(days):
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), kind="missed_remote_learning", days=days)
    assert errors_of(excinfo) == {"days": ["must be between 1 and 366"]}


@pytest.mark.parametrize("days", [1, 366])
def test_days_at_the_ends_of_the_range_are_kept(days):
    child = register()
    record(child, kind="missed_remote_learning", days=days)
    assert last_event(child).days == days


def test_missed_remote_learning_counts_one_day_by_default():
    child = register()
    record(child, kind="missed_remote_learning")
    assert last_event(child).days == 1


def test_a_kind_without_a_quantity_carries_no_days():
    child = register()
    record(child, kind="injury_observed")
    assert last_event(child).days is None


def test_details_longer_than_the_limit_are_refused():
    with pytest.raises(InvalidInput) as excinfo:
        record(register(), details="x" * 10_001)
    assert list(errors_of(excinfo)) == ["details"]


# --- corrections and retractions -------------------------------------------------------


def test_a_correction_is_a_new_event_naming_only_what_changed():
    child = register()
    signal_id = record(child)
    correct(child, signal_id, severity="critical", reason="worse than first thought")
    e = last_event(child)
    assert isinstance(e, Child.SignalCorrected)
    assert (e.signal_id, e.severity, e.kind, e.details, e.reason) == (
        signal_id,
        "critical",
        None,
        None,
        "worse than first thought",
    )


def test_only_the_submitting_agency_may_correct():
    child = register()
    signal_id = record(child)
    with pytest.raises(Forbidden):
        correct(child, signal_id, agency_id=POLICE, severity="low")


def test_only_the_submitting_agency_may_retract():
    child = register()
    signal_id = record(child)
    with pytest.raises(Forbidden):
        retract(child, signal_id, agency_id=POLICE)


def test_correcting_an_unknown_signal_is_not_found():
    with pytest.raises(NotFound):
        correct(register(), uuid4(), severity="low")


def test_a_correction_must_change_something():
    child = register()
    signal_id = record(child)
    with pytest.raises(InvalidInput) as excinfo:
        correct(child, signal_id)
    assert list(errors_of(excinfo)) == ["corrections"]


def test_a_correction_to_a_kind_outside_the_agency_field_is_refused():
    child = register()
    signal_id = record(child)
    with pytest.raises(InvalidInput) as excinfo:
        correct(child, signal_id, kind="domestic_intervention")
    assert list(errors_of(excinfo)) == ["kind"]


def test_a_correction_of_days_is_checked_against_the_kind():
    child = register()
    signal_id = record(child, kind="injury_observed")
    with pytest.raises(InvalidInput) as excinfo:
        correct(child, signal_id, days=3)
    assert list(errors_of(excinfo)) == ["days"]


@pytest.mark.parametrize(
    ("recorded", "corrected"),
    [
        ("missed_remote_learning", "injury_observed"),  # would keep a day count the new kind has no use for
        ("injury_observed", "missed_remote_learning"),  # would lack the day count the new kind needs
    ],
)
def test_a_correction_cannot_change_whether_the_signal_counts_days(recorded, corrected):
    child = register()
    signal_id = record(child, kind=recorded)
    with pytest.raises(InvalidInput) as excinfo:
        correct(child, signal_id, kind=corrected)
    assert list(errors_of(excinfo)) == ["kind"]


def test_a_correction_between_kinds_that_count_days_keeps_the_count():
    child = register()
    signal_id = record(child, kind="missed_remote_learning", days=4)
    correct(child, signal_id, kind="unexplained_absence")
    e = last_event(child)
    assert (e.kind, e.days) == ("unexplained_absence", None)


def test_a_retracted_signal_cannot_be_corrected():
    child = register()
    signal_id = record(child)
    retract(child, signal_id)
    with pytest.raises(Conflict):
        correct(child, signal_id, severity="low")


def test_a_retracted_signal_cannot_be_retracted_again():
    child = register()
    signal_id = record(child)
    retract(child, signal_id)
    with pytest.raises(Conflict):
        retract(child, signal_id)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_retraction_needs_a_reason(reason):
    child = register()
    signal_id = record(child)
    with pytest.raises(InvalidInput) as excinfo:
        retract(child, signal_id, reason=reason)
    assert errors_of(excinfo) == {"reason": ["must not be blank"]}


def test_a_retraction_keeps_its_reason():
    child = register()
    signal_id = record(child)
    retract(child, signal_id, reason="wrong pupil")
    e = last_event(child)
    assert isinstance(e, Child.SignalRetracted)
    assert (e.signal_id, e.reason) == (signal_id, "wrong pupil")


# --- merging -----------------------------------------------------------------------------


def merge(source: Child, target: Child, reason: str = "same child") -> None:
    source.merge_into(target, reason=reason, author_id=uuid4())


def test_a_merge_records_an_event_on_both_records():
    source, target = register(), register(given_name="Alicja")
    merge(source, target)
    assert source.merged_into == target.id
    assert target.merged_from == [source.id]
    assert isinstance(last_event(source), Child.MergedInto)
    assert isinstance(last_event(target), Child.Absorbed)


def test_a_record_cannot_be_merged_into_itself():
    child = register()
    with pytest.raises(InvalidInput) as excinfo:
        merge(child, child)
    assert list(errors_of(excinfo)) == ["target_id"]


def test_a_record_cannot_be_merged_across_municipalities():
    other = register(municipality_id=uuid4())
    with pytest.raises(NotFound):
        merge(register(), other)


def test_a_merged_record_cannot_be_merged_again():
    source, target, third = register(), register(), register()
    merge(source, target)
    with pytest.raises(Conflict):
        merge(source, third)


def test_nothing_can_be_merged_into_a_merged_record():
    source, target, third = register(), register(), register()
    merge(source, target)
    with pytest.raises(Conflict):
        merge(third, source)


def test_records_with_different_pesels_cannot_be_merged():
    a = register(pesel=make_pesel(date(2015, 4, 3), 1))
    b = register(pesel=make_pesel(date(2015, 4, 3), 2))
    with pytest.raises(Conflict):
        merge(a, b)


def test_a_merge_needs_a_reason():
    with pytest.raises(InvalidInput) as excinfo:
        merge(register(), register(), reason=" ")
    assert list(errors_of(excinfo)) == ["reason"]


def test_a_merged_record_takes_no_new_signals():
    source, target = register(), register()
    merge(source, target)
    with pytest.raises(Conflict) as excinfo:
        record(source)
    assert excinfo.value.details == {"merged_into": str(target.id)}


def test_a_deep_copy_is_equal_and_independent_of_the_original():
    import copy

    child = register()
    first = record(child)
    retract(child, first)
    record(child)
    child.collect_events()  # as the store caches it: nothing pending
    child.merged_from.append(uuid4())
    clone = copy.deepcopy(child)
    assert vars(clone) == vars(child) and type(clone) is Child
    record(clone)  # the request's change ...
    clone.signals[str(first)]["kind"] = "changed in place"
    clone.merged_from.append(uuid4())
    assert len(child.signals) == 2 and child.signals[str(first)]["kind"] != "changed in place"  # ... not the cached
    assert len(child.merged_from) == 1 and child.version == clone.version - 1
    assert child.collect_events() == [] and len(clone.collect_events()) == 1
