"""Crypto-shredding end to end: after erasure no name or text can be read anywhere,
the skeleton stays for statistics, projections rebuild to the same result and the
hash chain still verifies."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from services.adapters.integrity import export_lines, verify
from services.adapters.keys import KeyErased

NAME, TEXT = "Bożydar", "mówi, że ojciec bije mamę"


@pytest.fixture
def story(client, world, clock):
    school, police = world.users["school"], world.users["police"]
    child = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": NAME, "family_name": "Szczęsny", "date_of_birth": "2015-06-01"},
    ).json["id"]
    first = client.post(
        f"/api/v1/children/{child}/signals",
        headers=school.headers,
        json={"kind": "disclosure_by_child", "observed_at": (clock() - timedelta(days=2)).isoformat(), "details": TEXT},
    ).json["id"]
    client.post(
        f"/api/v1/children/{child}/signals",
        headers=police.headers,
        json={
            "kind": "domestic_intervention",
            "observed_at": (clock() - timedelta(days=1)).isoformat(),
            "details": "interwencja",
        },
    )
    client.post(
        f"/api/v1/children/{child}/signals/{first}/corrections",
        headers=school.headers,
        json={"details": TEXT + " (uzupełnione)", "reason": "dopisek pedagoga"},
    )
    return child


def ask(client, who, child):
    return client.post(
        f"/api/v1/children/{child}/erasure",
        headers=who.headers,
        json={"ground": "authorised_request", "reference": "ZI.4420.17.2026"},
    )


def erase(client, world, child, asker="coordinator", approver="auditor"):
    """The coordinator asks, a second person (the auditor) approves: then the record is erased."""
    asked = ask(client, world.users[asker], child)
    if asked.status_code != 202:
        return asked
    return client.post(f"/api/v1/children/{child}/erasure/approval", headers=world.users[approver].headers, json={})


def test_after_erasure_no_personal_data_is_readable_and_the_skeleton_stays(client, world, story, services):
    coordinator = world.users["coordinator"]
    services.followers.catch_up()
    answer = erase(client, world, story)
    assert answer.status_code == 200, answer.json
    assert answer.json["keys_destroyed"] == 1

    record = client.get(f"/api/v1/children/{story}", headers=coordinator.headers).json
    assert record["erased"] is True and record["given_name"] is None and record["date_of_birth"] is None
    events = client.get(f"/api/v1/children/{story}/events", headers=coordinator.headers).json
    assert NAME not in str(events) and TEXT not in str(events)
    assert [e["type"] for e in events][-2:] == ["ErasureRequested", "Erased"]
    timeline = client.get(f"/api/v1/children/{story}/timeline", headers=coordinator.headers).json
    assert NAME not in str(timeline) and TEXT not in str(timeline)
    kinds = [e["kind"] for e in timeline["entries"] if e["type"] == "signal"]
    assert kinds == ["disclosure_by_child", "domestic_intervention"]

    services.followers.catch_up()  # a read catches up only the views it reads; compare every view at the head
    for name in services.followers.names():
        live = services.followers[name].view.dump()
        services.followers[name].rebuild()
        assert services.followers[name].view.dump() == live, name
    assert verify(services.store.recorder)["intact"] is True
    assert all(TEXT not in line for line in export_lines(services.store.recorder))


def test_the_destroyed_key_is_really_gone_and_nothing_more_can_be_recorded(client, world, story, services):
    assert ask(client, world.users["admin"], story).status_code == 403  # the administrator never erases
    erase(client, world, story)
    from uuid import UUID

    assert services.store.keys.is_destroyed(UUID(story))
    with sqlite3.connect(services.settings.data_dir / "keys.sqlite") as conn:
        (wrapped,) = conn.execute("SELECT wrapped FROM safehub_subject_keys WHERE subject = ?", (story,)).fetchone()
    assert wrapped is None
    with pytest.raises(KeyErased):
        services.store.keys.seal(UUID(story), b"x")
    late = client.post(
        f"/api/v1/children/{story}/signals",
        headers=world.users["school"].headers,
        json={"kind": "behaviour_change", "observed_at": "2026-03-01T10:00:00+01:00"},
    )
    assert late.status_code == 409
    again = ask(client, world.users["coordinator"], story)  # a retry finishes a half-done erasure
    assert again.status_code == 200 and again.json["keys_destroyed"] == 0


def test_a_fresh_process_cannot_read_it_either(client, world, story, services, settings):
    from uuid import UUID

    from services.bootstrap import build

    erase(client, world, story)
    other = build(settings)
    try:
        child = other.store.repository.get(UUID(story))
        assert child.given_name is None and child.erased
        texts = [getattr(e, "details", None) for e in other.store.events.get(UUID(story))]
        assert TEXT not in texts
    finally:
        other.close()


@pytest.mark.parametrize("who", ["school", "police", "case_worker", "auditor", "admin"])
def test_only_the_coordinator_may_ask_for_an_erasure(client, world, story, who):
    assert ask(client, world.users[who], story).status_code == 403


def test_erasure_needs_a_ground_and_a_reference(client, world, story):
    answer = client.post(
        f"/api/v1/children/{story}/erasure", headers=world.users["coordinator"].headers, json={"ground": "because"}
    )
    assert answer.status_code == 422 and set(answer.json["errors"]) == {"ground", "reference"}


def test_another_municipality_cannot_erase(client, world, other_world, story):
    assert ask(client, other_world.users["coordinator"], story).status_code == 404
    assert ask(client, world.users["coordinator"], story).status_code == 202
    approval = client.post(
        f"/api/v1/children/{story}/erasure/approval", headers=other_world.users["auditor"].headers, json={}
    )
    assert approval.status_code == 404


def test_what_the_child_told_the_police_is_erased_with_the_child(client, world, services, clock):
    from tests.functional.api.test_notifications import INTERVENTION

    school, police = world.users["school"], world.users["police"]
    child = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Kajtek", "family_name": "Nowak", "date_of_birth": "2016-01-02"},
    ).json["id"]
    answer = client.post(
        f"/api/v1/children/{child}/signals",
        headers=police.headers,
        json={
            "kind": "domestic_intervention",
            "observed_at": (clock() - timedelta(hours=3)).isoformat(),
            "details": "interwencja nocna",
            "intervention": INTERVENTION,
        },
    )
    assert answer.status_code == 201, answer.json
    notices = client.get("/api/v1/notifications", headers=school.headers).json
    assert notices[0]["intervention"]["child_said"] == INTERVENTION["child_said"]

    assert erase(client, world, child).status_code == 200
    after = client.get(f"/api/v1/notifications/{notices[0]['id']}", headers=school.headers)
    assert after.status_code == 200, after.json
    assert after.json["intervention"] is None and after.json["details"] is None
    assert INTERVENTION["child_said"] not in after.get_data(as_text=True)
