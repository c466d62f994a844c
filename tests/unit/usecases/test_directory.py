"""The directory: municipalities, agencies, users, and who a token belongs to."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import Forbidden, InvalidInput, NotFound
from services.usecases.directory import MUNICIPALITIES_KEY
from services.usecases.loading import listed


def test_a_municipality_is_created_listed_and_read(directory):
    created = directory.create_municipality("  Gmina   Nowa ")
    assert created["name"] == "Gmina Nowa"
    assert [m["id"] for m in directory.list_municipalities()] == [created["id"]]
    assert directory.get_municipality(UUID(created["id"])) == created


def test_a_blank_municipality_name_gets_a_default(directory):
    assert directory.create_municipality("   ")["name"] == "Gmina"


def test_an_unknown_municipality_is_not_found(directory):
    with pytest.raises(NotFound, match="municipality"):
        directory.get_municipality(uuid4())


def test_an_agency_is_listed_in_its_municipality_only(directory, world, other_world):
    agencies = directory.list_agencies(world.actor("school"))
    assert {a["id"] for a in agencies} == {str(i) for i in world.agencies.values()}
    assert not {a["id"] for a in agencies} & {str(i) for i in other_world.agencies.values()}


def test_an_agency_of_an_unknown_kind_is_refused_naming_the_field_and_nothing_is_listed(directory, store, world):
    before = listed(store, f"agencies:{world.municipality_id}")
    with pytest.raises(InvalidInput) as refused:
        directory.create_agency(None, world.municipality_id, "bakery", "Piekarnia")
    assert "kind" in refused.value.errors
    assert listed(store, f"agencies:{world.municipality_id}") == before


def test_only_an_administrator_of_the_same_municipality_creates_agencies(directory, world, other_world):
    with pytest.raises(Forbidden):
        directory.create_agency(world.actor("coordinator"), world.municipality_id, "ngo", "Fundacja")
    with pytest.raises(NotFound):
        directory.create_agency(other_world.actor("admin"), world.municipality_id, "ngo", "Fundacja")
    created = directory.create_agency(world.actor("admin"), world.municipality_id, "ngo", "Fundacja")
    assert created["kind"] == "ngo" and created["municipality_id"] == str(world.municipality_id)


def test_another_municipalitys_agency_reads_as_not_found(directory, world, other_world):
    with pytest.raises(NotFound):
        directory.get_agency(other_world.actor("school"), world.agencies["school"])


def test_a_reader_created_by_the_admin_waits_with_no_token(directory, world):
    created = directory.create_user(
        world.actor("admin"), role="case_worker", name="Anna Nowak", agency_id=world.agencies["ops"]
    )
    assert (created["token"], created["access"]) == (None, "pending")
    assert created["grant"]["requested_by"] == str(world.users["admin"].id)
    assert directory.authenticate(created["setup_code"]) is None


def test_an_administrator_created_by_the_admin_acts_at_once(directory, world):
    created = directory.create_user(
        world.actor("admin"), role="admin", name="Drugi", municipality_id=world.municipality_id
    )
    assert created["access"] == "approved" and created["setup_code"] is None
    assert directory.authenticate(created["token"]).role == "admin"


def test_a_new_users_token_from_the_operator_authenticates_as_that_user(directory, world):
    created = directory.create_user(None, role="case_worker", name="Anna Nowak", agency_id=world.agencies["ops"])
    actor = directory.authenticate(created["token"])
    assert actor is not None
    assert (actor.user_id, actor.municipality_id, actor.agency_id, actor.agency_kind, actor.role) == (
        UUID(created["id"]),
        world.municipality_id,
        world.agencies["ops"],
        "ops",
        "case_worker",
    )


def test_the_token_is_shown_once_and_never_stored_in_the_users_view(directory, world):
    created = directory.create_user(None, role="auditor", name="Audytor", municipality_id=world.municipality_id)
    assert created["token"].startswith("sh_")
    shown = directory.get_user(world.actor("admin"), UUID(created["id"]))
    assert "token" not in shown and "token_hash" not in shown
    assert all("token" not in u for u in directory.list_users(world.actor("admin")))


def test_an_unknown_token_authenticates_nobody(directory, world):
    assert directory.authenticate("sh_not-a-token") is None


def test_a_replaced_token_stops_working_and_the_new_one_works(directory, world):
    school = world.users["school"]
    issued = directory.own_token(world.actor("school"))
    assert directory.authenticate(school.token) is None
    actor = directory.authenticate(issued["token"])
    assert actor is not None and actor.user_id == school.id
    assert issued["credential_issued_by"] == str(school.id)


def test_the_admin_replaces_only_an_administrators_token_and_the_operator_any(directory, world):
    with pytest.raises(Forbidden, match="me/token"):
        directory.issue_token(world.actor("admin"), world.users["coordinator"].id)
    assert directory.authenticate(world.users["coordinator"].token) is not None
    by_operator = directory.issue_token(None, world.users["coordinator"].id)
    assert by_operator["credential_issued_by"] is None
    assert directory.authenticate(by_operator["token"]).user_id == world.users["coordinator"].id


def test_the_auditor_reads_the_users_and_a_field_role_does_not(directory, world):
    assert {u["id"] for u in directory.list_users(world.actor("auditor"))} >= {str(world.users["school"].id)}
    with pytest.raises(Forbidden):
        directory.list_users(world.actor("coordinator"))
    with pytest.raises(Forbidden):
        directory.get_user(world.actor("school"), world.users["school"].id)


def test_authentication_names_the_aggregates_it_read_with_their_versions(directory, world, store):
    school = world.users["school"]
    actor, basis = directory.authenticate_with_basis(school.token)
    assert actor.user_id == school.id
    assert {school.id, world.agencies["school"]} <= set(basis)
    assert basis[school.id] == store.repository.get(school.id).version


def test_a_user_of_another_municipalitys_agency_is_refused_naming_the_agency(directory, world, other_world):
    with pytest.raises(InvalidInput) as refused:
        directory.create_user(
            None,
            role="submitter",
            name="X",
            agency_id=other_world.agencies["school"],
            municipality_id=world.municipality_id,
        )
    assert "agency_id" in refused.value.errors


def test_a_field_role_without_an_agency_is_refused(directory, world):
    with pytest.raises(InvalidInput) as refused:
        directory.create_user(None, role="submitter", name="X", municipality_id=world.municipality_id)
    assert "agency_id" in refused.value.errors


def test_an_admin_manages_only_its_own_municipalitys_users(directory, world, other_world):
    with pytest.raises(NotFound):
        directory.get_user(other_world.actor("admin"), world.users["school"].id)
    with pytest.raises(NotFound):
        directory.issue_token(other_world.actor("admin"), world.users["school"].id)
    assert directory.authenticate(world.users["school"].token) is not None


def test_school_of_accepts_only_a_school_of_the_municipality(directory, world, other_world):
    assert directory.school_of(world.municipality_id, world.agencies["school"]).kind == "school"
    for agency_id in (world.agencies["ops"], other_world.agencies["school"], uuid4()):
        with pytest.raises(InvalidInput) as refused:
            directory.school_of(world.municipality_id, agency_id)
        assert "school_id" in refused.value.errors


def test_municipalities_are_listed_once_each(directory, store, world, other_world):
    assert listed(store, MUNICIPALITIES_KEY) == [world.municipality_id, other_world.municipality_id]


def test_pending_grants_are_listed_to_who_approves_them_and_deactivation_follows_the_roles(store, directory, world):
    from services.usecases.access_grants import AccessGrants

    grants = AccessGrants(store)
    admin = world.actor("admin")
    worker = directory.create_user(admin, role="case_worker", name="Nowa", agency_id=world.agencies["ops"])
    auditor = directory.create_user(admin, role="auditor", name="Nowy IOD", municipality_id=world.municipality_id)
    assert [r["name"] for r in grants.pending(world.actor("coordinator"))] == ["Nowa"]
    assert [r["name"] for r in grants.pending(world.actor("auditor"))] == ["Nowy IOD"]
    assert {r["name"] for r in grants.pending(admin)} == {"Nowa", "Nowy IOD"}
    with pytest.raises(Forbidden):
        grants.pending(world.actor("school"))
    with pytest.raises(Forbidden):
        grants.deactivate(world.actor("coordinator"), UUID(auditor["id"]), "nie")
    done = grants.deactivate(world.actor("coordinator"), UUID(worker["id"]), "rezygnacja")
    assert (done["active"], done["deactivated_by"]) == (False, str(world.users["coordinator"].id))
    assert [r["name"] for r in grants.pending(world.actor("coordinator"))] == []


def test_a_blank_reset_reason_changes_nothing(store, directory, world):
    from services.usecases.access_grants import AccessGrants

    with pytest.raises(InvalidInput):
        AccessGrants(store).reset(world.actor("admin"), world.users["school"].id, "   ")
    assert directory.authenticate(world.users["school"].token) is not None
