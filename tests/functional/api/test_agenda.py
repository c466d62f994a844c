"""Agendas: several children in one group, ordered by urgency, each reason linked to its events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.functional.api.test_blue_cards import fill_form_a, open_group
from tests.functional.api.test_timeline import post_child, post_signal


@pytest.fixture
def scenario(client, world, recorded_by_clock):
    clock = recorded_by_clock
    u = world.users
    coordinator, case_worker = u["coordinator"], u["case_worker"]
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    kacper = post_child(client, u["school"], "Kacper", "Wiśniewski", "2014-03-12")
    zuzia = post_child(client, u["school"], "Zuzanna", "Wiśniewska", "2016-09-02")
    julia = post_child(client, u["school"], "Julia", "Wiśniewska", "2013-11-23")
    early = {
        "kacper": post_signal(client, u["school"], kacper, "missed_remote_learning", "2026-03-01T08:00:00", days=2),
        "zuzia_police": post_signal(client, u["police"], zuzia, "domestic_intervention", "2026-03-01T22:00:00"),
        "zuzia_injury": post_signal(client, u["school"], zuzia, "injury_observed", "2026-03-02T08:30:00"),
    }
    group = open_group(client, world, child_ids=[kacper, zuzia, julia]).json
    base = f"/api/v1/working-groups/{group['id']}"
    meeting = client.post(
        f"{base}/meetings", headers=coordinator.headers, json={"scheduled_for": "2026-03-04T10:00:00", "place": "GOPS"}
    ).json
    clock.now = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    client.post(
        f"{base}/meetings/{meeting['id']}/minutes",
        headers=case_worker.headers,
        json={
            "minutes": "Pierwsze posiedzenie.",
            "attendees": [{"agency_id": str(world.agencies["ops"])}, {"agency_id": str(world.agencies["police"])}],
        },
    )
    action = client.post(
        f"{base}/actions",
        headers=case_worker.headers,
        json={
            "description": "Wizyta dzielnicowego",
            "due_on": "2026-03-06",
            "meeting_id": meeting["id"],
            "owner_agency_id": str(world.agencies["police"]),
        },
    ).json
    clock.now = datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
    late = {
        "kacper": post_signal(client, u["police"], kacper, "domestic_intervention", "2026-03-08T21:00:00"),
        "julia": post_signal(client, u["school"], julia, "behaviour_change", "2026-03-09T08:00:00"),
    }
    client.post(f"{base}/meetings", headers=coordinator.headers, json={"scheduled_for": "2026-03-12T10:00:00"})
    return {
        "group": group,
        "kacper": kacper,
        "zuzia": zuzia,
        "julia": julia,
        "early": early,
        "late": late,
        "action": action,
        "base": base,
    }


def agenda(client, who, scenario, **query):
    response = client.get(f"{scenario['base']}/agenda", headers=who.headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def codes(item):
    return [r["code"] for r in item["reasons"]]


def test_group_agenda_orders_children_and_the_case_by_urgency_with_reasons(client, world, scenario):
    body = agenda(client, world.users["school"], scenario)  # a member reads it
    items = body["items"]
    subjects = [(i["subject"]["type"], i["subject"]["id"]) for i in items]
    case = ("case", scenario["group"]["id"])
    assert subjects == [("child", scenario["kacper"]), ("child", scenario["zuzia"]), case, ("child", scenario["julia"])]
    assert [i["urgency"] for i in items] == sorted((i["urgency"] for i in items), reverse=True)
    assert [i["rank"] for i in items] == [1, 2, 3, 4]
    assert body["since"].startswith("2026-03-04T12:00") and body["next_meeting"]["scheduled_for"].startswith(
        "2026-03-12"
    )

    kacper, zuzia, case_item, julia = items
    assert kacper["subject"]["label"] == "Kacper Wiśniewski"
    assert set(codes(kacper)) == {"pieces_join_no_card", "band_raised", "band_high", "new_signals"}
    new = next(r for r in kacper["reasons"] if r["code"] == "new_signals")
    assert [ref["id"] for ref in new["refs"]] == [scenario["late"]["kacper"]]  # only what came after the meeting
    pieces = next(r for r in kacper["reasons"] if r["code"] == "pieces_join_no_card")
    assert {ref["id"] for ref in pieces["refs"]} == {scenario["early"]["kacper"], scenario["late"]["kacper"]}
    raised = next(r for r in kacper["reasons"] if r["code"] == "band_raised")
    assert "to high" in raised["text"] and raised["refs"][0]["type"] == "risk_band_change"

    assert codes(case_item) == ["action_overdue"]
    assert "Wizyta dzielnicowego" in case_item["reasons"][0]["text"]
    assert case_item["reasons"][0]["refs"][0]["id"] == f"action:{scenario['action']['id']}"

    # Zuzia's signals came before the meeting: her band and the joining pieces are the reasons now.
    assert codes(zuzia) == ["pieces_join_no_card", "band_high"]
    assert codes(julia) == ["new_signals"]
    assert julia["reasons"][0]["refs"][0]["id"] == scenario["late"]["julia"]


def test_the_agenda_prints(client, world, scenario):
    response = client.get(
        f"{scenario['base']}/agenda", headers=world.users["coordinator"].headers, query_string={"format": "html"}
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "@media print" in page and "Kacper Wiśniewski" in page and "Wizyta dzielnicowego" in page
    assert page.index("Kacper Wiśniewski") < page.index("Julia Wiśniewska")


def test_who_may_read_an_agenda(client, world, other_world, scenario):
    for who, status in (("health", 404), ("admin", 403), ("auditor", 200), ("coordinator", 200)):
        assert client.get(f"{scenario['base']}/agenda", headers=world.users[who].headers).status_code == status
    assert client.get(f"{scenario['base']}/agenda", headers=other_world.users["coordinator"].headers).status_code == 404
    refused = client.get(
        f"{scenario['base']}/agenda", headers=world.users["coordinator"].headers, query_string={"format": "pdf"}
    )
    assert refused.status_code == 422 and "format" in refused.json["errors"]


def test_team_agenda_flags_pieces_joining_without_a_card_until_a_card_is_filled(
    client, world, scenario, recorded_by_clock
):
    coordinator = world.users["coordinator"]
    team = client.get("/api/v1/team/agenda", headers=coordinator.headers).json
    by_subject = {i["subject"]["id"]: i for i in team["items"]}
    assert "pieces_join_no_card" in codes(by_subject[scenario["kacper"]])
    assert codes(by_subject[scenario["group"]["id"]]) == ["action_overdue"]

    card = fill_form_a(
        client, world.users["police"], [scenario["kacper"]], filled_on="2026-02-27", incident_date="2026-02-26"
    ).json
    team = client.get("/api/v1/team/agenda", headers=coordinator.headers).json
    by_subject = {i["subject"]["id"]: i for i in team["items"]}
    assert "pieces_join_no_card" not in codes(by_subject[scenario["kacper"]])
    # The card was filled in a week ago and never forwarded: a breached deadline, above Kacper's news.
    case = by_subject[card["id"]]
    assert case["subject"]["blue_card_id"] == card["id"] and codes(case) == ["deadline_breached"]
    assert "form A to the team chair" in case["reasons"][0]["text"] and "1 working day" in case["reasons"][0]["text"]
    assert case["rank"] < by_subject[scenario["kacper"]]["rank"]
    assert [i["urgency"] for i in team["items"]] == sorted((i["urgency"] for i in team["items"]), reverse=True)
    assert client.get("/api/v1/team/agenda", headers=world.users["school"].headers).status_code == 403
    page = client.get("/api/v1/team/agenda", headers=coordinator.headers, query_string={"format": "html"})
    assert "Zespół Interdyscyplinarny" in page.get_data(as_text=True)


def test_the_bodies_match_their_documented_schemas(client, world, scenario):
    from services.api.schemas_procedure import AgendaSchema, DeadlineListSchema, GroupSchema, MeetingSchema

    headers = world.users["coordinator"].headers
    assert AgendaSchema().validate(client.get(f"{scenario['base']}/agenda", headers=headers).json) == {}
    assert AgendaSchema().validate(client.get("/api/v1/team/agenda", headers=headers).json) == {}
    assert DeadlineListSchema().validate(client.get("/api/v1/deadlines", headers=headers).json) == {}
    assert GroupSchema().validate(client.get(scenario["base"], headers=headers).json) == {}
    assert MeetingSchema(many=True).validate(client.get(f"{scenario['base']}/meetings", headers=headers).json) == {}
    spec = client.get("/api/v1/openapi.json").json
    assert {
        "/api/v1/blue-cards",
        "/api/v1/working-groups/{group_id}/agenda",
        "/api/v1/team/agenda",
        "/api/v1/deadlines",
    } <= set(spec["paths"])


def test_the_team_meets_and_its_agenda_counts_news_from_its_last_meeting(client, world, scenario, recorded_by_clock):
    clock = recorded_by_clock
    u = world.users
    coordinator = u["coordinator"]
    assert client.get("/api/v1/team/meetings", headers=coordinator.headers).json == []
    assert (
        client.post(
            "/api/v1/team/meetings", headers=u["case_worker"].headers, json={"scheduled_for": "2026-03-10T12:00:00"}
        ).status_code
        == 403
    )
    meeting = client.post(
        "/api/v1/team/meetings",
        headers=coordinator.headers,
        json={"scheduled_for": "2026-03-10T12:00:00", "place": "Urząd Gminy, sala 2"},
    )
    assert meeting.status_code == 201, meeting.json
    meeting_id = meeting.json["id"]
    before = client.get("/api/v1/team/agenda", headers=coordinator.headers).json
    assert before["since_reason"].startswith("the last 30 days") and before["next_meeting"]["id"] == meeting_id

    clock.now = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    held = client.post(
        f"/api/v1/team/meetings/{meeting_id}/minutes",
        headers=coordinator.headers,
        json={
            "minutes": "Przegląd spraw.",
            "attendees": [
                {"agency_id": str(world.agencies[k])} for k in ("ops", "police", "school", "health", "gkrpa")
            ],
        },
    )
    assert held.status_code == 200 and len(held.json["attendees"]) == 5
    decision = client.post(
        f"/api/v1/team/meetings/{meeting_id}/decisions",
        headers=coordinator.headers,
        json={"text": "Wszcząć procedurę wobec rodziny Kacpra."},
    )
    assert decision.status_code == 201 and decision.json["knowledge_position"] > 0

    clock.now = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
    fresh = post_signal(client, u["school"], scenario["julia"], "unexplained_absence", "2026-03-11T08:00:00", days=1)
    after = client.get("/api/v1/team/agenda", headers=coordinator.headers).json
    assert after["since_reason"] == "the team's last meeting" and after["since"].startswith("2026-03-10T14:00")
    by_subject = {i["subject"]["id"]: i for i in after["items"]}
    julia_news = [r for r in by_subject[scenario["julia"]]["reasons"] if r["code"] == "new_signals"]
    assert [ref["id"] for ref in julia_news[0]["refs"]] == [fresh]
    assert not [r for r in by_subject[scenario["kacper"]]["reasons"] if r["code"] in ("new_signals", "band_raised")]
    assert client.get("/api/v1/team/meetings", headers=u["auditor"].headers).json[0]["held"] is True


def test_a_step_done_late_is_told_to_the_group_once(client, world, recorded_by_clock):
    clock = recorded_by_clock
    u = world.users
    clock.now = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)  # the Tuesday after Easter Monday
    child = post_child(client, u["school"])
    card = fill_form_a(client, u["police"], [child], filled_on="2026-04-03", incident_date="2026-04-02").json
    client.post(f"/api/v1/blue-cards/{card['id']}/forward", headers=u["coordinator"].headers, json={})
    group = open_group(client, world, card["id"]).json
    base = f"/api/v1/working-groups/{group['id']}"
    body = agenda(client, u["case_worker"], {"base": base})
    case = next(i for i in body["items"] if i["subject"]["type"] == "case")
    late = [r for r in case["reasons"] if r["code"] == "deadline_met_late"]
    assert len(late) == 1 and "1 working day(s) late: form A to the team chair" in late[0]["text"]
    assert late[0]["refs"][0]["id"] == f"card:{card['id']}:form_a_to_chair"
    child_item = next(i for i in body["items"] if i["subject"]["type"] == "child")
    assert child_item["subject"]["label"] == "Kacper Wiśniewski" and body["since"] is None

    meeting = client.post(
        f"{base}/meetings", headers=u["coordinator"].headers, json={"scheduled_for": "2026-04-14T15:00:00"}
    ).json
    clock.now = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
    client.post(
        f"{base}/meetings/{meeting['id']}/minutes",
        headers=u["case_worker"].headers,
        json={"minutes": "Omówiono.", "attendees": [{"agency_id": str(world.agencies["ops"])}]},
    )
    body = agenda(client, u["case_worker"], {"base": base})
    case = next(i for i in body["items"] if i["subject"]["type"] == "case")
    assert "deadline_met_late" not in codes(case)


def test_overdue_help_plan_actions_feed_the_agenda_and_the_deadline_list(services, clock):
    """Issue 5: a help-plan action past its due date shows on the team agenda and in the deadline list."""
    from services.demo.world import load_demo

    result = load_demo(services, clock())
    chair = next(services.directory.authenticate(u["token"]) for u in result.users if u["role"] == "coordinator")
    overdue = services.help_plans.overdue_actions(chair)
    assert overdue, "the demo family's plan has an overdue action"
    listed = [i for i in services.deadlines.list(chair)["items"] if i["kind"] == "help_plan_action"]
    assert {i["id"].split(":")[-1] for i in listed} == {a["id"] for a in overdue}
    agenda = services.agendas.team_agenda(chair)
    reasons = [r for item in agenda["items"] for r in item["reasons"] if r["code"] == "help_plan_action_overdue"]
    assert reasons and {ref["id"] for r in reasons for ref in r["refs"]} == {a["id"] for a in overdue}
    school = next(
        services.directory.authenticate(u["token"])
        for u in result.users
        if u["role"] == "submitter" and "SP1" in u["name"]
    )
    assert services.deadlines.help_plans is not None
    assert services.agendas._help_plan_reasons(school, [overdue[0]["child_ids"][0]], {}) == []


def test_agenda_names_follow_merges_and_an_erased_child_is_never_named_again(
    client, world, recorded_by_clock, services
):
    clock = recorded_by_clock
    u = world.users
    coordinator = u["coordinator"]
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    kacper = post_child(client, u["school"], "Kacper", "Wiśniewski", "2014-03-12")
    duplicate = post_child(client, u["police"], "Kacperek", "Wiśniewski", "2014-03-12")
    julia = post_child(client, u["school"], "Julka", "Wiśniewska", "2013-11-23")
    post_signal(client, u["school"], julia, "behaviour_change", "2026-03-02T08:00:00")
    group = open_group(client, world, child_ids=[duplicate, julia]).json
    scenario = {"base": f"/api/v1/working-groups/{group['id']}"}

    def labels(body):
        return {i["subject"]["id"]: i["subject"]["label"] for i in body["items"] if i["subject"]["type"] == "child"}

    assert labels(agenda(client, u["school"], scenario)) == {
        duplicate: "Kacperek Wiśniewski",
        julia: "Julka Wiśniewska",
    }
    merged = client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": kacper, "reason": "ten sam chłopiec"},
    )
    assert merged.status_code == 200, merged.json
    body = agenda(client, u["school"], scenario)  # the merged record is discussed as the record it joined
    assert labels(body) == {kacper: "Kacper Wiśniewski", julia: "Julka Wiśniewska"}

    card = fill_form_a(client, u["police"], [julia], filled_on="2026-02-20", incident_date="2026-02-19").json
    team = client.get("/api/v1/team/agenda", headers=coordinator.headers).json
    assert (
        next(i for i in team["items"] if i["subject"]["id"] == card["id"])["subject"]["label"]
        == "Blue Card: Julka Wiśniewska"
    )

    asked = client.post(
        f"/api/v1/children/{julia}/erasure",
        headers=coordinator.headers,
        json={"ground": "authorised_request", "reference": "ZI.4420.3.2026"},
    )
    assert asked.status_code == 202, asked.json  # a second person approves the coordinator's request
    erased = client.post(f"/api/v1/children/{julia}/erasure/approval", headers=u["auditor"].headers, json={})
    assert erased.status_code == 200, erased.json
    body = agenda(client, u["school"], scenario)
    assert labels(body) == {kacper: "Kacper Wiśniewski", julia: None}
    page = client.get(f"{scenario['base']}/agenda", headers=coordinator.headers, query_string={"format": "html"})
    team = client.get("/api/v1/team/agenda", headers=coordinator.headers)
    assert (
        next(i for i in team.json["items"] if i["subject"]["id"] == card["id"])["subject"]["label"]
        == f"Blue Card {card['id']}"
    )
    for text in (str(body), page.get_data(as_text=True), team.get_data(as_text=True)):
        assert "Julka" not in text
    children = services.followers["children"]
    live = children.view.dump()
    assert "Julka" not in str(live)
    children.rebuild()
    assert children.view.dump() == live


def test_the_agenda_tells_every_change_to_a_child_made_after_it_was_last_read(client, world, recorded_by_clock):
    """The agenda keeps each family's signals between reads: a new signal, a correction, a retraction
    and a merge must each show on the next read."""
    clock = recorded_by_clock
    u = world.users
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    kacper = post_child(client, u["school"], "Kacper", "Wiśniewski", "2014-03-12")
    duplicate = post_child(client, u["police"], "Kacperek", "Wiśniewski", "2014-03-12")
    first = post_signal(client, u["school"], kacper, "behaviour_change", "2026-03-01T08:00:00")
    group = open_group(client, world, child_ids=[kacper]).json
    scenario = {"base": f"/api/v1/working-groups/{group['id']}"}

    def signals(code):
        body = agenda(client, u["school"], scenario)
        item = next(i for i in body["items"] if i["subject"]["type"] == "child")
        return [(r["id"], r["kind"]) for reason in item["reasons"] if reason["code"] == code for r in reason["refs"]]

    assert signals("new_signals") == [(first, "behaviour_change")] and signals("band_high") == []
    second = post_signal(client, u["police"], kacper, "domestic_intervention", "2026-03-01T22:00:00")
    assert signals("new_signals") == [(first, "behaviour_change"), (second, "domestic_intervention")]
    assert (second, "domestic_intervention") in signals("band_high")
    corrected = client.post(
        f"/api/v1/children/{kacper}/signals/{first}/corrections",
        headers=u["school"].headers,
        json={"kind": "injury_observed", "reason": "pomyłka w rodzaju"},
    )
    assert corrected.status_code in (200, 201), corrected.json
    assert (first, "injury_observed") in signals("new_signals") and (first, "injury_observed") in signals("band_high")
    retracted = client.post(
        f"/api/v1/children/{kacper}/signals/{second}/retraction",
        headers=u["police"].headers,
        json={"reason": "nie ten adres"},
    )
    assert retracted.status_code in (200, 201), retracted.json
    assert signals("new_signals") == [(first, "injury_observed")]
    assert second not in {i for i, _ in signals("band_high")}
    third = post_signal(client, u["police"], duplicate, "domestic_intervention", "2026-03-02T07:00:00")
    merged = client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=u["coordinator"].headers,
        json={"target_id": kacper, "reason": "ten sam chłopiec"},
    )
    assert merged.status_code == 200, merged.json
    assert signals("new_signals") == [(first, "injury_observed"), (third, "domestic_intervention")]
    assert (third, "domestic_intervention") in signals("band_high")
