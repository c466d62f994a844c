"""A family's help plan (the Milanówek form): drawn up, evaluated, revised, read at any version."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.functional.api.test_timeline import post_child


def plan_body(world, **overrides):
    plan = {
        "swot": {
            "strengths": ["matka współpracuje z asystentem"],
            "weaknesses": ["zaległości w czynszu"],
            "opportunities": ["miejsce w świetlicy"],
            "threats": ["nadużywanie alkoholu przez ojca"],
        },
        "main_goal": "Bezpieczny dom i regularna nauka dzieci",
        "long_term_goals": ["ojciec kończy terapię"],
        "short_term_goals": ["Kacper codziennie loguje się do lekcji"],
        "actions": [
            {"party": "family", "description": "zapisać Kacpra do świetlicy", "due": "2026-03-10"},
            {"party": "family_assistant", "description": "pomoc w podziale budżetu", "due": "2026-03-20"},
            {"party": "social_worker", "description": "zasiłek celowy na opał", "due": "2026-03-06"},
            {
                "party": "agency",
                "agency_id": str(world.agencies["day_centre"]),
                "description": "miejsce na zajęciach popołudniowych",
                "due": "2026-03-13",
            },
        ],
        "next_evaluation": "2026-04-01",
    }
    plan.update(overrides)
    return plan


@pytest.fixture
def family(client, world):
    school = world.users["school"]
    return [
        post_child(client, school),
        post_child(client, school, given="Zuzanna", family="Wiśniewska", dob="2016-09-02"),
    ]


def draw(client, world, family, who="family_assistant", **overrides):
    return client.post(
        "/api/v1/help-plans",
        headers=world.users[who].headers,
        json={
            "child_ids": family,
            "household": "Wiśniewscy, ul. Polna 3; matka, ojciec, dwoje dzieci",
            "plan": plan_body(world, **overrides),
        },
    )


def test_a_plan_through_creation_evaluation_and_revision(client, world, family, clock):
    assistant, worker = world.users["family_assistant"], world.users["case_worker"]
    created = draw(client, world, family)
    assert created.status_code == 201, created.json
    plan = created.json
    plan_id = plan["id"]
    assert plan["version"] == 1 and plan["current_version"] == 1 and set(plan["child_ids"]) == set(family)
    assert [a["party"] for a in plan["plan"]["actions"]] == ["family", "family_assistant", "social_worker", "agency"]
    assert plan["plan"]["swot"]["threats"] == ["nadużywanie alkoholu przez ojca"]
    ids = {a["party"]: a["id"] for a in plan["plan"]["actions"]}

    clock.now += timedelta(days=15)  # 18 March: three actions are past their due date
    evaluated = client.post(
        f"/api/v1/help-plans/{plan_id}/evaluations",
        headers=worker.headers,
        json={
            "held_on": "2026-03-18",
            "results": {ids["family"]: "done", ids["social_worker"]: "partly_done", ids["agency"]: "not_done"},
            "situation": "Kacper chodzi do świetlicy; zasiłek przyznany w części.",
            "next_evaluation": "2026-04-15",
        },
    )
    assert evaluated.status_code == 201, evaluated.json
    body = evaluated.json
    assert body["evaluations"][0]["results"][ids["family"]] == "done"
    assert body["next_evaluation"] == "2026-04-15"
    overdue = {a["id"]: a for a in body["overdue_actions"]}
    assert set(overdue) == {ids["social_worker"], ids["agency"]}  # done is not overdue; 20 March not yet due
    assert overdue[ids["social_worker"]]["days_overdue"] == 12
    assert overdue[ids["social_worker"]]["last_result"] == "partly_done"

    revision = plan_body(
        world,
        actions=[
            {
                "id": ids["social_worker"],
                "party": "social_worker",
                "description": "zasiłek celowy na opał",
                "due": "2026-03-31",
            },
            {"party": "family", "description": "ojciec zgłasza się do poradni", "due": "2026-04-10"},
        ],
        next_evaluation="2026-04-15",
    )
    revised = client.post(
        f"/api/v1/help-plans/{plan_id}/revisions",
        headers=assistant.headers,
        json={"reason": "ojciec wyprowadził się", "plan": revision},
    )
    assert revised.status_code == 201, revised.json
    current = client.get(f"/api/v1/help-plans/{plan_id}", headers=world.users["coordinator"].headers).json
    assert current["version"] == 2 and [v["version"] for v in current["versions"]] == [1, 2]
    assert current["versions"][1]["reason"] == "ojciec wyprowadził się"
    assert all(v["drawn_at"] for v in current["versions"])
    kept = next(a for a in current["plan"]["actions"] if a["id"] == ids["social_worker"])
    assert kept["last_result"] == "partly_done" and kept["due"] == "2026-03-31"
    assert current["overdue_actions"] == []  # the new dates are ahead

    first = client.get(f"/api/v1/help-plans/{plan_id}", headers=assistant.headers, query_string={"version": 1})
    assert first.status_code == 200 and first.json["version"] == 1 and first.json["current_version"] == 2
    assert len(first.json["plan"]["actions"]) == 4
    assert (
        client.get(f"/api/v1/help-plans/{plan_id}", headers=assistant.headers, query_string={"version": 3}).status_code
        == 404
    )

    listed = client.get("/api/v1/help-plans", headers=assistant.headers, query_string={"child_id": family[1]}).json
    assert [p["id"] for p in listed] == [plan_id] and listed[0]["version"] == 2


def test_overdue_actions_are_listed_per_child_for_the_agendas(client, world, family, clock):
    plan_id = draw(client, world, family).json["id"]
    clock.now += timedelta(days=8)  # 11 March
    response = client.get(
        "/api/v1/help-plans/overdue-actions",
        headers=world.users["coordinator"].headers,
        query_string={"child_id": family[0]},
    )
    assert response.status_code == 200
    assert [(a["description"], a["help_plan_id"]) for a in response.json] == [
        ("zasiłek celowy na opał", plan_id),
        ("zapisać Kacpra do świetlicy", plan_id),
    ]
    assert set(response.json[0]["child_ids"]) == set(family)


def test_impossible_plans_are_refused_naming_each_field(client, world, family):
    response = client.post(
        "/api/v1/help-plans",
        headers=world.users["case_worker"].headers,
        json={
            "child_ids": family,
            "plan": plan_body(
                world,
                main_goal="",
                next_evaluation="2026-01-01",
                actions=[
                    {"party": "agency", "description": "x", "due": "2026-03-10"},
                    {"party": "neighbour", "description": "x", "due": "2026-03-10"},
                ],
            ),
        },
    )
    assert response.status_code == 422
    assert {"plan.main_goal", "plan.actions.1.party"} <= set(response.json["errors"])
    response = draw(
        client,
        world,
        family,
        next_evaluation="2026-01-01",
        actions=[{"party": "agency", "description": "x", "due": "2026-03-10"}],
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"plan.actions.0.agency_id", "plan.next_evaluation"}


def test_evaluating_an_unknown_action_or_a_bad_result_is_named(client, world, family):
    plan_id = draw(client, world, family).json["id"]
    response = client.post(
        f"/api/v1/help-plans/{plan_id}/evaluations",
        headers=world.users["case_worker"].headers,
        json={"held_on": "2026-03-03", "results": {"nope": "done"}, "situation": "ok"},
    )
    assert response.status_code == 422 and "results.nope" in response.json["errors"]


def test_only_ops_staff_draw_plans_and_other_municipalities_see_nothing(client, world, other_world, family):
    assert draw(client, world, family, who="school").status_code == 403
    assert draw(client, world, family, who="coordinator").status_code == 403
    plan_id = draw(client, world, family).json["id"]
    assert client.get(f"/api/v1/help-plans/{plan_id}", headers=world.users["admin"].headers).status_code == 403
    assert client.get(f"/api/v1/help-plans/{plan_id}", headers=world.users["auditor"].headers).status_code == 200
    stranger = other_world.users["case_worker"].headers
    assert client.get(f"/api/v1/help-plans/{plan_id}", headers=stranger).status_code == 404
    response = client.post(
        "/api/v1/help-plans", headers=stranger, json={"child_ids": family, "plan": plan_body(other_world)}
    )
    assert response.status_code == 422 and "child_ids.0" in response.json["errors"]
