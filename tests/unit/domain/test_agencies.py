"""The User aggregate's rules: roles fit agencies, a grant needs a second person, codes are used once."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.agencies import User, approver_role_for, role_fit_problem
from domain.errors import Conflict, Forbidden, InvalidInput

MUNICIPALITY = uuid4()


def reader(role: str = "case_worker", kind: str | None = "ops") -> User:
    return User.register(MUNICIPALITY, uuid4() if kind else None, kind, role, "Anna Nowak", "")


def test_roles_fit_agency_kinds_and_the_refusal_names_the_field():
    assert role_fit_problem("coordinator", uuid4(), "team") is None
    assert list(role_fit_problem("coordinator", uuid4(), "police").errors) == ["role"]
    assert list(role_fit_problem("auditor", uuid4(), "ops").errors) == ["agency_id"]
    assert list(role_fit_problem("submitter", None, None).errors) == ["agency_id"]
    with pytest.raises(InvalidInput):
        reader("case_worker", "school")


def test_an_old_stream_without_a_request_acts_and_a_request_waits_for_a_second_person():
    user, admin, coordinator = reader(), uuid4(), uuid4()
    assert user.may_act and not user.pending
    user.request_access(admin, "new user", "setup-hash")
    assert user.pending and not user.may_act
    with pytest.raises(Forbidden, match="requested"):
        user.approve_access(admin, "coordinator", "approval-hash")
    with pytest.raises(Forbidden, match="own access"):
        user.approve_access(user.id, "coordinator", "approval-hash")
    with pytest.raises(Forbidden, match="coordinator"):
        user.approve_access(uuid4(), "auditor", "approval-hash")
    user.approve_access(coordinator, "coordinator", "approval-hash")
    assert user.may_act and user.grant["approved_by"] == coordinator
    with pytest.raises(Conflict):
        user.approve_access(uuid4(), "coordinator", "approval-hash")


def test_an_auditor_is_approved_by_an_auditor():
    assert approver_role_for("auditor") == "auditor" and approver_role_for("submitter") == "coordinator"
    user = reader("auditor", None)
    user.request_access(uuid4(), "new user", "s")
    with pytest.raises(Forbidden, match="auditor"):
        user.approve_access(uuid4(), "coordinator", "a")
    user.approve_access(uuid4(), "auditor", "a")
    assert user.may_act


def test_both_halves_are_needed_once():
    user = reader()
    user.request_access(uuid4(), "new user", "s")
    assert not user.claimable("s", "a")  # not approved yet
    user.approve_access(uuid4(), "coordinator", "a")
    with pytest.raises(InvalidInput):
        user.claim_setup("s", "wrong", "t")
    user.claim_setup("s", "a", "t")
    assert user.token_hash == "t" and user.token_issued_by == user.id
    with pytest.raises(InvalidInput):
        user.claim_setup("s", "a", "t2")


def test_a_reset_ends_the_token_and_the_password_and_waits_again():
    user = reader()
    user.issue_token("old", issued_by=None)
    user.set_password("$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA")
    user.reset_credentials(uuid4(), "lost", "s2")
    assert user.token_hash == "" and not hasattr(user, "password_hash") and user.pending


def test_an_administrator_needs_no_approval_and_is_not_reset():
    admin = User.register(MUNICIPALITY, None, None, "admin", "Admin", "h")
    with pytest.raises(Conflict):
        admin.request_access(uuid4(), "x", "s")
    with pytest.raises(Conflict):
        admin.reset_credentials(uuid4(), "x", "s")


def test_deactivation_records_who_and_why_and_stops_everything():
    user, by = reader(), uuid4()
    with pytest.raises(InvalidInput):
        user.deactivate("   ", by)
    user.deactivate("left", by)
    assert not user.may_act and user.deactivation == {"reason": "left", "by": by}
    with pytest.raises(Conflict):
        user.issue_token("t", issued_by=by)


def test_a_v1_deactivation_is_upcast_with_nobody_as_its_author():
    state = {"reason": "left"}
    User.Deactivated.upcast_v1_v2(state)
    assert state == {"reason": "left", "deactivated_by": None}
    state = {"token_hash": "h"}
    User.TokenIssued.upcast_v1_v2(state)
    assert state == {"token_hash": "h", "issued_by": None}
