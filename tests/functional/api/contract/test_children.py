"""Children: register, look up (with likely duplicates), read, merge, and isolation."""

from datetime import date

import pytest

from domain.pesel import make_pesel
from tests.functional.api.contract.helpers import API, child_body, events, field_errors, record_signal, register_child

PESEL = make_pesel(date(2015, 4, 3), 4321)


def find(client, member, **query):
    """The search by POST (a PESEL never travels in a URL)."""
    return client.post(f"{API}/children/search", headers=member.headers, json=query)


def merge(client, member, source_id: str, target_id: str, reason: str = "the same child"):
    return client.post(
        f"{API}/children/{source_id}/merge", headers=member.headers, json={"target_id": target_id, "reason": reason}
    )


# --- registering -------------------------------------------------------------------------


def test_a_registered_child_answers_201_with_its_id_and_can_be_read(client, world):
    created = register_child(client, world.users["case_worker"], given_name="Łucja", family_name="Wójcik")
    read = client.get(f"{API}/children/{created['id']}", headers=world.users["case_worker"].headers)
    assert read.status_code == 200
    assert (read.json["id"], read.json["given_name"], read.json["family_name"]) == (created["id"], "Łucja", "Wójcik")
    assert "Łucja" in read.get_data(as_text=True)


def test_a_school_registers_its_pupil_at_its_own_school(client, world):
    created = register_child(client, world.users["school"])
    assert created["school_id"] == str(world.agencies["school"])


def test_a_pesel_registered_twice_is_a_conflict_naming_the_existing_record(client, world):
    first = register_child(client, world.users["school"], pesel=PESEL)
    again = client.post(
        f"{API}/children", headers=world.users["police"].headers, json=child_body(given_name="Alicja", pesel=PESEL)
    )
    assert again.status_code == 409
    assert again.json["details"]["existing_id"] == first["id"]


def test_the_same_pesel_may_exist_in_another_municipality(client, world, other_world):
    register_child(client, world.users["school"], pesel=PESEL)
    register_child(client, other_world.users["school"], pesel=PESEL)


def test_missing_required_fields_are_each_named(client, world):
    response = client.post(f"{API}/children", headers=world.users["school"].headers, json={})
    errors = field_errors(response)
    assert set(errors) == {"given_name", "family_name", "date_of_birth"}
    assert all(problems for problems in errors.values())


def test_an_unknown_field_is_named(client, world):
    response = client.post(f"{API}/children", headers=world.users["school"].headers, json=child_body(nickname="Ala"))
    assert field_errors(response) == {"nickname": ["Unknown field."]}


@pytest.mark.parametrize("value", ["2015-02-30", "03.04.2015", "tomorrow", ""])
def test_an_invalid_date_of_birth_is_named(client, world, value):
    response = client.post(
        f"{API}/children", headers=world.users["school"].headers, json=child_body(date_of_birth=value)
    )
    assert list(field_errors(response)) == ["date_of_birth"]


def test_a_future_date_of_birth_is_refused(client, world):
    response = client.post(
        f"{API}/children", headers=world.users["school"].headers, json=child_body(date_of_birth="2026-03-04")
    )
    assert field_errors(response) == {"date_of_birth": ["must not be in the future"]}


def test_a_pesel_with_a_bad_checksum_is_named(client, world):
    bad = PESEL[:10] + str((int(PESEL[10]) + 1) % 10)
    response = client.post(f"{API}/children", headers=world.users["school"].headers, json=child_body(pesel=bad))
    assert field_errors(response) == {"pesel": ["checksum digit does not match"]}


def test_a_pesel_for_another_birth_date_is_named(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        json=child_body(date_of_birth="2015-04-04", pesel=PESEL),
    )
    assert field_errors(response) == {"pesel": ["encodes a different date of birth than date_of_birth"]}


def test_several_bad_fields_are_named_together(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        json={"given_name": "", "date_of_birth": "2015-13-01", "pesel": "123", "x": 1},
    )
    assert set(field_errors(response)) == {"given_name", "family_name", "date_of_birth", "pesel", "x"}


def test_a_school_id_that_is_not_a_school_is_refused(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["case_worker"].headers,
        json=child_body(school_id=str(world.agencies["police"])),
    )
    assert list(field_errors(response)) == ["school_id"]


def test_a_school_of_another_municipality_is_refused(client, world, other_world):
    response = client.post(
        f"{API}/children",
        headers=world.users["case_worker"].headers,
        json=child_body(school_id=str(other_world.agencies["school"])),
    )
    assert list(field_errors(response)) == ["school_id"]


def test_registering_lists_likely_duplicates(client, world):
    first = register_child(client, world.users["police"], given_name="Łukasz", family_name="Wiśniewski")
    second = register_child(client, world.users["school"], given_name="Lukasz", family_name="Wisniewski")
    assert [d["id"] for d in second["likely_duplicates"]] == [first["id"]]


# --- reading and isolation ---------------------------------------------------------------


