"""The need-to-know table: who may do what, and who sees whose signals."""

from uuid import uuid4

import pytest

from domain.access import Action, Actor, may, require, require_same_municipality, sees_signal
from domain.errors import Forbidden, NotFound

MUNICIPALITY = uuid4()
SCHOOL = uuid4()
POLICE = uuid4()
OPS = uuid4()
TEAM = uuid4()


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


@pytest.mark.parametrize("action", [Action.REGISTER_CHILD, Action.FIND_CHILD, Action.READ_CHILD,
                                    Action.SUBMIT_SIGNAL, Action.READ_SIGNALS, Action.READ_HISTORY,
                                    Action.MERGE_CHILDREN])
def test_admin_never_touches_child_data(action):
    assert not may(ADMIN, action)


@pytest.mark.parametrize("who", [AUDITOR, *FIELD], ids=lambda a: a.role)
def test_only_admin_manages_the_directory(who):
    assert not may(who, Action.MANAGE_DIRECTORY)
    assert may(who, Action.READ_DIRECTORY)


@pytest.mark.parametrize("action", [Action.FIND_CHILD, Action.READ_CHILD, Action.READ_SIGNALS,
                                    Action.READ_HISTORY])
def test_auditor_reads_child_data(action):
    assert may(AUDITOR, action)


@pytest.mark.parametrize("action", [Action.SUBMIT_SIGNAL, Action.REGISTER_CHILD, Action.MERGE_CHILDREN])
def test_auditor_changes_nothing(action):
    assert not may(AUDITOR, action)


@pytest.mark.parametrize("who", FIELD, ids=lambda a: a.role)
@pytest.mark.parametrize("action", [Action.REGISTER_CHILD, Action.FIND_CHILD, Action.READ_CHILD,
                                    Action.SUBMIT_SIGNAL, Action.READ_SIGNALS, Action.READ_HISTORY])
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


def test_a_submitter_sees_its_own_agency_signals_only():
    assert sees_signal(SUBMITTER, SCHOOL)
    assert not sees_signal(SUBMITTER, POLICE)


def test_a_colleague_of_the_same_agency_sees_its_signals():
    colleague = actor("submitter", SCHOOL, "school")
    assert sees_signal(colleague, SCHOOL)


@pytest.mark.parametrize("who", [AUDITOR, CASE_WORKER, FAMILY_ASSISTANT, COORDINATOR], ids=lambda a: a.role)
def test_case_roles_and_the_auditor_see_every_agency_signals(who):
    assert sees_signal(who, SCHOOL)
    assert sees_signal(who, POLICE)


def test_admin_sees_no_signals():
    assert not sees_signal(ADMIN, SCHOOL)
