"""The children read model (families, names, help plans for the agendas): it says what the records
say, an erased name is gone from it, and a rebuild from zero equals following live."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.children import Child
from tests.functional.api.test_help_plans import plan_body
from tests.unit.projections.history import generate


def _plan(world, **overrides) -> dict:
    """The API tests' plan, as the service takes it (agency ids as UUIDs)."""
    plan = plan_body(world, **overrides)
    plan["actions"] = [
        {
            **a,
            "due": date.fromisoformat(a["due"]),
            **({"agency_id": UUID(a["agency_id"])} if a.get("agency_id") else {}),
        }
        for a in plan["actions"]
    ]
    return {**plan, "next_evaluation": date.fromisoformat(plan["next_evaluation"])}


def _root(services, child_id: UUID) -> Child:
    child = services.store.repository.get(child_id)
    while child.merged_into is not None:
        child = services.store.repository.get(child.merged_into)
    return child


def test_families_names_and_plans_match_the_records_and_a_rebuild_equals_live(services, world, recorded_by_clock):
    clock = recorded_by_clock
    coordinator, assistant = world.users["coordinator"].actor, world.users["family_assistant"].actor
    follower = services.followers["children"]
    ids = generate(services, world, clock, children=12, signals=30)  # merges 0->3, 1->4, 2->5
    follower.catch_up()  # live, in the middle of the story
    services.children.merge(coordinator, ids[3], ids[6], reason="duplikat")  # 0 and 3 now end at 6
    clock.now = clock.now.replace(year=2026, month=3, day=2)
    family = services.help_plans.draw(assistant, child_ids=[ids[6], ids[7]], household="Testowi", plan=_plan(world))
    alone = services.help_plans.draw(assistant, child_ids=[ids[7]], plan=_plan(world))
    services.erasure.request(coordinator, ids[8], ground="authorised_request", reference="ZI.1")
    services.erasure.approve(world.users["auditor"].actor, ids[8])  # a second person
    services.followers.catch_up()
    view = follower.view

    families = view.families([str(i) for i in ids] + ["not-a-child"])
    assert "not-a-child" not in families
    timeline = services.followers["timeline"].view  # it agrees on the records that make up each child
    for child_id in ids:
        root = _root(services, child_id)
        found = families[str(child_id)]
        assert found["root"] == str(root.id) and found["name"] == root.display_name()
        assert found["records"] == [m["child_id"] for m in timeline.members(str(child_id))]
    assert families[str(ids[0])]["name"] == "Dziecko6 Testowe6"  # the root's name, two merges on
    assert families[str(ids[8])]["name"] is None and families[str(ids[8])]["records"] == [str(ids[8])]
    assert families[str(ids[9])]["name"] == "Dziecko9 Testowe9"

    plans = view.help_plans_of([str(i) for i in ids])
    assert plans == {str(ids[6]): [family["id"]], str(ids[7]): sorted([family["id"], alone["id"]])}
    for child_id in ids:  # the same plans the per-child listings hold
        listed = sorted(p["id"] for p in services.help_plans.list_plans(assistant, child_id))
        assert plans.get(str(child_id), []) == listed

    live = view.dump()
    assert "Dziecko8" not in str(live)
    follower.rebuild()
    assert view.dump() == live
    follower.batch_size = 3
    follower.rebuild()
    assert view.dump() == live


def test_overdue_help_plan_actions_found_through_the_read_model_equal_the_per_child_listing(
    services, world, recorded_by_clock
):
    clock = recorded_by_clock
    assistant = world.users["family_assistant"].actor
    ids = generate(services, world, clock, children=4, signals=4)
    clock.now = clock.now.replace(year=2026, month=3, day=2)
    services.help_plans.draw(assistant, child_ids=[ids[3], ids[2]], plan=_plan(world))
    services.help_plans.draw(
        assistant,
        child_ids=[ids[3]],
        plan=_plan(world, actions=[{"party": "family", "description": "wizyta u pediatry", "due": "2026-03-05"}]),
    )
    clock.now = clock.now.replace(month=3, day=25)
    services.deadlines.catch_up()
    records = [str(i) for i in ids]
    found = services.agendas.overdue_by_record(assistant, records)
    for child_id in ids:
        assert found.get(str(child_id), []) == services.help_plans.overdue_actions(assistant, child_id)
    assert len(found[str(ids[3])]) == 5 and len(found[str(ids[2])]) == 4
    assert services.agendas.overdue_by_record(world.users["school"].actor, records) is None
