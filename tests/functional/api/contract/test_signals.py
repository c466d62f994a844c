"""Signals: submit (idempotently), list, correct, retract; need-to-know on what each role sees."""

import pytest

from tests.functional.api.contract.helpers import (
    API,
    event_types,
    events,
    field_errors,
    post_signal,
    record_signal,
    register_child,
    signals,
)


@pytest.fixture
def child_id(client, world) -> str:
    return register_child(client, world.users["school"])["id"]


def correct(client, member, child_id: str, signal_id: str, **body):
    return client.post(f"{API}/children/{child_id}/signals/{signal_id}/corrections", headers=member.headers, json=body)


def retract(client, member, child_id: str, signal_id: str, reason: str = "wrong pupil"):
    return client.post(
        f"{API}/children/{child_id}/signals/{signal_id}/retraction", headers=member.headers, json={"reason": reason}
    )


# --- submitting --------------------------------------------------------------------------


def test_a_signal_answers_201_with_its_id_and_provenance(client, world, child_id):
    school = world.users["school"]
    response = post_signal(client, school, child_id, kind="missed_remote_learning", days=3, details="brak logowań")
    assert response.status_code == 201, response.json
    signal = response.json
    assert signal["id"]
    assert (signal["child_id"], signal["kind"], signal["days"], signal["details"]) == (
        child_id,
        "missed_remote_learning",
        3,
        "brak logowań",
    )
    assert (signal["agency_id"], signal["agency_kind"], signal["author_id"]) == (
        str(world.agencies["school"]),
        "school",
        str(school.id),
    )
    assert signal["observed_at"] == "2026-03-02T07:00:00+00:00"
    assert signal["recorded_at"]


def test_the_severity_defaults_from_the_catalogue(client, world, child_id):
    assert record_signal(client, world.users["police"], child_id, kind="domestic_intervention")["severity"] == "high"


def test_an_explicit_severity_is_kept(client, world, child_id):
    assert record_signal(client, world.users["school"], child_id, severity="critical")["severity"] == "critical"


def test_missed_remote_learning_counts_one_day_unless_told(client, world, child_id):
    assert record_signal(client, world.users["school"], child_id, kind="missed_remote_learning")["days"] == 1


def test_a_time_without_an_offset_is_read_as_warsaw_time(client, world, child_id):
    signal = record_signal(client, world.users["school"], child_id, observed_at="2026-03-02T08:00:00")
    assert signal["observed_at"] == "2026-03-02T07:00:00+00:00"


def test_the_agency_is_the_posters_own_and_cannot_be_chosen(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, agency_id=str(world.agencies["police"]))
    assert field_errors(response) == {"agency_id": ["Unknown field."]}
    assert event_types(client, world.users["coordinator"], child_id) == ["Registered"]


def test_the_recorded_event_names_the_posters_agency(client, world, child_id):
    record_signal(client, world.users["health"], child_id, kind="health_referral")
    recorded = events(client, world.users["coordinator"], child_id)[-1]
    assert recorded["type"] == "SignalRecorded"
    assert recorded["data"]["agency_id"] == str(world.agencies["health"])
    assert recorded["data"]["author_id"] == str(world.users["health"].id)


def test_missing_required_fields_are_each_named(client, world, child_id):
    response = client.post(f"{API}/children/{child_id}/signals", headers=world.users["school"].headers, json={})
    assert set(field_errors(response)) == {"kind", "observed_at"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "alien_abduction"),
        ("severity", "apocalyptic"),
        ("observed_at", "yesterday"),
        ("observed_at", "2026-02-30T10:00:00+01:00"),
        ("days", 0),
        ("days", 367),
        ("days", "3"),
        ("details", "x" * 10_001),
        ("colour", "red"),
    ],
)
def test_a_bad_field_is_named(client, world, child_id, field, value):
    body = {"kind": "missed_remote_learning", field: value}
    response = post_signal(client, world.users["school"], child_id, **body)
    assert list(field_errors(response)) == [field]


def test_days_on_a_kind_without_a_count_are_refused(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, kind="injury_observed", days=2)
    assert field_errors(response) == {"days": ["is not used by signal kind 'injury_observed'"]}


def test_a_kind_outside_the_posters_field_names_the_allowed_kinds(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, kind="domestic_intervention")
    [message] = field_errors(response)["kind"]
    assert "'school'" in message
    assert "missed_remote_learning" in message


def test_an_observation_in_the_future_is_refused(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, observed_at="2026-03-03T10:10:00+01:00")
    assert field_errors(response) == {"observed_at": ["must not be in the future"]}


def test_an_observation_within_the_clock_skew_is_accepted(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, observed_at="2026-03-03T10:04:00+01:00")
    assert response.status_code == 201


