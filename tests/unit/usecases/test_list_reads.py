"""A list's read-audit lines: one per child shown, each under the grounds the reader has for that child."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.usecases.list_reads import log_children


def test_each_child_is_logged_once_under_its_own_grounds(gate, world):
    worker = world.actor("case_worker")
    on_group, own_work = str(uuid4()), str(uuid4())
    gate.add_member(worker.user_id, on_group)
    log_children(gate, worker, [on_group, own_work, on_group], "deadlines")
    assert [(r.grounds, r.child_ids, r.view) for r in gate.reads] == [
        ("group_membership", (on_group,), "deadlines"),
        ("own_agency", (own_work,), "deadlines"),
    ]


def test_the_chair_reads_every_child_on_one_footing(gate, world):
    children = [str(uuid4()), str(uuid4())]
    log_children(gate, world.actor("coordinator"), children, "team_agenda")
    assert [(r.grounds, r.child_ids) for r in gate.reads] == [("coordinator", tuple(children))]


def test_a_list_without_children_writes_nothing_and_needs_no_gate(gate, world):
    log_children(gate, world.actor("auditor"), [], "help_plans")
    log_children(None, world.actor("auditor"), [], "help_plans")
    assert gate.reads == []
    with pytest.raises(RuntimeError):
        log_children(None, world.actor("auditor"), [str(uuid4())], "help_plans")
