"""The help plan's rules: versions kept, evaluations by action, overdue actions."""

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import InvalidInput, NotFound
from domain.help_plans import HelpPlan

TODAY = date(2026, 3, 3)


def content(**overrides):
    plan = {
        "main_goal": "Bezpieczny dom",
        "next_evaluation": date(2026, 4, 1),
        "actions": [
            {"party": "family", "description": "świetlica", "due": date(2026, 3, 10)},
            {"party": "social_worker", "description": "zasiłek", "due": date(2026, 3, 6)},
        ],
    }
    plan.update(overrides)
    return plan


def draw(**overrides):
    return HelpPlan.draw(
        municipality_id=uuid4(),
        child_ids=[uuid4()],
        household="",
        plan=content(**overrides),
        author_id=uuid4(),
        agency_id=uuid4(),
        today=TODAY,
    )


def test_a_revision_is_a_new_version_and_the_old_one_stays():
    plan = draw()
    kept = plan.current["actions"][1]["id"]
    plan.revise(
        plan=content(
            actions=[{"id": kept, "party": "social_worker", "description": "zasiłek", "due": date(2026, 3, 20)}]
        ),
        reason="nowe okoliczności",
        author_id=uuid4(),
        agency_id=uuid4(),
        today=TODAY,
    )
    assert [v["version"] for v in plan.versions] == [1, 2]
    assert len(plan.version_of(1)["actions"]) == 2 and len(plan.current["actions"]) == 1
    assert plan.current["actions"][0]["id"] == kept
    with pytest.raises(NotFound):
        plan.version_of(3)


def test_a_revision_cannot_claim_an_unknown_action_id_nor_skip_the_reason():
    plan = draw()
    with pytest.raises(InvalidInput) as e:
        plan.revise(
            plan=content(actions=[{"id": "nope", "party": "family", "description": "x", "due": date(2026, 3, 20)}]),
            reason=" ",
            author_id=uuid4(),
            agency_id=uuid4(),
            today=TODAY,
        )
    assert "plan.actions.0.id" in e.value.errors


def test_overdue_means_past_due_and_not_evaluated_done():
    plan = draw()
    family, worker = (a["id"] for a in plan.current["actions"])
    assert [a["id"] for a in plan.overdue_actions(date(2026, 3, 7))] == [worker]
    plan.evaluate(
        held_on=date(2026, 3, 11),
        results={family: "done", worker: "partly_done"},
        situation="lepiej",
        author_id=uuid4(),
        today=date(2026, 3, 11),
    )
    overdue = plan.overdue_actions(date(2026, 3, 11))
    assert [(a["id"], a["last_result"], a["days_overdue"]) for a in overdue] == [(worker, "partly_done", 5)]


def test_an_evaluation_names_every_wrong_field():
    plan = draw()
    with pytest.raises(InvalidInput) as e:
        plan.evaluate(
            held_on=date(2026, 3, 9),
            results={"x": "done"},
            situation="",
            author_id=uuid4(),
            today=TODAY,
            next_evaluation=date(2026, 3, 1),
        )
    assert set(e.value.errors) == {"held_on", "results.x", "situation", "next_evaluation"}


def test_a_plan_needs_children_a_goal_and_actions():
    with pytest.raises(InvalidInput) as e:
        HelpPlan.draw(
            municipality_id=uuid4(),
            child_ids=[],
            household="",
            plan=content(),
            author_id=uuid4(),
            agency_id=uuid4(),
            today=TODAY,
        )
    assert set(e.value.errors) == {"child_ids"}
    with pytest.raises(InvalidInput) as e:
        draw(main_goal="", actions=[])
    assert set(e.value.errors) == {"plan.main_goal", "plan.actions"}
