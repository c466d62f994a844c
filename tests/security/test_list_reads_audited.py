"""Finding 2 (lists and write answers of the team's work): every list that shows a child leaves a line.

Found: a group's meetings, one meeting and its actions, the team agenda (API and page),
the deadlines (API and page), the help-plan lists (all, ``?child_id=``, overdue actions),
the time-card lists (month, totals, report) and the groups list answered without a
read-audit line, and so did the writes answering with whole records (meeting minutes and
decisions, actions, help-plan evaluations and revisions, time-card entries, acceptance and
return). Each now writes one line per child it shows, under the view named here; a list
that shows no child writes nothing and still answers 200.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.functional.api.test_blue_cards import fill_form_a, members, step
from tests.functional.api.test_help_plans import plan_body
from tests.functional.api.test_timeline import post_child

API = "/api/v1"


def lines(services, world, who: str, view: str) -> list[str]:
    """The children of the read-audit lines written for ``who`` under ``view`` (as the auditor lists them)."""
    reads = services.read_audit.list(world.actor("auditor"), user_id=world.users[who].id, limit=1000)["reads"]
    return [r["child_id"] for r in reads if r["view"] == view]


def call(client, world, who: str, method: str, path: str, body: object = None, **query):
    response = client.open(
        f"{API}/{path}", method=method, headers=world.users[who].headers, json=body, query_string=query
    )
    assert response.status_code in (200, 201), (path, response.status_code, response.get_data(as_text=True)[:300])
    return response.json


@pytest.fixture
def case(client, world, clock):
    """A pupil with a Blue Card, its group (case worker, police, school), a meeting, an action,
    a help plan and a time-card entry of the family assistant (who is not on the group)."""
    child = post_child(client, world.users["school"])
    card = fill_form_a(client, world.users["police"], [child]).json["id"]
    assert step(client, world.users["police"], card, "forward").status_code == 200
    group = call(
        client,
        world,
        "coordinator",
        "POST",
        "working-groups",
        {
            "name": "Grupa Wiśniewscy",
            "members": members(world, "case_worker", "police", "school"),
            "blue_card_id": card,
        },
    )["id"]
    meeting = call(
        client,
        world,
        "coordinator",
        "POST",
        f"working-groups/{group}/meetings",
        {"scheduled_for": "2026-03-04T10:00:00"},
    )["id"]
    action = call(
        client,
        world,
        "coordinator",
        "POST",
        f"working-groups/{group}/actions",
        {
            "description": "Wizyta dzielnicowego",
            "due_on": "2026-03-05",
            "owner_agency_id": str(world.agencies["police"]),
        },
    )["id"]
    drawn = call(
        client,
        world,
        "family_assistant",
        "POST",
        "help-plans",
        {"child_ids": [child], "household": "Wiśniewscy", "plan": plan_body(world)},
    )
    plan, plan_action = drawn["id"], drawn["plan"]["actions"][0]["id"]
    time_card = call(client, world, "family_assistant", "POST", "time-cards", {"month": "2026-03"})["id"]
    call(
        client,
        world,
        "family_assistant",
        "POST",
        f"time-cards/{time_card}/entries",
        {
            "date": "2026-03-02",
            "start": "12:00",
            "end": "13:00",
            "place": "dom",
            "topic": "szkoła",
            "child_ids": [child],
        },
    )
    clock.now += timedelta(days=20)  # 23 March: the action and the plan's actions are overdue
    return {
        "child": child,
        "card": card,
        "group": group,
        "meeting": meeting,
        "action": action,
        "plan": plan,
        "plan_action": plan_action,
        "time_card": time_card,
    }


READS = [
    ("police", "GET", "working-groups", {}, "working_groups"),
    ("police", "GET", "working-groups/{group}/meetings", {}, "group_meetings"),
    ("police", "GET", "working-groups/{group}/meetings/{meeting}", {}, "group_meeting"),
    ("police", "GET", "working-groups/{group}/actions", {}, "group_actions"),
    ("police", "GET", "working-groups/{group}/agenda", {}, "agenda"),
    ("coordinator", "GET", "team/agenda", {}, "team_agenda"),
    ("case_worker", "GET", "deadlines", {}, "deadlines"),
    ("case_worker", "GET", "deadlines", {"group_id": "{group}"}, "deadlines"),
    ("coordinator", "GET", "deadlines", {"blue_card_id": "{card}"}, "deadlines"),
    ("family_assistant", "GET", "help-plans", {}, "help_plans"),
    ("family_assistant", "GET", "help-plans", {"child_id": "{child}"}, "help_plans"),
    ("family_assistant", "GET", "help-plans/overdue-actions", {}, "help_plan_overdue_actions"),
    ("family_assistant", "GET", "help-plans/overdue-actions", {"child_id": "{child}"}, "help_plan_overdue_actions"),
    ("coordinator", "GET", "time-cards", {"month": "2026-03"}, "time_cards"),
    ("family_assistant", "GET", "time-cards", {"month": "2026-03"}, "time_cards"),
    ("coordinator", "GET", "time-cards/totals", {"month": "2026-03"}, "time_card_totals"),
    ("coordinator", "GET", "time-cards/{time_card}/report", {}, "time_card_report"),
]


@pytest.mark.parametrize(("who", "method", "path", "query", "view"), READS, ids=[f"{r[2]} {r[3]}" for r in READS])
def test_each_list_writes_a_line_per_child_it_shows(client, world, services, case, who, method, path, query, view):
    before = lines(services, world, who, view)
    call(client, world, who, method, path.format(**case), **{k: v.format(**case) for k, v in query.items()})
    assert lines(services, world, who, view).count(case["child"]) == before.count(case["child"]) + 1, view


def test_the_write_answers_that_return_whole_records_write_a_line(client, world, services, case):
    c = case
    ops = str(world.agencies["ops"])
    writes = [
        (
            "police",
            "POST",
            f"working-groups/{c['group']}/meetings/{c['meeting']}/minutes",
            {"minutes": "Posiedzenie.", "attendees": [{"agency_id": ops}]},
            "group_meeting",
        ),
        (
            "police",
            "POST",
            f"working-groups/{c['group']}/meetings/{c['meeting']}/decisions",
            {"text": "Wizyta."},
            "group_meeting",
        ),
        (
            "police",
            "POST",
            f"working-groups/{c['group']}/meetings",
            {"scheduled_for": "2026-03-30T10:00:00"},
            "group_meeting",
        ),
        (
            "school",
            "POST",
            f"working-groups/{c['group']}/actions",
            {
                "description": "Rozmowa z wychowawcą",
                "due_on": "2026-03-30",
                "owner_agency_id": str(world.agencies["school"]),
            },
            "group_action",
        ),
        (
            "police",
            "POST",
            f"working-groups/{c['group']}/actions/{c['action']}/done",
            {"note": "Zrobione."},
            "group_action",
        ),
        (
            "family_assistant",
            "POST",
            f"help-plans/{c['plan']}/evaluations",
            {"held_on": "2026-03-20", "results": {c["plan_action"]: "done"}, "situation": "Bez zmian."},
            "help_plan",
        ),
        (
            "family_assistant",
            "POST",
            f"help-plans/{c['plan']}/revisions",
            {
                "reason": "nowe okoliczności",
                "plan": plan_body(
                    world, actions=[{"party": "family", "description": "świetlica", "due": "2026-04-10"}]
                ),
            },
            "help_plan",
        ),
        (
            "family_assistant",
            "POST",
            f"time-cards/{c['time_card']}/entries",
            {
                "date": "2026-03-09",
                "start": "12:00",
                "end": "13:00",
                "place": "dom",
                "topic": "szkoła",
                "child_ids": [c["child"]],
            },
            "time_card",
        ),
        ("family_assistant", "POST", f"time-cards/{c['time_card']}/submission", {}, "time_card"),
        ("coordinator", "POST", f"time-cards/{c['time_card']}/return", {"reason": "brak wpisu"}, "time_card"),
        ("family_assistant", "POST", f"time-cards/{c['time_card']}/submission", {}, "time_card"),
        ("coordinator", "POST", f"time-cards/{c['time_card']}/acceptance", {}, "time_card"),
    ]
    missing = []
    for who, method, path, body, view in writes:
        before = lines(services, world, who, view).count(c["child"])
        call(client, world, who, method, path, body)
        if lines(services, world, who, view).count(c["child"]) != before + 1:
            missing.append(f"{who} {method} {path} -> no '{view}' line")
    assert not missing, missing


def test_opening_a_group_and_drawing_a_plan_answer_with_a_line(client, world, services):
    child = post_child(client, world.users["school"], given="Ola", family="Nowak", dob="2015-01-02")
    call(
        client,
        world,
        "coordinator",
        "POST",
        "working-groups",
        {"name": "Grupa Nowak", "members": members(world, "case_worker", "police"), "child_ids": [child]},
    )
    assert child in lines(services, world, "coordinator", "working_group")
    call(client, world, "case_worker", "POST", "help-plans", {"child_ids": [child], "plan": plan_body(world)})
    assert child in lines(services, world, "case_worker", "help_plan")


def test_lists_with_no_child_answer_200_and_write_nothing(client, world, services):
    paths = [
        ("coordinator", "working-groups", {}),
        ("coordinator", "team/agenda", {}),
        ("coordinator", "deadlines", {}),
        ("case_worker", "help-plans", {}),
        ("case_worker", "help-plans/overdue-actions", {}),
        ("coordinator", "time-cards", {"month": "2026-03"}),
        ("coordinator", "time-cards/totals", {"month": "2026-03"}),
    ]
    for who, path, query in paths:
        call(client, world, who, "GET", path, **query)
    for who in ("coordinator", "case_worker"):
        reads = services.read_audit.list(world.actor("auditor"), user_id=world.users[who].id, limit=1000)["reads"]
        assert reads == []


def test_the_deadlines_and_team_agenda_pages_write_the_same_lines(browser, world, services, client, case):
    child = case["child"]
    before = lines(services, world, "case_worker", "deadlines").count(child)
    browser.sign_in("case-worker")
    assert browser.get("/deadlines").status_code == 200
    assert lines(services, world, "case_worker", "deadlines").count(child) == before + 1
    before = lines(services, world, "coordinator", "team_agenda").count(child)
    browser.sign_in("coordinator")
    assert browser.get("/team/agenda").status_code == 200
    assert lines(services, world, "coordinator", "team_agenda").count(child) == before + 1
