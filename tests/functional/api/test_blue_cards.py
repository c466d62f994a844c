"""The Blue Card procedure through the API: every step, and every step refused out of order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.api.test_timeline import post_child


def fill_form_a(client, who, child_ids, **extra):
    body = {
        "incident_date": "2026-03-01",
        "place": "ul. Lipowa 3/4, Przykładowo",
        "description": "Interwencja domowa: krzyki, dziecko wystraszone.",
        "child_victim_ids": child_ids,
        "adult_victims": ["Anna Wiśniewska"],
        "perpetrators": ["Jan Wiśniewski"],
        **extra,
    }
    return client.post("/api/v1/blue-cards", headers=who.headers, json=body)


def members(world, *labels):
    return [{"user_id": str(world.users[label].id), "function": label} for label in labels]


def open_group(client, world, card_id=None, child_ids=(), labels=("case_worker", "police", "school")):
    body = {"name": "Grupa Wiśniewscy", "members": members(world, *labels), "child_ids": list(child_ids)}
    if card_id:
        body["blue_card_id"] = card_id
    return client.post("/api/v1/working-groups", headers=world.users["coordinator"].headers, json=body)


def step(client, who, card_id, rule, **body):
    return client.post(f"/api/v1/blue-cards/{card_id}/{rule}", headers=who.headers, json=body)


def refused(response, status, *words):
    assert response.status_code == status, response.json
    text = (response.json.get("message", "") + " " + str(response.json.get("errors", ""))).lower()
    for word in words:
        assert word.lower() in text, text


@pytest.fixture
def child(client, world):
    return post_child(client, world.users["school"])


def test_the_whole_procedure_with_every_refused_step(client, world, other_world, child):
    u = world.users
    coordinator, police, school, case_worker = u["coordinator"], u["police"], u["school"], u["case_worker"]

    # Form A: only initiating services, every victim and perpetrator named, children of this gmina.
    refused(fill_form_a(client, u["day_centre"], [child]), 403, "initiating service")
    refused(fill_form_a(client, police, [child], perpetrators=[]), 422, "perpetrator")
    refused(fill_form_a(client, police, [], adult_victims=[]), 422, "victim")
    other_child = post_child(client, other_world.users["school"])
    refused(fill_form_a(client, police, [other_child]), 422, "child_victim_ids[0]")
    refused(fill_form_a(client, police, [child], filled_on="2030-01-01"), 422, "filled_on")
    refused(fill_form_a(client, police, [child], unexpected=1), 422, "unexpected")
    created = fill_form_a(client, police, [child])
    assert created.status_code == 201, created.json
    card = created.json
    card_id = card["id"]
    assert card["status"] == "filled" and card["child_victim_ids"] == [child]
    assert card["agency_kind"] == "police" and card["perpetrators"] == ["Jan Wiśniewski"]

    # Who may read it.
    assert client.get(f"/api/v1/blue-cards/{card_id}", headers=u["admin"].headers).status_code == 403
    refused(client.get(f"/api/v1/blue-cards/{card_id}", headers=school.headers), 404, "blue card not found")
    assert (
        client.get(f"/api/v1/blue-cards/{card_id}", headers=other_world.users["coordinator"].headers).status_code == 404
    )
    assert client.get(f"/api/v1/blue-cards/{card_id}", headers=coordinator.headers).status_code == 200
    assert [c["id"] for c in client.get("/api/v1/blue-cards", headers=police.headers).json] == [card_id]

    # Out of order before forwarding.
    refused(step(client, coordinator, card_id, "closure", reason="action_not_justified"), 409, "never forwarded")
    refused(
        step(client, coordinator, card_id, "form-d", perpetrator="Jan Wiśniewski", assessment="x"),
        409,
        "needs a diagnostic and support group",
    )
    refused(step(client, coordinator, card_id, "form-c", victim=child, assessment="x", help_plan="y"), 409, "group")
    refused(open_group(client, world, card_id), 409, "not been forwarded")
    refused(step(client, school, card_id, "forward"), 404, "blue card not found")  # no part in it yet

    # Form B to a named victim.
    refused(step(client, police, card_id, "form-b", victim="Ktoś Inny"), 422, "victim")
    assert step(client, police, card_id, "form-b", victim="Anna Wiśniewska").status_code == 201

    # Forwarded by the filling agency; not twice.
    forwarded = step(client, police, card_id, "forward", note="przekazano przewodniczącej")
    assert forwarded.status_code == 200 and forwarded.json["status"] == "forwarded"
    refused(step(client, coordinator, card_id, "forward"), 409, "already been forwarded")

    # The group: the chair opens it, with its legal core.
    refused(
        client.post(
            "/api/v1/working-groups",
            headers=case_worker.headers,
            json={"name": "G", "members": members(world, "case_worker", "police")},
        ),
        403,
        "may not",
    )
    refused(open_group(client, world, card_id, labels=("case_worker", "school")), 422, "police officer")
    refused(open_group(client, world, card_id, labels=("family_assistant", "police")), 422, "social worker")
    opened = open_group(client, world, card_id)
    assert opened.status_code == 201, opened.json
    group = opened.json
    assert group["blue_card_id"] == card_id and group["child_ids"] == [child]
    assert {m["agency_kind"] for m in group["members"]} == {"ops", "police", "school"}
    card = client.get(f"/api/v1/blue-cards/{card_id}", headers=coordinator.headers).json
    assert card["status"] == "group_assigned" and card["group_id"] == group["id"]
    refused(step(client, coordinator, card_id, "group", group_id=group["id"]), 409, "already assigned")
    # A group member now reads the card.
    assert client.get(f"/api/v1/blue-cards/{card_id}", headers=school.headers).status_code == 200

    # Forms C and D by the group's members.
    refused(step(client, u["health"], card_id, "form-c", victim=child, assessment="a", help_plan="p"), 404, "not found")
    refused(step(client, coordinator, card_id, "closure", reason="violence_ceased_plan_done"), 409, "form C")
    form_c = step(
        client,
        case_worker,
        card_id,
        "form-c",
        victim=child,
        assessment="Dziecko boi się ojca.",
        help_plan="Terapia, świetlica, wizyty co tydzień.",
    )
    assert form_c.status_code == 201, form_c.json
    refused(step(client, case_worker, card_id, "form-d", perpetrator="Nieznany", assessment="x"), 422, "perpetrator")
    assert (
        step(
            client,
            police,
            card_id,
            "form-d",
            perpetrator="Jan Wiśniewski",
            assessment="Pouczony o konsekwencjach.",
            actions="Program korekcyjny",
        ).status_code
        == 201
    )
    assert step(client, case_worker, card_id, "monitoring", note="wizyty co tydzień").json["status"] == "monitoring"
    refused(step(client, case_worker, card_id, "monitoring"), 409, "already")

    # Reviews come after closure; closure is the chair's, for a legal reason.
    refused(step(client, case_worker, card_id, "reviews", outcome="spokój"), 409, "follow closure")
    refused(step(client, coordinator, card_id, "closure", reason="bored"), 422, "reason")
    refused(step(client, case_worker, card_id, "closure", reason="violence_ceased_plan_done"), 403, "may not")
    closed = step(client, coordinator, card_id, "closure", reason="violence_ceased_plan_done", note="plan wykonany")
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    refused(step(client, case_worker, card_id, "form-c", victim=child, assessment="a", help_plan="b"), 409, "closed")
    refused(step(client, coordinator, card_id, "closure", reason="action_not_justified"), 409, "closed")
    review = step(client, case_worker, card_id, "reviews", outcome="Rodzina stabilna.", violence_recurred=False)
    assert review.status_code == 201 and review.json["reviews"] == 1

    steps = [s["step"] for s in client.get(f"/api/v1/blue-cards/{card_id}", headers=coordinator.headers).json["steps"]]
    assert steps == [
        "FormAFilled",
        "FormBHanded",
        "ForwardedToChair",
        "GroupAssigned",
        "FormCRecorded",
        "FormDRecorded",
        "MonitoringStarted",
        "Closed",
        "MonitoringReviewRecorded",
    ]

    # Post-closure reviews are deadlines: the first is met, the second still open.
    deadlines = client.get(
        "/api/v1/deadlines", headers=coordinator.headers, query_string={"blue_card_id": card_id}
    ).json
    reviews = [i for i in deadlines["items"] if i["kind"] == "monitoring_review"]
    assert [r["state"] for r in reviews] == ["met", "pending"]
    assert {i["kind"] for i in deadlines["items"]} >= {"form_a_to_chair", "chair_to_group", "first_group_meeting"}


def test_meetings_minutes_decisions_and_actions(client, world, child, clock):
    u = world.users
    coordinator, police, case_worker = u["coordinator"], u["police"], u["case_worker"]
    group = open_group(client, world, child_ids=[child]).json
    base = f"/api/v1/working-groups/{group['id']}"
    past = (clock() - timedelta(days=1)).isoformat()
    refused(client.post(f"{base}/meetings", headers=coordinator.headers, json={"scheduled_for": past}), 422, "past")
    refused(
        client.post(f"{base}/meetings", headers=u["health"].headers, json={"scheduled_for": "2026-03-05T10:00:00"}),
        404,
        "working group not found",
    )
    meeting = client.post(
        f"{base}/meetings",
        headers=case_worker.headers,
        json={"scheduled_for": "2026-03-05T10:00:00", "place": "GOPS, pokój 12"},
    )
    assert meeting.status_code == 201, meeting.json
    meeting_id = meeting.json["id"]
    assert meeting.json["scheduled_for"] == "2026-03-05T09:00:00+00:00"  # Warsaw local time read as such
    refused(
        client.post(f"{base}/meetings/{meeting_id}/decisions", headers=case_worker.headers, json={"text": "Wszcząć"}),
        409,
        "held",
    )
    held = client.post(
        f"{base}/meetings/{meeting_id}/minutes",
        headers=case_worker.headers,
        json={
            "held_on": "2026-03-03",
            "minutes": "Omówiono sytuację dziecka.",
            "attendees": [
                {"agency_id": str(world.agencies["ops"]), "user_id": str(case_worker.id)},
                {"agency_id": str(world.agencies["police"]), "name": "asp. Wójcik"},
            ],
        },
    )
    assert held.status_code == 200, held.json
    assert {a["agency_kind"] for a in held.json["attendees"]} == {"ops", "police"}
    refused(
        client.post(
            f"{base}/meetings/{meeting_id}/minutes",
            headers=case_worker.headers,
            json={"minutes": "x", "attendees": [{"agency_id": str(world.agencies["ops"])}]},
        ),
        409,
        "already",
    )
    decision = client.post(
        f"{base}/meetings/{meeting_id}/decisions",
        headers=police.headers,
        json={"text": "Dzielnicowy odwiedzi rodzinę."},
    )
    assert decision.status_code == 201
    assert decision.json["knowledge_position"] > 0
    refused(
        client.post(
            f"{base}/actions", headers=case_worker.headers, json={"description": "Wizyta", "due_on": "2026-03-10"}
        ),
        422,
        "owner",
    )
    action = client.post(
        f"{base}/actions",
        headers=case_worker.headers,
        json={
            "description": "Wizyta w domu",
            "due_on": "2026-03-10",
            "owner_agency_id": str(world.agencies["police"]),
            "meeting_id": meeting_id,
        },
    )
    assert action.status_code == 201 and action.json["done"] is False
    done = client.post(f"{base}/actions/{action.json['id']}/done", headers=police.headers, json={"note": "Byłem."})
    assert done.status_code == 200 and done.json["done"] is True
    refused(client.post(f"{base}/actions/{action.json['id']}/done", headers=police.headers, json={}), 409, "already")
    listed = client.get(f"{base}/meetings", headers=u["school"].headers).json
    assert listed[0]["decisions"][0]["text"] == "Dzielnicowy odwiedzi rodzinę."
    assert listed[0]["actions"][0]["done"] is True
    assert client.get(f"{base}/meetings", headers=u["health"].headers).status_code == 404  # not on it: not found
    assert client.get(f"{base}/meetings", headers=u["admin"].headers).status_code == 403


def test_deadlines_in_working_days_breaches_and_reminders(client, world, child, services, recorded_by_clock):
    clock = recorded_by_clock
    u = world.users
    coordinator = u["coordinator"]
    # Form A on the Friday before Easter 2026: five working days end on Monday 13 April.
    clock.now = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
    card_id = fill_form_a(client, u["police"], [child]).json["id"]
    clock.now = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    assert step(client, coordinator, card_id, "forward").status_code == 200
    items = {i["kind"]: i for i in client.get("/api/v1/deadlines", headers=coordinator.headers).json["items"]}
    form_a = items["form_a_to_chair"]
    assert (form_a["due_on"], form_a["state"], form_a["delay_working_days"]) == ("2026-04-13", "late", 1)
    assert form_a["breached"] is True
    assert items["chair_to_group"]["due_on"] == "2026-04-17" and items["chair_to_group"]["state"] == "pending"

    clock.now = datetime(2026, 4, 16, 9, 0, tzinfo=UTC)
    assert services.deadlines.remind() == {"due_soon": 1, "overdue": 0}
    clock.now = datetime(2026, 4, 21, 9, 0, tzinfo=UTC)
    assert services.deadlines.remind() == {"due_soon": 0, "overdue": 1}
    assert services.deadlines.remind() == {"due_soon": 0, "overdue": 0}
    body = client.get("/api/v1/deadlines", headers=coordinator.headers, query_string={"state": "overdue"}).json
    [overdue] = body["items"]
    assert overdue["kind"] == "chair_to_group" and overdue["delay_working_days"] == 2
    assert overdue["reminded_overdue_at"].startswith("2026-04-21") and overdue["reminded_due_soon_at"]
    assert body["summary"]["overdue"] == 1
    assert client.get("/api/v1/deadlines", headers=u["school"].headers).status_code == 403
    refused(
        client.get("/api/v1/deadlines", headers=coordinator.headers, query_string={"state": "late-ish"}), 422, "state"
    )

    # The group, assigned late; its first meeting is due five working days after (1 May is a holiday).
    clock.now = datetime(2026, 4, 28, 9, 0, tzinfo=UTC)
    group = open_group(client, world, card_id).json
    items = {
        i["kind"]: i
        for i in client.get(
            "/api/v1/deadlines", headers=coordinator.headers, query_string={"group_id": group["id"]}
        ).json["items"]
    }
    assert items["chair_to_group"]["state"] == "late" and items["chair_to_group"]["delay_working_days"] == 7
    assert items["first_group_meeting"]["due_on"] == "2026-05-06"


def test_a_card_body_matches_its_schema(client, world, child):
    from services.api.schemas_procedure import BlueCardSchema

    card = fill_form_a(client, world.users["family_assistant"], [child]).json  # family assistants may fill it in
    assert BlueCardSchema().validate(card) == {}
    assert card["agency_kind"] == "ops"
    assert fill_form_a(client, world.users["health"], [child]).status_code == 201
