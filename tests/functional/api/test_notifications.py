"""Police notices (Operation Encompass): the school and OPS hear of a domestic intervention before school."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.functional.api.test_timeline import post_child

WARSAW = ZoneInfo("Europe/Warsaw")
INTERVENTION = {
    "police_reference": "RSD-123/26",
    "place": "ul. Polna 3/4, Przykładowo",
    "child_present": True,
    "child_said": "Tata krzyczał na mamę, schowałem się w pokoju.",
    "circumstances": "awantura domowa, ojciec pod wpływem alkoholu",
}


def at(*args):
    return datetime(*args, tzinfo=WARSAW)


def intervene(client, world, child, observed_at, **extra):
    response = client.post(
        f"/api/v1/children/{child}/signals",
        headers=world.users["police"].headers,
        json={
            "kind": "domestic_intervention",
            "observed_at": observed_at.isoformat(),
            "details": "interwencja nocna",
            "intervention": INTERVENTION,
            **extra,
        },
    )
    assert response.status_code == 201, response.json
    return response.json


def received(client, who, **query):
    response = client.get("/api/v1/notifications", headers=who.headers, query_string=query)
    assert response.status_code == 200, response.json
    return [n for n in response.json if n["direction"] in ("received", "escalated")]


@pytest.fixture
def child(client, world):
    return post_child(client, world.users["school"])  # registered by the school: it is the child's school


@pytest.mark.parametrize(
    ("recorded", "due"),
    [
        (at(2026, 3, 6, 23, 30), at(2026, 3, 9, 8, 0)),  # Friday night -> Monday before school
        (at(2026, 4, 30, 23, 30), at(2026, 5, 4, 8, 0)),  # Thursday night; Friday 1 May a holiday; 3 May Sunday
        (at(2026, 3, 10, 21, 0), at(2026, 3, 11, 8, 0)),  # a normal Tuesday evening -> Wednesday
    ],
)
def test_the_school_and_ops_are_notified_due_before_the_next_school_day(client, world, child, clock, recorded, due):
    clock.now = recorded
    signal = intervene(client, world, child, recorded.replace(minute=0))
    assert {n["recipient_kind"] for n in signal["notified"]} == {"school", "ops"}
    assert {datetime.fromisoformat(n["due_at"]) for n in signal["notified"]} == {due}
    for who, kind in (("school", "school"), ("case_worker", "ops")):
        [notice] = received(client, world.users[who])
        assert notice["recipient"]["kind"] == kind and notice["status"] == "pending"
        assert datetime.fromisoformat(notice["due_at"]) == due and notice["recorded_late"] is False
        assert notice["intervention"] == INTERVENTION
        assert notice["child"]["given_name"] == "Kacper" and notice["signal_id"] == signal["id"]


def test_the_school_reads_and_acknowledges_and_both_are_events(client, world, child, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    school = world.users["school"]
    [notice] = received(client, school, status="pending")
    clock.now = at(2026, 3, 9, 7, 15)
    read = client.get(f"/api/v1/notifications/{notice['id']}", headers=school.headers).json
    assert read["status"] == "delivered" and read["delivered_at"]
    assert received(client, school, status="pending") == []
    acknowledged = client.post(
        f"/api/v1/notifications/{notice['id']}/acknowledgement",
        headers=school.headers,
        json={"note": "wychowawca poinformowany"},
    )
    assert acknowledged.status_code == 201 and acknowledged.json["status"] == "acknowledged"
    assert acknowledged.json["note"] == "wychowawca poinformowany"
    again = client.post(f"/api/v1/notifications/{notice['id']}/acknowledgement", headers=school.headers, json={})
    assert again.status_code == 409
    [sent] = [
        n
        for n in client.get("/api/v1/notifications", headers=world.users["police"].headers).json
        if n["recipient"]["kind"] == "school"
    ]
    assert sent["direction"] == "sent" and sent["status"] == "acknowledged"


def test_an_unacknowledged_notice_escalates_once_to_the_coordinator(
    client, services, world, child, clock, recorded_by_clock
):
    clock.now = at(2026, 3, 6, 23, 30)
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    [ops_notice] = received(client, world.users["case_worker"])
    client.post(
        f"/api/v1/notifications/{ops_notice['id']}/acknowledgement", headers=world.users["case_worker"].headers, json={}
    )
    clock.now = at(2026, 3, 9, 7, 59)
    assert services.notifications.escalate_overdue() == []
    clock.now = at(2026, 3, 9, 8, 1)
    [escalated] = services.notifications.escalate_overdue()
    assert services.notifications.escalate_overdue() == []  # once
    clock.now = at(2026, 3, 9, 8, 30)
    assert services.notifications.escalate_overdue() == []
    coordinator = world.users["coordinator"]
    [notice] = client.get("/api/v1/notifications", headers=coordinator.headers).json
    assert notice["id"] == escalated and notice["status"] == "escalated" and notice["direction"] == "escalated"
    assert notice["recipient"]["kind"] == "school" and notice["overdue"] is True
    assert datetime.fromisoformat(notice["escalated_at"]).astimezone(WARSAW).strftime("%H:%M") == "08:01"
    events = services.store.events.get(notice_uuid(escalated))
    assert [type(e).__name__ for e in events] == ["Issued", "Escalated"]
    late_ack = client.post(
        f"/api/v1/notifications/{escalated}/acknowledgement", headers=world.users["school"].headers, json={}
    )
    assert late_ack.json["status"] == "acknowledged" and late_ack.json["escalated_at"]


def notice_uuid(text):
    from uuid import UUID

    return UUID(text)


def test_a_late_police_record_is_due_from_the_recording_and_says_so(client, world, child, clock):
    clock.now = at(2026, 3, 9, 10, 0)  # Monday morning, school has begun
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    [notice] = received(client, world.users["school"])
    assert datetime.fromisoformat(notice["due_at"]) == at(2026, 3, 10, 8, 0)
    assert datetime.fromisoformat(notice["due_by_observation"]) == at(2026, 3, 9, 8, 0)
    assert notice["recorded_late"] is True


def test_only_the_agencies_concerned_see_a_notice(client, world, other_world, child, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    [notice] = received(client, world.users["school"])
    path = f"/api/v1/notifications/{notice['id']}"
    assert client.get("/api/v1/notifications", headers=world.users["admin"].headers).status_code == 403
    assert client.get(path, headers=world.users["admin"].headers).status_code == 403
    assert client.get(path, headers=world.users["health"].headers).status_code == 404
    assert client.get(path, headers=world.users["coordinator"].headers).status_code == 404  # not escalated
    assert client.get(path, headers=other_world.users["school"].headers).status_code == 404
    assert received(client, world.users["health"]) == []
    assert client.post(f"{path}/acknowledgement", headers=world.users["police"].headers, json={}).status_code == 403
    assert client.get(path, headers=world.users["police"].headers).json["status"] == "pending"  # not a delivery


def test_intervention_details_are_validated_and_only_for_interventions(client, world, child):
    response = client.post(
        f"/api/v1/children/{child}/signals",
        headers=world.users["police"].headers,
        json={
            "kind": "domestic_intervention",
            "observed_at": "2026-03-02T23:00:00",
            "intervention": {"place": "x", "child_present": "maybe"},
        },
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"intervention.police_reference", "intervention.child_present"}
    response = client.post(
        f"/api/v1/children/{child}/signals",
        headers=world.users["police"].headers,
        json={"kind": "home_visit", "observed_at": "2026-03-02T23:00:00", "intervention": INTERVENTION},
    )
    assert response.status_code == 422 and set(response.json["errors"]) == {"intervention"}


def test_an_intervention_without_details_still_notifies(client, world, child):
    response = client.post(
        f"/api/v1/children/{child}/signals",
        headers=world.users["police"].headers,
        json={"kind": "domestic_intervention", "observed_at": "2026-03-02T23:00:00"},
    )
    assert response.status_code == 201 and len(response.json["notified"]) == 2


def test_beat_the_worker_task_and_the_cli_all_run_the_same_escalation(
    client, services, world, child, clock, monkeypatch, settings
):
    from click.testing import CliRunner

    import workers.tasks
    from services.cli import main
    from services.usecases.notifications import ESCALATE_TASK
    from workers.celery_app import create_celery

    schedule = create_celery(settings).conf.beat_schedule
    assert schedule["escalate-notifications"]["task"] == ESCALATE_TASK
    assert schedule["escalate-notifications"]["schedule"] == settings.escalate_seconds

    clock.now = at(2026, 3, 6, 23, 30)
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    clock.now = at(2026, 3, 9, 9, 0)
    monkeypatch.setattr(workers.tasks, "_runtime", lambda: (services, None))
    assert len(workers.tasks.escalate_notifications.run()) == 2
    assert workers.tasks.escalate_notifications.run() == []

    result = CliRunner().invoke(
        main, ["notifications", "escalate", "--json"], env={"SAFEHUB_DATA_DIR": str(settings.data_dir)}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[-1]) == {"escalated": []}  # each notice escalates only once


def test_a_child_without_a_school_notifies_ops_and_delivery_can_be_recorded_explicitly(client, world, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    response = client.post(
        "/api/v1/children",
        headers=world.users["case_worker"].headers,
        json={"given_name": "Ola", "family_name": "Nowak", "date_of_birth": "2020-05-05"},
    )
    signal = intervene(client, world, response.json["id"], at(2026, 3, 6, 23, 0))
    assert [n["recipient_kind"] for n in signal["notified"]] == ["ops"]
    assert received(client, world.users["school"]) == []
    ops = world.users["case_worker"]
    [notice] = received(client, ops)
    delivered = client.post(f"/api/v1/notifications/{notice['id']}/delivery", headers=ops.headers)
    assert delivered.status_code == 201 and delivered.json["status"] == "delivered"
    first = delivered.json["delivered_at"]
    again = client.post(f"/api/v1/notifications/{notice['id']}/delivery", headers=ops.headers)
    assert again.json["delivered_at"] == first  # recorded once


def test_a_retry_with_the_same_key_answers_the_same_and_notifies_no_one_twice(client, world, child, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    headers = {**world.users["police"].headers, "Idempotency-Key": "RSD-123/26"}
    body = {"kind": "domestic_intervention", "observed_at": "2026-03-06T23:00:00", "intervention": INTERVENTION}
    first = client.post(f"/api/v1/children/{child}/signals", headers=headers, json=body)
    again = client.post(f"/api/v1/children/{child}/signals", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and len(first.json["notified"]) == 2
    assert len(received(client, world.users["school"])) == 1
    changed = client.post(
        f"/api/v1/children/{child}/signals",
        headers=headers,
        json={**body, "intervention": {**INTERVENTION, "child_present": False}},
    )
    assert changed.status_code == 409  # the same key for different police details


def test_a_notice_whose_signal_the_police_retracted_is_not_escalated(client, services, world, child, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    signal = intervene(client, world, child, at(2026, 3, 6, 23, 0))
    retracted = client.post(
        f"/api/v1/children/{child}/signals/{signal['id']}/retraction",
        headers=world.users["police"].headers,
        json={"reason": "pomyłka co do osoby"},
    )
    assert retracted.status_code == 201
    clock.now = at(2026, 3, 9, 9, 0)
    assert services.notifications.escalate_overdue() == []
    [notice] = received(client, world.users["school"])
    assert notice["signal_retracted"] is True and notice["status"] == "pending"


def test_every_answer_that_shows_a_notice_logs_the_read_of_its_child(client, world, child, clock):
    clock.now = at(2026, 3, 6, 23, 30)
    intervene(client, world, child, at(2026, 3, 6, 23, 0))
    school = world.users["school"]

    def logged() -> int:
        response = client.get(f"/api/v1/audit/reads?child_id={child}", headers=world.users["auditor"].headers)
        return sum(r["view"] == "notification" and r["user_id"] == str(school.id) for r in response.json["reads"])

    [notice] = received(client, school)  # the listing
    assert logged() == 1
    client.post(f"/api/v1/notifications/{notice['id']}/delivery", headers=school.headers)
    client.get(f"/api/v1/notifications/{notice['id']}", headers=school.headers)
    client.post(f"/api/v1/notifications/{notice['id']}/acknowledgement", headers=school.headers, json={})
    assert logged() == 4
