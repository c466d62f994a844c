"""Agencies and users: run by the administrator, tokens shown once, never stored in clear."""

import pytest

from tests.functional.api.contract.helpers import API, field_errors


def create_agency(client, member, **body):
    return client.post(f"{API}/agencies", headers=member.headers, json={"kind": "school", "name": "SP 2", **body})


def create_user(client, member, **body):
    return client.post(f"{API}/users", headers=member.headers, json={"role": "auditor", "name": "Ewa", **body})


def test_an_admin_creates_an_agency(client, world):
    admin = world.users["admin"]
    created = create_agency(client, admin, kind="ngo", name="Fundacja Dzieci")
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "ngo"
    assert created.json["municipality_id"] == str(world.municipality_id)
    listed = client.get(f"{API}/agencies", headers=admin.headers).json
    assert created.json["id"] in [a["id"] for a in listed]


def test_any_user_reads_the_agencies_of_their_own_municipality_only(client, world, other_world):
    ours = {str(world.agencies[kind]) for kind in ("school", "police", "ops")}
    theirs = str(other_world.agencies["school"])
    listed = client.get(f"{API}/agencies", headers=world.users["school"].headers).json
    assert {a["id"] for a in listed} == ours
    assert theirs not in {a["id"] for a in listed}


def test_an_agency_of_another_municipality_is_not_found(client, world, other_world):
    response = client.get(f"{API}/agencies/{other_world.agencies['school']}", headers=world.users["admin"].headers)
    assert response.status_code == 404


def test_an_agency_is_read_by_id(client, world):
    response = client.get(f"{API}/agencies/{world.agencies['police']}", headers=world.users["school"].headers)
    assert response.status_code == 200
    assert response.json["kind"] == "police"


def test_an_unknown_agency_kind_is_refused(client, world):
    errors = field_errors(create_agency(client, world.users["admin"], kind="bakery"))
    assert list(errors) == ["kind"]


def test_an_agency_needs_a_kind_and_a_name(client, world):
    response = client.post(f"{API}/agencies", headers=world.users["admin"].headers, json={})
    assert set(field_errors(response)) == {"kind", "name"}


def test_an_agency_with_a_blank_name_is_refused(client, world):
    assert list(field_errors(create_agency(client, world.users["admin"], name="   "))) == ["name"]


def test_an_agency_cannot_be_placed_in_another_municipality(client, world, other_world):
    response = create_agency(client, world.users["admin"], municipality_id=str(other_world.municipality_id))
    assert field_errors(response) == {"municipality_id": ["Unknown field."]}


def test_an_admin_creates_a_user_and_sees_its_token_once(client, world):
    created = create_user(client, world.users["admin"], role="admin", name="Drugi administrator")
    assert created.status_code == 201, created.json
    token = created.json["token"]
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["user_id"] == created.json["id"]
    assert (me["role"], me["agency_kind"]) == ("admin", None)


def test_a_reader_created_by_the_admin_gets_no_token_only_the_requesters_half_of_a_setup_code(client, world):
    created = create_user(
        client, world.users["admin"], role="submitter", name="Pedagog", agency_id=str(world.agencies["school"])
    )
    assert created.status_code == 201, created.json
    assert (created.json["token"], created.json["access"]) == (None, "pending")
    assert created.json["setup_code"]


def test_tokens_and_hashes_are_never_listed(client, world):
    admin, school = world.users["admin"], world.users["school"]
    token = create_user(client, admin, role="admin").json["token"]
    listing = client.get(f"{API}/users", headers=admin.headers)
    assert listing.status_code == 200
    assert len(listing.json) == 3
    for user in listing.json:
        assert not [key for key in user if "token" in key or "hash" in key]
    text = listing.get_data(as_text=True)
    assert token not in text
    assert school.token not in text


def test_a_single_user_is_shown_without_its_token(client, world):
    school = world.users["school"]
    shown = client.get(f"{API}/users/{school.id}", headers=world.users["admin"].headers)
    assert shown.status_code == 200
    assert shown.json["role"] == "submitter"
    assert "token" not in shown.json
    assert school.token not in shown.get_data(as_text=True)