def test_a_signal_about_an_unknown_child_is_not_found(client, world):
    response = post_signal(client, world.users["school"], "00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


# --- idempotency ---------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_signal_and_records_nothing(client, world, child_id):
    school = world.users["school"]
    first = post_signal(client, school, child_id, key="export-2026-03-02-row-7")
    retry = post_signal(client, school, child_id, key="export-2026-03-02-row-7")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json
    assert event_types(client, world.users["coordinator"], child_id).count("SignalRecorded") == 1


def test_a_key_reused_for_a_different_request_is_a_conflict(client, world, child_id):
    school = world.users["school"]
    post_signal(client, school, child_id, key="row-7")
    response = post_signal(client, school, child_id, key="row-7", details="something else")
    assert response.status_code == 409
    assert event_types(client, world.users["coordinator"], child_id).count("SignalRecorded") == 1


def test_without_a_key_every_post_is_a_new_signal(client, world, child_id):
    first = record_signal(client, world.users["school"], child_id)
    second = record_signal(client, world.users["school"], child_id)
    assert first["id"] != second["id"]


def test_keys_are_scoped_to_the_user(client, world, child_id):
    first = post_signal(client, world.users["school"], child_id, key="row-7", kind="welfare_concern")
    second = post_signal(client, world.users["police"], child_id, key="row-7", kind="welfare_concern")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json["id"] != second.json["id"]


def test_a_malformed_key_is_named(client, world, child_id):
    response = post_signal(client, world.users["school"], child_id, key="zażółć")
    assert list(field_errors(response)) == ["headers.Idempotency-Key"]


# --- need to know ----------------------------------------------------------------------------


@pytest.fixture
def two_agencies(client, world, child_id) -> dict[str, str]:
    """The school and the police each posted one signal about the child."""
    return {
        "school": record_signal(client, world.users["school"], child_id)["id"],
        "police": record_signal(client, world.users["police"], child_id, kind="domestic_intervention")["id"],
    }


@pytest.mark.parametrize("label", ["school", "police"])
def test_a_submitter_lists_only_its_own_agencys_signals(client, world, child_id, two_agencies, label):
    assert [s["id"] for s in signals(client, world.users[label], child_id)] == [two_agencies[label]]


@pytest.mark.parametrize("label", ["school", "police"])
def test_a_submitter_reads_only_its_own_agencys_events(client, world, child_id, two_agencies, label):
    history = events(client, world.users[label], child_id)
    assert [e["type"] for e in history] == ["Registered", "SignalRecorded"]
    assert history[1]["data"]["signal_id"] == two_agencies[label]


def test_a_submitter_of_an_agency_with_no_signals_sees_none(client, world, child_id, two_agencies):
    assert signals(client, world.users["health"], child_id) == []


@pytest.mark.parametrize("label", ["coordinator", "auditor"])
def test_the_coordinator_and_the_auditor_see_every_agency(client, world, child_id, two_agencies, label):
    assert {s["id"] for s in signals(client, world.users[label], child_id)} == set(two_agencies.values())
    assert event_types(client, world.users[label], child_id).count("SignalRecorded") == 2


@pytest.mark.parametrize("label", ["case_worker", "family_assistant"])
def test_case_roles_off_the_childs_group_see_only_their_own_agency(client, world, child_id, two_agencies, label):
    assert signals(client, world.users[label], child_id) == []  # neither the school's nor the police's
    assert event_types(client, world.users[label], child_id) == ["Registered"]


def test_signals_are_listed_oldest_observation_first(client, world, child_id):
    late = record_signal(client, world.users["school"], child_id, observed_at="2026-03-02T12:00:00+01:00")
    early = record_signal(client, world.users["school"], child_id, observed_at="2026-02-20T12:00:00+01:00")
    assert [s["id"] for s in signals(client, world.users["school"], child_id)] == [early["id"], late["id"]]


# --- corrections and retractions ---------------------------------------------------------------


def test_a_correction_is_a_new_event_and_the_signal_reads_corrected(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id, kind="missed_remote_learning", days=3)
    response = correct(client, school, child_id, signal["id"], days=5, reason="it was five days")
    assert response.status_code == 201, response.json
    assert (response.json["days"], response.json["corrected"]) == (5, True)
    [listed] = signals(client, school, child_id)
    assert (listed["days"], listed["corrected"]) == (5, True)
    assert listed["corrections"][0]["previous"] == {"days": 3}
    corrected = events(client, school, child_id)[-1]
    assert corrected["type"] == "SignalCorrected"
    assert (corrected["data"]["signal_id"], corrected["data"]["days"]) == (signal["id"], 5)
    assert event_types(client, school, child_id) == ["Registered", "SignalRecorded", "SignalCorrected"]


def test_a_retraction_is_a_new_event_and_the_signal_stays_listed_as_retracted(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    response = retract(client, school, child_id, signal["id"], reason="wrong pupil")
    assert response.status_code == 201, response.json
    [listed] = signals(client, school, child_id)
    assert (listed["id"], listed["retracted"], listed["retraction_reason"]) == (signal["id"], True, "wrong pupil")
    assert event_types(client, school, child_id) == ["Registered", "SignalRecorded", "SignalRetracted"]


def test_correcting_a_retracted_signal_is_a_conflict(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    retract(client, school, child_id, signal["id"])
    response = correct(client, school, child_id, signal["id"], severity="low")
    assert response.status_code == 409
    assert response.json["error"] == "conflict"


def test_retracting_twice_is_a_conflict(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    retract(client, school, child_id, signal["id"])
    assert retract(client, school, child_id, signal["id"]).status_code == 409


def test_a_retraction_needs_a_reason(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    assert list(field_errors(retract(client, school, child_id, signal["id"], reason=""))) == ["reason"]
    assert list(field_errors(retract(client, school, child_id, signal["id"], reason="   "))) == ["reason"]


def test_a_correction_must_name_something_to_correct(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    assert list(field_errors(correct(client, school, child_id, signal["id"], reason="nothing"))) == ["corrections"]


def test_a_correction_refuses_unknown_fields(client, world, child_id):
    school = world.users["school"]
    signal = record_signal(client, school, child_id)
    response = correct(client, school, child_id, signal["id"], agency_id=str(world.agencies["police"]))
    assert field_errors(response) == {"agency_id": ["Unknown field."]}


def test_another_agency_may_not_correct_or_retract(client, world, child_id):
    signal = record_signal(client, world.users["school"], child_id, kind="welfare_concern")
    police = world.users["police"]
    # As if there were no such signal: a guessed id confirms nothing about another agency's record.
    assert correct(client, police, child_id, signal["id"], severity="low").status_code == 404
    assert retract(client, police, child_id, signal["id"]).status_code == 404


def test_a_colleague_of_the_same_agency_may_correct(client, world, services, child_id):
    signal = record_signal(client, world.users["school"], child_id)
    colleague = services.directory.create_user(
        None, role="submitter", name="Teacher", agency_id=world.agencies["school"]
    )
    headers = {"Authorization": f"Bearer {colleague['token']}"}
    response = client.post(
        f"{API}/children/{child_id}/signals/{signal['id']}/corrections",
        headers=headers,
        json={"details": "bruise on the left arm"},
    )
    assert response.status_code == 201, response.json


def test_correcting_an_unknown_signal_is_not_found(client, world, child_id):
    response = correct(client, world.users["school"], child_id, "00000000-0000-0000-0000-000000000000", severity="low")
    assert response.status_code == 404


def test_an_auditor_may_not_correct(client, world, child_id):
    signal = record_signal(client, world.users["school"], child_id)
    assert correct(client, world.users["auditor"], child_id, signal["id"], severity="low").status_code == 403


def test_another_municipality_cannot_correct_a_signal(client, world, other_world, child_id):
    signal = record_signal(client, world.users["school"], child_id)
    response = correct(client, other_world.users["school"], child_id, signal["id"], severity="low")
    assert response.status_code == 404


# --- history as of a moment ------------------------------------------------------------------------


def test_as_of_shows_the_history_as_it_stood_then(client, world, child_id):
    reader = world.users["coordinator"]
    registered_at = events(client, reader, child_id)[0]["recorded_at"]
    record_signal(client, world.users["school"], child_id)
    assert len(events(client, reader, child_id)) == 2
    assert [e["type"] for e in events(client, reader, child_id, as_of=registered_at)] == ["Registered"]


def test_as_of_before_the_record_existed_is_empty(client, world, child_id):
    assert events(client, world.users["coordinator"], child_id, as_of="2000-01-01T00:00:00+00:00") == []


def test_a_bad_as_of_is_named(client, world, child_id):
    response = client.get(
        f"{API}/children/{child_id}/events",
        headers=world.users["coordinator"].headers,
        query_string={"as_of": "last tuesday"},
    )
    assert list(field_errors(response)) == ["as_of"]


def test_a_mistyped_history_parameter_is_named(client, world, child_id):
    response = client.get(
        f"{API}/children/{child_id}/events",
        headers=world.users["coordinator"].headers,
        query_string={"asof": "2026-01-01T00:00:00+00:00"},
    )
    assert field_errors(response) == {"asof": ["Unknown field."]}
