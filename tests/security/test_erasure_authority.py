"""Finding 8: erasure by anyone with the role.

The administrator erased a child registered six minutes earlier with the ground
``retention_expired``: irreversible, unverified, unapproved. Now the administrator never
erases; a coordinator asks, and a second, different person (another coordinator or the
auditor) approves before anything is destroyed. Only retention that is due by the policy
(domain/retention.py) lets one coordinator erase alone, and ``retention_expired`` is
refused, naming the day it will be due, when it is not.
"""

from __future__ import annotations

from tests.functional.api.contract.helpers import register_child

API = "/api/v1/children"


def _child(client, world) -> str:
    return register_child(client, world.users["school"], given_name="Ewa")["id"]


def _request(client, member, child, ground="authorised_request"):
    return client.post(f"{API}/{child}/erasure", headers=member.headers, json={"ground": ground, "reference": "ZI/7"})


def _approve(client, member, child):
    return client.post(f"{API}/{child}/erasure/approval", headers=member.headers, json={})


def _still_named(client, world, child) -> bool:
    record = client.get(f"{API}/{child}", headers=world.users["coordinator"].headers)
    return record.status_code == 200 and record.json["given_name"] == "Ewa"


def test_the_administrator_cannot_erase(client, world):
    child = _child(client, world)
    for ground in ("retention_expired", "authorised_request"):
        assert _request(client, world.users["admin"], child, ground).status_code == 403
    assert _approve(client, world.users["admin"], child).status_code == 403
    assert _still_named(client, world, child)


def test_one_coordinator_alone_only_asks_and_a_second_person_erases(client, world, services):
    child = _child(client, world)
    asked = _request(client, world.users["coordinator"], child)
    assert asked.status_code == 202, asked.json
    assert asked.json["state"] == "pending" and asked.json["requested_by"] == str(world.users["coordinator"].id)
    assert _still_named(client, world, child)
    again = _request(client, world.users["coordinator"], child)
    assert again.status_code == 409  # one pending request at a time

    approved = _approve(client, world.users["auditor"], child)
    assert approved.status_code == 200, approved.json
    assert approved.json["erased"] is True and approved.json["approved_by"] == str(world.users["auditor"].id)
    assert not _still_named(client, world, child)


def test_the_requester_cannot_approve_their_own_request(client, world):
    child = _child(client, world)
    assert _request(client, world.users["coordinator"], child).status_code == 202
    own = _approve(client, world.users["coordinator"], child)
    assert own.status_code == 403 and "second" in own.json["message"]
    assert _still_named(client, world, child)


def test_nothing_to_approve_without_a_request(client, world):
    child = _child(client, world)
    assert _approve(client, world.users["auditor"], child).status_code == 409
    assert _still_named(client, world, child)


def test_others_cannot_approve(client, world):
    child = _child(client, world)
    assert _request(client, world.users["coordinator"], child).status_code == 202
    for label in ("school", "case_worker", "family_assistant"):
        assert _approve(client, world.users[label], child).status_code == 403
    assert _still_named(client, world, child)


def test_retention_expired_is_refused_when_retention_is_not_due(client, world):
    child = _child(client, world)
    refused = _request(client, world.users["coordinator"], child, "retention_expired")
    assert refused.status_code == 409, refused.json
    assert refused.json["details"]["field"] == "ground" and refused.json["details"]["due_on"] >= "2033-04-03"
    assert _still_named(client, world, child)


def test_retention_expired_when_due_lets_one_coordinator_erase(client, world, clock):
    child = _child(client, world)  # born 2015-04-03; the record's last entry is today
    clock.now = clock.now.replace(year=2045)
    done = _request(client, world.users["coordinator"], child, "retention_expired")
    assert done.status_code == 200, done.json
    assert done.json["erased"] is True and done.json["state"] == "erased"
    assert not _still_named(client, world, child)