def test_a_user_of_another_municipality_is_not_found(client, world, other_world):
    response = client.get(f"{API}/users/{other_world.users['school'].id}", headers=world.users["admin"].headers)
    assert response.status_code == 404


def test_users_are_listed_per_municipality(client, world, other_world):
    ours = {str(world.users[label].id) for label in ("admin", "school", "auditor")}
    theirs = str(other_world.users["admin"].id)
    listed = {u["id"] for u in client.get(f"{API}/users", headers=world.users["admin"].headers).json}
    assert listed == ours
    assert theirs not in listed


def test_an_unknown_role_is_refused(client, world):
    assert list(field_errors(create_user(client, world.users["admin"], role="king"))) == ["role"]


def test_a_user_needs_a_role_and_a_name(client, world):
    response = client.post(f"{API}/users", headers=world.users["admin"].headers, json={})
    assert set(field_errors(response)) == {"role", "name"}


def test_a_submitter_needs_an_agency(client, world):
    errors = field_errors(create_user(client, world.users["admin"], role="submitter"))
    assert list(errors) == ["agency_id"]


def test_a_user_cannot_choose_a_municipality(client, world, other_world):
    response = create_user(client, world.users["admin"], municipality_id=str(other_world.municipality_id))
    assert field_errors(response) == {"municipality_id": ["Unknown field."]}


def test_an_unknown_agency_for_a_user_is_refused(client, world):
    response = create_user(
        client, world.users["admin"], role="submitter", agency_id="00000000-0000-0000-0000-000000000000"
    )
    assert list(field_errors(response)) == ["agency_id"]


def test_an_agency_of_another_municipality_reads_as_unknown(client, world, other_world):
    admin = world.users["admin"]
    foreign = create_user(client, admin, role="submitter", agency_id=str(other_world.agencies["school"]))
    unknown = create_user(client, admin, role="submitter", agency_id="00000000-0000-0000-0000-000000000000")
    assert list(field_errors(foreign)) == ["agency_id"]
    assert foreign.json["errors"]["agency_id"][0].startswith("no agency with id")
    assert field_errors(unknown)["agency_id"][0].startswith("no agency with id")


@pytest.mark.parametrize("label", ["school", "case_worker", "coordinator", "auditor"])
def test_only_an_admin_manages_users(client, world, label):
    member = world.users[label]
    assert create_user(client, member).status_code == 403
    reads = 200 if label == "auditor" else 403  # the auditor checks who was given access, and by whom
    assert client.get(f"{API}/users", headers=member.headers).status_code == reads
    assert client.get(f"{API}/users/{member.id}", headers=member.headers).status_code == reads


def test_a_non_admin_is_refused_before_the_agency_is_looked_up(client, world, other_world):
    school = world.users["school"]
    for agency_id in ("00000000-0000-0000-0000-000000000000", str(other_world.agencies["school"])):
        response = create_user(client, school, role="submitter", agency_id=agency_id)
        assert response.status_code == 403, response.json


def test_a_non_admin_is_refused_before_the_user_is_looked_up(client, world):
    response = client.post(
        f"{API}/users/00000000-0000-0000-0000-000000000000/token", headers=world.users["school"].headers
    )
    assert response.status_code == 403


def test_replacing_the_token_of_an_unknown_user_is_not_found(client, world):
    response = client.post(
        f"{API}/users/00000000-0000-0000-0000-000000000000/token", headers=world.users["admin"].headers
    )
    assert response.status_code == 404


def test_the_signal_catalogue_is_served(client, world):
    kinds = client.get(f"{API}/signal-kinds", headers=world.users["school"].headers).json
    by_code = {k["code"]: k for k in kinds}
    assert by_code["missed_remote_learning"]["agency_kinds"] == ["school"]
    assert by_code["domestic_intervention"]["default_severity"] == "high"
    assert by_code["home_visit"]["label_pl"] == "Wizyta w środowisku"
