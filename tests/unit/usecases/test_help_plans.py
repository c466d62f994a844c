"""Help plans: drawn up by OPS, evaluated, revised, read per version, overdue actions by the clock."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.errors import Forbidden, InvalidInput, NotFound
from tests.unit.usecases.conftest import register_child


def plan_body(**overrides) -> dict:
    plan = {
        "swot": {"strengths": ["matka współpracuje"], "threats": ["zaległości w czynszu"]},
        "main_goal": "Bezpieczny dom i regularna nauka",
        "actions": [
            {"party": "family", "description": "zapisać Kacpra do świetlicy", "due": date(2026, 3, 10)},
            {"party": "social_worker", "description": "zasiłek celowy", "due": date(2026, 3, 6)},
        ],
        "next_evaluation": date(2026, 4, 1),
    }
    plan.update(overrides)
    return plan


@pytest.fixture
def family(children, world) -> list[UUID]:
    school = world.actor("school")
    return [register_child(children, school), register_child(children, school, given="Zuzanna", born=date(2016, 9, 2))]


@pytest.fixture
def plan(help_plans, world, family) -> dict:
    return help_plans.draw(world.actor("family_assistant"), child_ids=family, household="Wiśniewscy", plan=plan_body())


def action_ids(plan: dict) -> dict[str, str]:
    return {a["party"]: a["id"] for a in plan["plan"]["actions"]}


def test_a_plan_is_drawn_for_a_family_and_listed_under_each_child(help_plans, world, family, plan):
    assert (plan["version"], plan["current_version"], plan["household"]) == (1, 1, "Wiśniewscy")
    assert plan["child_ids"] == [str(c) for c in family]
    assert all(a["id"] for a in plan["plan"]["actions"])
    for child_id in family:
        assert [p["id"] for p in help_plans.list_plans(world.actor("case_worker"), child_id)] == [plan["id"]]
    assert [p["id"] for p in help_plans.list_plans(world.actor("coordinator"))] == [plan["id"]]


def test_only_ops_draws_plans(help_plans, directory, world, family):
    with pytest.raises(Forbidden):
        help_plans.draw(world.actor("school"), child_ids=family, plan=plan_body())
    outside = directory.create_user(
        None, role="family_assistant", name="Asystentka PCPR", agency_id=world.agencies["pcpr"]
    )
    with pytest.raises(Forbidden, match="OPS"):
        help_plans.draw(directory.authenticate(outside["token"]), child_ids=family, plan=plan_body())


def test_a_child_unknown_here_is_refused_by_its_position(help_plans, children, world, other_world, family):
    elsewhere = register_child(children, other_world.actor("school"))
    for child_ids, field in (([family[0], uuid4()], "child_ids.1"), ([elsewhere], "child_ids.0")):
        with pytest.raises(InvalidInput) as refused:
            help_plans.draw(world.actor("family_assistant"), child_ids=child_ids, plan=plan_body())
        assert field in refused.value.errors


def test_an_action_owed_by_another_municipalitys_agency_is_refused(help_plans, world, other_world, family):
    actions = [
        {
            "party": "agency",
            "agency_id": other_world.agencies["day_centre"],
            "description": "zajęcia",
            "due": date(2026, 3, 20),
        }
    ]
    with pytest.raises(InvalidInput) as refused:
        help_plans.draw(world.actor("family_assistant"), child_ids=family, plan=plan_body(actions=actions))
    assert "plan.actions.0.agency_id" in refused.value.errors


def test_an_evaluation_date_already_past_by_the_clock_is_refused(help_plans, world, family, clock):
    with pytest.raises(InvalidInput) as refused:
        help_plans.draw(
            world.actor("family_assistant"), child_ids=family, plan=plan_body(next_evaluation=date(2026, 3, 2))
        )
    assert "plan.next_evaluation" in refused.value.errors


def test_a_plan_drawn_for_a_merged_record_names_the_survivor(help_plans, children, world):
    survivor = register_child(children, world.actor("school"))
    duplicate = register_child(children, world.actor("case_worker"), family="Wiśniewsky")
    children.merge(world.actor("coordinator"), duplicate, survivor, reason="ten sam")
    drawn = help_plans.draw(world.actor("family_assistant"), child_ids=[duplicate], plan=plan_body())
    assert drawn["child_ids"] == [str(survivor)]


def test_an_evaluation_records_results_and_overdue_actions_follow_the_clock(help_plans, world, plan, clock):
    ids = action_ids(plan)
    assert plan["overdue_actions"] == []
    clock.advance(days=5)  # 8 March: the social worker's action (due 6 March) is overdue
    evaluated = help_plans.evaluate(
        world.actor("case_worker"),
        UUID(plan["id"]),
        held_on=date(2026, 3, 8),
        results={ids["social_worker"]: "partly_done"},
        situation="zasiłek w toku",
        next_evaluation=date(2026, 4, 15),
    )
    assert evaluated["next_evaluation"] == "2026-04-15"
    assert evaluated["evaluations"][0]["results"] == {ids["social_worker"]: "partly_done"}
    [overdue] = evaluated["overdue_actions"]
    assert (overdue["id"], overdue["days_overdue"], overdue["last_result"]) == (ids["social_worker"], 2, "partly_done")
    rows = help_plans.overdue_actions(world.actor("coordinator"))
    assert [(r["id"], r["help_plan_id"]) for r in rows] == [(ids["social_worker"], plan["id"])]


def test_an_action_evaluated_done_is_not_overdue(help_plans, world, plan, clock):
    ids = action_ids(plan)
    clock.advance(days=10)
    help_plans.evaluate(
        world.actor("case_worker"),
        UUID(plan["id"]),
        held_on=date(2026, 3, 13),
        results={ids["social_worker"]: "done", ids["family"]: "done"},
        situation="dobrze",
    )
    assert help_plans.overdue_actions(world.actor("coordinator")) == []


def test_an_impossible_evaluation_is_refused_naming_each_field(help_plans, world, plan):
    stranger = str(uuid4())
    with pytest.raises(InvalidInput) as refused:
        help_plans.evaluate(
            world.actor("case_worker"),
            UUID(plan["id"]),
            held_on=date(2026, 3, 4),
            results={stranger: "done"},
            situation="",
        )
    assert {"held_on", f"results.{stranger}", "situation"} <= set(refused.value.errors)


def test_a_revision_is_a_new_version_and_the_first_stays_readable(help_plans, gate, world, plan, family):
    ids = action_ids(plan)
    kept = [{"id": ids["family"], "party": "family", "description": "świetlica od kwietnia", "due": date(2026, 4, 1)}]
    revised = help_plans.revise(
        world.actor("family_assistant"), UUID(plan["id"]), reason="ojciec wyjechał", plan=plan_body(actions=kept)
    )
    assert (revised["version"], [v["reason"] for v in revised["versions"]]) == (2, ["", "ojciec wyjechał"])
    first = help_plans.get(world.actor("coordinator"), UUID(plan["id"]), version=1)
    assert (first["version"], len(first["plan"]["actions"])) == (1, 2)
    assert gate.reads[-1].view == "help_plan" and gate.reads[-1].child_ids == tuple(str(c) for c in family)


def test_a_revision_may_not_name_an_action_it_does_not_have(help_plans, world, plan):
    invented = [{"id": "not-an-action", "party": "family", "description": "x", "due": date(2026, 4, 1)}]
    with pytest.raises(InvalidInput) as refused:
        help_plans.revise(
            world.actor("family_assistant"), UUID(plan["id"]), reason="r", plan=plan_body(actions=invented)
        )
    assert "plan.actions.0.id" in refused.value.errors


def test_another_municipality_does_not_see_the_plan(help_plans, gate, other_world, plan):
    with pytest.raises(NotFound):
        help_plans.get(other_world.actor("coordinator"), UUID(plan["id"]))
    assert [r for r in gate.reads if r.user_id == other_world.actor("coordinator").user_id] == []


def test_another_municipalitys_child_reads_as_unknown_whether_or_not_it_has_plans(
    help_plans, other_world, family, plan
):
    """The listings are keyed by the child alone: the child is checked before they are read."""
    stranger = other_world.actor("coordinator")
    for child_id in family:
        with pytest.raises(NotFound) as refused:
            help_plans.list_plans(stranger, child_id)
        assert plan["id"] not in str(refused.value)
        with pytest.raises(NotFound):
            help_plans.overdue_actions(stranger, child_id)
