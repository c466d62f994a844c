"""Finding 3: the read-audit listing leaks, and anyone can make itself a case owner.

A case owner outside the child's group (the school that registered the child) listed the
reads of its child and got each line's view (``blue_cards``, ``help_plan``, ``timeline``...)
and the ``withheld_categories`` (``health``): it learnt what other agencies hold about the
child. And any initiating service became a case owner by filing a form A naming the child.

Now the owner's listing shows who looked (the reader's name, agency, role, time and
grounds) and nothing else; the auditor keeps the whole line, with the names. Standing is
narrow: the coordinator, the agency that registered the child (and the child's school it
named), and the members of the child's working group; not a filer of form A merely by filing.
"""

from __future__ import annotations

import json

import pytest

from tests.functional.api.test_blue_cards import fill_form_a, open_group
from tests.functional.api.test_timeline import post_child, post_signal

#: What an owner may see of a line: who, from where, when and on what grounds.
OWNER_FIELDS = {"id", "at", "child_id", "user_id", "reader_name", "agency_id", "agency_name", "role", "grounds"}
#: Words that name what the record holds; none may reach an owner.
HOLDINGS = ("timeline", "blue_card", "help_plan", "withheld", "health", "addiction", "view", "detail")


@pytest.fixture
def pupil(client, world):
    """A pupil the school registered, with a health signal, on a group of the police and OPS (not the school)."""
    u = world.users
    child = post_child(client, u["school"], "Marta", "Kowalczyk", "2013-06-01")
    post_signal(client, u["health"], child, "health_referral", "2026-03-01T10:00:00", details="Leczenie matki.")
    assert open_group(client, world, child_ids=[child], labels=("case_worker", "police")).status_code == 201
    # The police officer reads the whole timeline on the group's grounds; health's text is withheld from it.
    answer = client.get(f"/api/v1/children/{child}/timeline", headers=u["police"].headers)
    assert answer.status_code == 200
    return child


def listing(client, who, child):
    return client.get("/api/v1/audit/reads", headers=who.headers, query_string={"child_id": child})


def test_the_registering_school_sees_who_looked_and_nothing_the_record_holds(client, world, pupil):
    answer = listing(client, world.users["school"], pupil)
    assert answer.status_code == 200, answer.json
    reads = answer.json["reads"]
    [police_read] = [r for r in reads if r["user_id"] == str(world.users["police"].id)]
    assert set(police_read) <= OWNER_FIELDS, sorted(set(police_read) - OWNER_FIELDS)
    assert police_read["reader_name"] == "police" and police_read["agency_name"] == "police 1"
    assert police_read["role"] == "submitter" and police_read["grounds"] == "group_membership"
    assert police_read["at"]
    body = json.dumps(answer.json)
    leaked = [word for word in HOLDINGS if word in body]
    assert not leaked, f"the owner's listing names what the record holds: {leaked}"


def test_the_auditor_keeps_the_whole_line_with_the_names(client, world, pupil):
    answer = listing(client, world.users["auditor"], pupil)
    assert answer.status_code == 200, answer.json
    [line] = [r for r in answer.json["reads"] if r["user_id"] == str(world.users["police"].id)]
    assert line["view"] == "timeline" and line["withheld_categories"] == ["health"]
    assert line["reader_name"] == "police" and line["agency_name"] == "police 1"


def test_a_filer_of_form_a_does_not_become_an_owner_by_filing(client, world, pupil):
    # The day centre is no initiating service; the police files, but the police sits on the group.
    # So: a fresh child the school registered, and the police files a form A naming it.
    u = world.users
    other = post_child(client, u["school"], "Igor", "Nowicki", "2012-02-02")
    assert fill_form_a(client, u["police"], [other]).status_code == 201
    answer = listing(client, u["police"], other)
    assert answer.status_code == 403, answer.json


def test_standing_is_the_coordinator_the_registering_agency_and_the_group(client, world, pupil):
    u = world.users
    for label in ("coordinator", "school", "case_worker", "police"):  # case worker and police sit on the group
        answer = listing(client, u[label], pupil)
        assert answer.status_code == 200, (label, answer.json)
        assert all(set(r) <= OWNER_FIELDS for r in answer.json["reads"]), label
    for label in ("health", "family_assistant", "day_centre"):  # a signal or a role gives no standing
        assert listing(client, u[label], pupil).status_code == 403, label
    assert listing(client, u["admin"], pupil).status_code == 403