def test_an_unknown_child_is_not_found(client, world):
    response = client.get(
        f"{API}/children/00000000-0000-0000-0000-000000000000", headers=world.users["case_worker"].headers
    )
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_an_auditor_reads_a_child(client, world):
    child = register_child(client, world.users["school"])
    assert client.get(f"{API}/children/{child['id']}", headers=world.users["auditor"].headers).status_code == 200


@pytest.mark.parametrize("path", ["", "/events", "/signals"])
@pytest.mark.parametrize("label", ["case_worker", "auditor", "coordinator"])
def test_another_municipality_cannot_see_that_a_child_exists(client, world, other_world, path, label):
    child = register_child(client, world.users["school"])
    response = client.get(f"{API}/children/{child['id']}{path}", headers=other_world.users[label].headers)
    assert response.status_code == 404


def test_another_municipality_cannot_post_a_signal_about_a_child(client, world, other_world):
    child = register_child(client, world.users["school"])
    response = client.post(
        f"{API}/children/{child['id']}/signals",
        headers=other_world.users["school"].headers,
        json={"kind": "injury_observed", "observed_at": "2026-03-02T08:00:00+01:00"},
    )
    assert response.status_code == 404
    assert [e["type"] for e in events(client, world.users["case_worker"], child["id"])] == ["Registered"]


def test_another_municipality_cannot_find_a_child_by_pesel_or_name(client, world, other_world):
    register_child(client, world.users["school"], pesel=PESEL)
    stranger = other_world.users["case_worker"]
    assert find(client, stranger, pesel=PESEL).json["matches"] == []
    by_name = find(client, stranger, given_name="Ala", family_name="Kot", date_of_birth="2015-04-03").json
    assert by_name == {"matches": [], "likely_duplicates": []}


# --- looking up --------------------------------------------------------------------------


def test_a_child_is_found_by_pesel(client, world):
    child = register_child(client, world.users["school"], pesel=PESEL)
    found = find(client, world.users["police"], pesel=PESEL)
    assert found.status_code == 200
    assert [m["id"] for m in found.json["matches"]] == [child["id"]]


def test_an_unknown_pesel_finds_nothing(client, world):
    assert find(client, world.users["police"], pesel=PESEL).json == {"matches": [], "likely_duplicates": []}


def test_a_malformed_pesel_query_is_named(client, world):
    assert list(field_errors(find(client, world.users["police"], pesel="123"))) == ["pesel"]


def test_a_look_up_needs_a_pesel_or_a_full_name_and_birth_date(client, world):
    errors = field_errors(find(client, world.users["police"]))
    assert "pesel" in errors["query"][0]


def test_a_name_without_a_birth_date_is_not_a_look_up(client, world):
    assert "query" in field_errors(find(client, world.users["police"], given_name="Ala", family_name="Kot"))


def test_an_unknown_query_parameter_is_named(client, world):
    response = find(client, world.users["police"], pesel=PESEL, surname="Kot")
    assert field_errors(response) == {"surname": ["Unknown field."]}
    in_url = client.get(f"{API}/children", headers=world.users["police"].headers, query_string={"surname": "Kot"})
    assert field_errors(in_url) == {"surname": ["Unknown field."]}


def test_the_search_by_name_may_still_use_the_query_string(client, world):
    register_child(client, world.users["school"])
    found = client.get(
        f"{API}/children",
        headers=world.users["police"].headers,
        query_string={"given_name": "Ala", "family_name": "Kot", "date_of_birth": "2015-04-03"},
    )
    assert found.status_code == 200 and len(found.json["matches"]) == 1


def test_a_name_spelled_without_diacritics_matches(client, world):
    child = register_child(client, world.users["police"], given_name="Łukasz", family_name="Wiśniewski")
    found = find(
        client, world.users["school"], given_name="Lukasz", family_name="Wisniewski", date_of_birth="2015-04-03"
    ).json
    assert [m["id"] for m in found["matches"]] == [child["id"]]
    assert found["matches"][0]["match"] == "exact"


def test_a_swapped_day_and_month_is_a_likely_duplicate(client, world):
    child = register_child(
        client, world.users["police"], given_name="Łukasz", family_name="Wiśniewski", date_of_birth="2015-04-03"
    )
    found = find(
        client, world.users["school"], given_name="Lukasz", family_name="Wisniewski", date_of_birth="2015-03-04"
    ).json
    assert found["matches"] == []
    [likely] = found["likely_duplicates"]
    assert (likely["id"], likely["match"], likely["reason"]) == (child["id"], "likely", "near date of birth")


def test_a_misspelled_name_on_the_same_day_is_a_likely_duplicate(client, world):
    child = register_child(client, world.users["police"], given_name="Łukasz", family_name="Wiśniewski")
    found = find(
        client, world.users["school"], given_name="Lukas", family_name="Wisnewski", date_of_birth="2015-04-03"
    ).json
    assert [d["id"] for d in found["likely_duplicates"]] == [child["id"]]
    assert found["likely_duplicates"][0]["reason"] == "same date of birth"


def test_swapped_given_and_family_names_are_a_likely_duplicate(client, world):
    child = register_child(client, world.users["police"], given_name="Jan", family_name="Kowalski")
    found = find(
        client, world.users["school"], given_name="Kowalski", family_name="Jan", date_of_birth="2015-04-03"
    ).json
    assert [d["id"] for d in found["likely_duplicates"]] == [child["id"]]


