"""The need-to-know table: who may do what, and who sees whose signals."""

from uuid import uuid4

import pytest

from domain.access import (
    Action,
    Actor,
    Grounds,
    child_access,
    load_category_policy,
    may,
    parse_category_policy,
    require,
    require_same_municipality,
)
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.signals import CATEGORIES

MUNICIPALITY = uuid4()
SCHOOL = uuid4()
POLICE = uuid4()
OPS = uuid4()
TEAM = uuid4()
HEALTH = uuid4()


def actor(role: str, agency_id=None, agency_kind=None) -> Actor:
    return Actor(uuid4(), MUNICIPALITY, agency_id, agency_kind, role)


ADMIN = actor("admin")
AUDITOR = actor("auditor")
SUBMITTER = actor("submitter", SCHOOL, "school")
CASE_WORKER = actor("case_worker", OPS, "ops")
FAMILY_ASSISTANT = actor("family_assistant", OPS, "ops")
COORDINATOR = actor("coordinator", TEAM, "team")
FIELD = [SUBMITTER, CASE_WORKER, FAMILY_ASSISTANT, COORDINATOR]
EVERYONE = [ADMIN, AUDITOR, *FIELD]


def test_every_action_has_an_answer_for_every_role():
    for action in Action:
        for who in EVERYONE:
            assert may(who, action) in (True, False)


def test_admin_manages_the_directory():
    assert may(ADMIN, Action.MANAGE_DIRECTORY)
    assert may(ADMIN, Action.READ_DIRECTORY)


@pytest.mark.parametrize(
    "action",
    [
        Action.REGISTER_CHILD,
        Action.FIND_CHILD,
        Action.READ_CHILD,
        Action.SUBMIT_SIGNAL,
        Action.READ_SIGNALS,
        Action.READ_HISTORY,
        Action.MERGE_CHILDREN,
    ],
)
def test_admin_never_touches_child_data(action):
    assert not may(ADMIN, action)


@pytest.mark.parametrize("who", [AUDITOR, *FIELD], ids=lambda a: a.role)
def test_only_admin_manages_the_directory(who):
    assert not may(who, Action.MANAGE_DIRECTORY)
    assert may(who, Action.READ_DIRECTORY)


@pytest.mark.parametrize("action", [Action.FIND_CHILD, Action.READ_CHILD, Action.READ_SIGNALS, Action.READ_HISTORY])
def test_auditor_reads_child_data(action):
    assert may(AUDITOR, action)


@pytest.mark.parametrize("action", [Action.SUBMIT_SIGNAL, Action.REGISTER_CHILD, Action.MERGE_CHILDREN])
def test_auditor_changes_nothing(action):
    assert not may(AUDITOR, action)


@pytest.mark.parametrize("who", FIELD, ids=lambda a: a.role)
@pytest.mark.parametrize(
    "action",
    [
        Action.REGISTER_CHILD,
        Action.FIND_CHILD,
        Action.READ_CHILD,
        Action.SUBMIT_SIGNAL,
        Action.READ_SIGNALS,
        Action.READ_HISTORY,
    ],
)
def test_field_roles_register_find_and_submit(who, action):
    assert may(who, action)


def test_only_the_coordinator_merges():
    assert [a.role for a in EVERYONE if may(a, Action.MERGE_CHILDREN)] == ["coordinator"]


def test_require_names_the_role_and_the_action():
    with pytest.raises(Forbidden, match="role 'admin' may not read child"):
        require(ADMIN, Action.READ_CHILD)


def test_require_lets_an_allowed_action_pass():
    require(COORDINATOR, Action.MERGE_CHILDREN)


def test_another_municipality_is_not_found():
    with pytest.raises(NotFound):
        require_same_municipality(CASE_WORKER, uuid4())


def test_the_own_municipality_passes():
    require_same_municipality(CASE_WORKER, MUNICIPALITY)


def test_a_submitter_off_the_group_sees_its_own_agency_entries_only():
    access = child_access(SUBMITTER, group_member=False)
    assert access.grounds is Grounds.OWN_AGENCY
    assert access.sees_entry(SCHOOL)
    assert not access.sees_entry(POLICE)
    assert access.sees_entry(None)  # registration and merges belong to the record itself
    with pytest.raises(Forbidden, match="working group"):
        access.require_full("risk score")


def test_a_colleague_of_the_same_agency_sees_its_entries():
    colleague = actor("submitter", SCHOOL, "school")
    assert child_access(colleague, group_member=False).sees_entry(SCHOOL)


@pytest.mark.parametrize("who", [SUBMITTER, CASE_WORKER, FAMILY_ASSISTANT], ids=lambda a: a.role)
def test_a_group_member_sees_every_agency_entries(who):
    access = child_access(who, group_member=True)
    assert access.grounds is Grounds.GROUP_MEMBERSHIP
    assert access.full and access.sees_entry(POLICE) and access.sees_entry(SCHOOL)


def test_a_case_worker_off_the_group_sees_only_their_agency():
    access = child_access(CASE_WORKER, group_member=False)
    assert not access.full and not access.sees_entry(POLICE) and access.sees_entry(OPS)


@pytest.mark.parametrize(
    ("who", "grounds"), [(AUDITOR, Grounds.AUDIT), (COORDINATOR, Grounds.COORDINATOR)], ids=["auditor", "coordinator"]
)
def test_the_auditor_and_the_coordinator_see_everything_without_membership(who, grounds):
    access = child_access(who, group_member=False)
    assert access.grounds is grounds
    assert access.sees_entry(POLICE) and access.sees_details(POLICE, "health_referral")


def test_admin_reads_no_child_data_even_on_a_group():
    with pytest.raises(Forbidden, match="administrator"):
        child_access(ADMIN, group_member=True)


def test_health_details_are_withheld_from_a_school_member_but_not_from_the_ops_member():
    school = child_access(SUBMITTER, group_member=True)
    ops = child_access(CASE_WORKER, group_member=True)
    assert school.sees_entry(HEALTH)
    assert not school.sees_details(HEALTH, "health_referral")
    assert ops.sees_details(HEALTH, "health_referral")
    assert school.sees_details(POLICE, "injury_observed")  # safety is shared with the whole group


def test_the_submitting_agency_always_reads_its_own_text():
    health_user = actor("submitter", HEALTH, "health")
    assert child_access(health_user, group_member=False).sees_details(HEALTH, "health_referral")


def test_the_category_policy_names_every_category_and_refuses_unknown_ones():
    policy = load_category_policy()
    assert set(policy.readers) == set(CATEGORIES)
    with pytest.raises(InvalidInput, match=r"details\.health: every data category"):
        parse_category_policy({"details": {c: "*" for c in CATEGORIES if c != "health"}})
    with pytest.raises(InvalidInput, match="unknown agency kinds: wizard"):
        parse_category_policy({"details": {**{c: "*" for c in CATEGORIES}, "health": ["wizard"]}})
    with pytest.raises(InvalidInput, match="unknown data categories: gossip"):
        parse_category_policy({"details": {**{c: "*" for c in CATEGORIES}, "gossip": "*"}})
