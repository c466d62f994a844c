"""Finding 1 (roles): a role was never checked against its agency's kind.

The administrator could make a coordinator in the police or a case worker in a school and
so give any agency the municipality-wide reading of the team's chair. Now the domain
refuses a role that does not belong in the agency's kind (``User.register``), with a 422
naming ``role`` (or ``agency_id``) and why, whoever creates the user (API or CLI).
"""

from __future__ import annotations

import pytest

from domain.agencies import ROLE_AGENCY_KINDS, User
from domain.errors import InvalidInput
from tests.worlds import AGENCY_KINDS, PEOPLE

FITS = {
    "coordinator": {"team"},
    "case_worker": {"ops", "pcpr", "court_curator"},
    "family_assistant": {"ops", "pcpr"},
    "submitter": set(AGENCY_KINDS) - {"team"},
}


@pytest.mark.parametrize("role", sorted(FITS))
@pytest.mark.parametrize("kind", AGENCY_KINDS)
def test_a_role_fits_only_its_agency_kinds(directory_world, role, kind):
    directory, world = directory_world
    make = lambda: directory.create_user(None, role=role, name="Ktoś", agency_id=world.agencies[kind])  # noqa: E731
    if kind in FITS[role]:
        assert make()["role"] == role
    else:
        with pytest.raises(InvalidInput) as refused:
            make()
        assert list(refused.value.errors) == ["role"]
        assert kind in refused.value.errors["role"][0]


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admin_and_auditor_have_no_agency(directory_world, role):
    directory, world = directory_world
    with pytest.raises(InvalidInput) as refused:
        directory.create_user(None, role=role, name="Ktoś", agency_id=world.agencies["ops"])
    assert list(refused.value.errors) == ["agency_id"]


def test_the_table_is_the_domains_and_the_test_world_fits_it():
    assert {r: set(k) for r, k in ROLE_AGENCY_KINDS.items() if k} == FITS
    for kind, role in PEOPLE.values():
        assert (kind is None) == (role in ("admin", "auditor"))
        if kind is not None:
            assert kind in ROLE_AGENCY_KINDS[role]


def test_the_demo_people_fit(tmp_path):
    from services.demo.world import AGENCIES, USERS

    for agency_index, role, _name in USERS:
        kind = AGENCIES[agency_index][0] if agency_index is not None else None
        assert (kind is None) == (role in ("admin", "auditor"))
        if kind is not None:
            assert kind in ROLE_AGENCY_KINDS[role], (role, kind)


def test_the_domain_refuses_whatever_the_caller(world):
    from uuid import uuid4

    with pytest.raises(InvalidInput) as refused:
        User.register(uuid4(), uuid4(), "police", "coordinator", "Ktoś", "")
    assert "police" in refused.value.errors["role"][0]


@pytest.fixture
def directory_world(services, world):
    return services.directory, world