def test_a_different_child_born_the_same_day_is_not_listed(client, world):
    register_child(client, world.users["police"], given_name="Zbigniew", family_name="Brzęczyszczykiewicz")
    found = find(client, world.users["school"], given_name="Ala", family_name="Kot", date_of_birth="2015-04-03")
    assert found.json == {"matches": [], "likely_duplicates": []}


@pytest.mark.parametrize("date_of_birth", ["0001-01-01", "9999-12-31"])
def test_a_look_up_at_the_ends_of_the_calendar_finds_nothing(client, world, date_of_birth):
    found = find(client, world.users["school"], given_name="Ala", family_name="Kot", date_of_birth=date_of_birth)
    assert found.status_code == 200, found.json
    assert found.json == {"matches": [], "likely_duplicates": []}


def test_a_name_with_control_characters_is_refused(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        json=child_body(given_name="Ala\x00", family_name="Kot\u200b"),
    )
    assert set(field_errors(response)) == {"given_name", "family_name"}


def test_an_admin_may_not_look_children_up(client, world):
    response = find(client, world.users["admin"], given_name="Ala", family_name="Kot", date_of_birth="2015-04-03")
    assert response.status_code == 403


# --- merging -----------------------------------------------------------------------------


def two_records(client, world) -> tuple[str, str]:
    source = register_child(client, world.users["school"], given_name="Lukasz", family_name="Wisniewski")
    target = register_child(client, world.users["police"], given_name="Łukasz", family_name="Wiśniewski")
    return source["id"], target["id"]


def test_a_coordinator_merges_a_duplicate_into_the_surviving_record(client, world):
    source, target = two_records(client, world)
    merged = merge(client, world.users["coordinator"], source, target)
    assert merged.status_code == 200, merged.json
    assert (merged.json["id"], merged.json["merged_from"]) == (target, [source])
    old = client.get(f"{API}/children/{source}", headers=world.users["case_worker"].headers).json
    assert old["merged_into"] == target


def test_a_merge_is_an_event_on_both_records(client, world):
    source, target = two_records(client, world)
    merge(client, world.users["coordinator"], source, target)
    reader = world.users["coordinator"]
    assert [e["type"] for e in events(client, reader, source)] == ["Registered", "MergedInto"]
    assert [e["type"] for e in events(client, reader, target)] == ["Registered", "Absorbed"]


def test_a_signal_posted_to_the_old_id_lands_on_the_surviving_record(client, world):
    source, target = two_records(client, world)
    merge(client, world.users["coordinator"], source, target)
    signal = record_signal(client, world.users["school"], source, kind="missed_remote_learning", days=2)
    assert signal["child_id"] == target
    assert [e["type"] for e in events(client, world.users["coordinator"], target)][-1] == "SignalRecorded"
    assert "SignalRecorded" not in [e["type"] for e in events(client, world.users["coordinator"], source)]


def test_a_merged_record_no_longer_shows_up_in_look_ups(client, world):
    source, target = two_records(client, world)
    merge(client, world.users["coordinator"], source, target)
    found = find(
        client, world.users["school"], given_name="Lukasz", family_name="Wisniewski", date_of_birth="2015-04-03"
    ).json
    assert [m["id"] for m in found["matches"] + found["likely_duplicates"]] == [target]


def test_a_record_cannot_be_merged_twice(client, world):
    source, target = two_records(client, world)
    merge(client, world.users["coordinator"], source, target)
    third = register_child(client, world.users["school"], given_name="Łukasz", family_name="Wiśniewski")["id"]
    assert merge(client, world.users["coordinator"], source, third).status_code == 409


def test_records_with_different_pesels_cannot_be_merged(client, world):
    source = register_child(client, world.users["school"], pesel=PESEL)["id"]
    target = register_child(client, world.users["police"], pesel=make_pesel(date(2015, 4, 3), 1))["id"]
    assert merge(client, world.users["coordinator"], source, target).status_code == 409


def test_a_record_cannot_be_merged_into_itself(client, world):
    source, _ = two_records(client, world)
    assert list(field_errors(merge(client, world.users["coordinator"], source, source))) == ["target_id"]


def test_a_merge_into_an_unknown_record_names_the_target(client, world):
    source, _ = two_records(client, world)
    response = merge(client, world.users["coordinator"], source, "00000000-0000-0000-0000-000000000000")
    assert list(field_errors(response)) == ["target_id"]


def test_a_merge_into_another_municipality_reads_as_an_unknown_target(client, world, other_world):
    source, _ = two_records(client, world)
    foreign = register_child(client, other_world.users["school"])["id"]
    response = merge(client, world.users["coordinator"], source, foreign)
    assert list(field_errors(response)) == ["target_id"]


def test_a_merge_needs_a_target_and_a_reason(client, world):
    source, _ = two_records(client, world)
    response = client.post(f"{API}/children/{source}/merge", headers=world.users["coordinator"].headers, json={})
    assert set(field_errors(response)) == {"target_id", "reason"}
