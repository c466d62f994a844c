"""The family assistant's monthly time card: entries, impossible entries refused, totals, acceptance."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.functional.api.test_timeline import post_child


@pytest.fixture
def families(client, world):
    school = world.users["school"]
    return {
        "wisniewscy": [post_child(client, school)],
        "krolowie": [post_child(client, school, given="Maja", family="Król", dob="2014-08-09")],
    }


@pytest.fixture
def card(client, world, clock):
    clock.now += timedelta(days=25)  # 28 March 2026
    response = client.post(
        "/api/v1/time-cards", headers=world.users["family_assistant"].headers, json={"month": "2026-03"}
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def entry(client, world, card, children, day="2026-03-04", start="09:00", end="11:30", **extra):
    return client.post(
        f"/api/v1/time-cards/{card}/entries",
        headers=world.users["family_assistant"].headers,
        json={
            "date": day,
            "start": start,
            "end": end,
            "place": "mieszkanie rodziny",
            "topic": "budżet domowy",
            "child_ids": children,
            **extra,
        },
    )


def test_hours_are_computed_and_totalled_per_family_and_per_assistant(client, world, families, card):
    w, k = families["wisniewscy"], families["krolowie"]
    first = entry(client, world, card, w)
    assert first.status_code == 201, first.json
    assert first.json["entries"][0]["hours"] == 2.5
    assert entry(client, world, card, w, day="2026-03-11", start="14:00", end="15:15").status_code == 201
    assert (
        entry(
            client,
            world,
            card,
            k,
            day="2026-03-04",
            start="12:00",
            end="13:00",
            place="szkoła",
            participants="matka, pedagog",
        ).status_code
        == 201
    )
    body = client.get(f"/api/v1/time-cards/{card}", headers=world.users["family_assistant"].headers).json
    assert body["totals"]["hours"] == 4.75
    assert sorted(f["hours"] for f in body["totals"]["per_family"]) == [1.0, 3.75]

    totals = client.get(
        "/api/v1/time-cards/totals", headers=world.users["coordinator"].headers, query_string={"month": "2026-03"}
    ).json
    assert totals["total_hours"] == 4.75
    assert [(a["assistant"], a["hours"]) for a in totals["per_assistant"]] == [("family_assistant", 4.75)]
    by_label = {f["label"]: f["hours"] for f in totals["per_family"]}
    assert by_label == {"Kacper Wiśniewski": 3.75, "Maja Król": 1.0}


@pytest.mark.parametrize(
    ("fields", "named", "says"),
    [
        ({"start": "11:00", "end": "10:00"}, "end", "must be after start (11:00)"),
        ({"start": "10:00", "end": "10:00"}, "end", "must be after start (10:00)"),
        ({"start": "11:00", "end": "12:00"}, "start", "overlaps the entry 09:00-11:30 on 2026-03-04"),
        ({"start": "08:00", "end": "13:00"}, "start", "overlaps the entry 09:00-11:30 on 2026-03-04"),
        ({"day": "2026-04-01"}, "date", "is not in 2026-03, the month of this card"),
        ({"day": "2026-02-28"}, "date", "is not in 2026-03, the month of this card"),
        ({"day": "2026-03-30"}, "date", "must not be in the future"),
        ({"start": "25:00"}, "start", "Not a valid time."),
    ],
)
def test_impossible_entries_are_refused_naming_the_field(client, world, families, card, fields, named, says):
    assert entry(client, world, card, families["wisniewscy"]).status_code == 201
    response = entry(client, world, card, families["wisniewscy"], **fields)
    assert response.status_code == 422, response.json
    assert response.json["errors"][named] == [says]


def test_back_to_back_meetings_do_not_overlap(client, world, families, card):
    assert entry(client, world, card, families["wisniewscy"]).status_code == 201
    assert entry(client, world, card, families["krolowie"], start="11:30", end="12:00").status_code == 201


def test_submission_return_and_acceptance_then_nothing_changes(client, world, families, card):
    assistant, coordinator = world.users["family_assistant"], world.users["coordinator"]
    assert entry(client, world, card, families["wisniewscy"]).status_code == 201
    assert (
        client.post(f"/api/v1/time-cards/{card}/acceptance", headers=coordinator.headers, json={}).status_code == 409
    )  # not submitted yet
    assert client.post(f"/api/v1/time-cards/{card}/submission", headers=assistant.headers).json["status"] == "submitted"
    refused = entry(client, world, card, families["wisniewscy"], day="2026-03-05")
    assert refused.status_code == 422 and "is with the coordinator" in refused.json["errors"]["date"][0]
    returned = client.post(
        f"/api/v1/time-cards/{card}/return", headers=coordinator.headers, json={"reason": "brak wizyty z 5 marca"}
    )
    assert returned.json["status"] == "returned" and returned.json["decision"]["note"] == "brak wizyty z 5 marca"
    assert entry(client, world, card, families["wisniewscy"], day="2026-03-05").status_code == 201
    client.post(f"/api/v1/time-cards/{card}/submission", headers=assistant.headers)
    assert client.post(f"/api/v1/time-cards/{card}/acceptance", headers=assistant.headers, json={}).status_code == 403
    accepted = client.post(
        f"/api/v1/time-cards/{card}/acceptance", headers=coordinator.headers, json={"note": "zgodne z kartą realizacji"}
    )
    assert accepted.status_code == 201 and accepted.json["status"] == "accepted"
    late = entry(client, world, card, families["wisniewscy"], day="2026-03-06")
    assert late.status_code == 422
    assert late.json["errors"]["date"] == [
        "the card for 2026-03 was accepted by the coordinator; it can no longer change"
    ]
    report = client.get(f"/api/v1/time-cards/{card}/report", headers=coordinator.headers).json
    assert report["status"] == "accepted" and report["families"][0]["label"] == "Kacper Wiśniewski"
    assert [e["date"] for e in report["families"][0]["entries"]] == ["2026-03-04", "2026-03-05"]
    page = client.get(f"/api/v1/time-cards/{card}/report", headers=coordinator.headers, query_string={"format": "html"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Karta realizacji usługi asystenta rodziny" in page.get_data(as_text=True)


def test_one_card_per_assistant_per_month_and_entries_for_a_help_plan(client, world, families, card):
    again = client.post(
        "/api/v1/time-cards", headers=world.users["family_assistant"].headers, json={"month": "2026-03"}
    )
    assert again.status_code == 409 and again.json["details"]["existing_id"] == card
    plan = client.post(
        "/api/v1/help-plans",
        headers=world.users["case_worker"].headers,
        json={
            "child_ids": families["krolowie"],
            "household": "Królowie, ul. Leśna 1",
            "plan": {
                "main_goal": "stabilizacja",
                "next_evaluation": "2026-04-30",
                "actions": [{"party": "family", "description": "x", "due": "2026-04-10"}],
            },
        },
    ).json
    added = entry(client, world, card, [], help_plan_id=plan["id"])
    assert added.status_code == 201, added.json
    assert added.json["entries"][0]["child_ids"] == families["krolowie"]
    totals = client.get(
        "/api/v1/time-cards/totals", headers=world.users["coordinator"].headers, query_string={"month": "2026-03"}
    ).json
    assert totals["per_family"][0]["label"] == "Królowie, ul. Leśna 1"
    assert entry(client, world, card, [], day="2026-03-20").json["errors"] == {
        "family": ["give help_plan_id or child_ids: whose family the meeting was with"]
    }


def test_who_may_read_and_write_cards(client, world, other_world, families, card):
    assert (
        client.post(
            "/api/v1/time-cards", headers=world.users["case_worker"].headers, json={"month": "2026-03"}
        ).status_code
        == 403
    )
    assert client.get(f"/api/v1/time-cards/{card}", headers=world.users["school"].headers).status_code == 403
    assert client.get(f"/api/v1/time-cards/{card}", headers=world.users["admin"].headers).status_code == 403
    assert client.get(f"/api/v1/time-cards/{card}", headers=other_world.users["coordinator"].headers).status_code == 404
    assert client.post(
        "/api/v1/time-cards", headers=world.users["family_assistant"].headers, json={"month": "2026-13"}
    ).json["errors"] == {"month": ["must be a month written YYYY-MM"]}


def test_an_entry_made_in_error_is_taken_back_with_a_reason(client, world, families, card):
    assistant = world.users["family_assistant"]
    added = entry(client, world, card, families["wisniewscy"]).json["entries"][0]["id"]
    path = f"/api/v1/time-cards/{card}/entries/{added}/removal"
    assert client.post(path, headers=assistant.headers, json={}).json["errors"] == {
        "reason": ["Missing data for required field."]
    }
    removed = client.post(path, headers=assistant.headers, json={"reason": "pomyłka w dacie"})
    assert removed.status_code == 201 and removed.json["entries"] == [] and removed.json["totals"]["hours"] == 0
    assert entry(client, world, card, families["wisniewscy"]).status_code == 201  # the slot is free again
