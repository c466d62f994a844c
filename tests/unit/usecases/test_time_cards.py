"""Time cards: one per assistant and month, impossible entries refused by field, the coordinator's decision."""

from __future__ import annotations

from datetime import date, time
from uuid import UUID, uuid4

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.usecases.time_cards import TimeCards
from tests.unit.usecases.conftest import register_child

MONTH = "2026-03"


@pytest.fixture
def card(time_cards: TimeCards, world) -> UUID:
    return UUID(time_cards.open(world.actor("family_assistant"), MONTH)["id"])


def add(time_cards, actor, card_id, child_id, day=date(2026, 3, 2), start=time(9), end=time(11, 30), **extra):
    return time_cards.add_entry(
        actor,
        card_id,
        date=day,
        start=start,
        end=end,
        place="dom rodziny",
        topic="budżet domowy",
        child_ids=[child_id],
        **extra,
    )


def test_an_assistant_opens_one_card_per_month(time_cards, world, card):
    with pytest.raises(Conflict) as refused:
        time_cards.open(world.actor("family_assistant"), MONTH)
    assert refused.value.details == {"existing_id": str(card)}
    assert [c["id"] for c in time_cards.list_cards(world.actor("coordinator"), MONTH)] == [str(card)]


def test_a_month_that_has_not_begun_by_the_clock_cannot_be_opened(time_cards, world, clock):
    with pytest.raises(InvalidInput) as refused:
        time_cards.open(world.actor("family_assistant"), "2026-04")
    assert "month" in refused.value.errors
    clock.advance(days=29)  # 1 April
    assert time_cards.open(world.actor("family_assistant"), "2026-04")["status"] == "open"


def test_only_family_assistants_keep_cards(time_cards, world):
    with pytest.raises(Forbidden):
        time_cards.open(world.actor("case_worker"), MONTH)


def test_an_entry_counts_its_hours(time_cards, world, card, child):
    answer = add(time_cards, world.actor("family_assistant"), card, child)
    [entry] = answer["entries"]
    assert (entry["start"], entry["end"], entry["minutes"], entry["hours"]) == ("09:00", "11:30", 150, 2.5)
    assert answer["totals"]["hours"] == 2.5


@pytest.mark.parametrize(
    ("day", "start", "end", "field"),
    [
        (date(2026, 3, 2), time(11), time(10), "end"),
        (date(2026, 2, 27), time(9), time(10), "date"),
        (date(2026, 3, 4), time(9), time(10), "date"),  # after today by the clock
        (date(2026, 3, 2), time(11), time(12), "start"),  # overlaps 09:00-11:30
    ],
)
def test_an_impossible_entry_is_refused_naming_the_field(time_cards, world, card, child, day, start, end, field):
    assistant = world.actor("family_assistant")
    add(time_cards, assistant, card, child)
    with pytest.raises(InvalidInput) as refused:
        add(time_cards, assistant, card, child, day=day, start=start, end=end)
    assert field in refused.value.errors


def test_an_entry_for_a_child_unknown_here_is_refused_by_position(time_cards, children, world, other_world, card):
    elsewhere = register_child(children, other_world.actor("school"))
    for child_id in (uuid4(), elsewhere):
        with pytest.raises(InvalidInput) as refused:
            add(time_cards, world.actor("family_assistant"), card, child_id)
        assert "child_ids.0" in refused.value.errors


def test_an_entry_for_an_unknown_help_plan_is_refused(time_cards, world, card):
    with pytest.raises(InvalidInput) as refused:
        time_cards.add_entry(
            world.actor("family_assistant"),
            card,
            date=date(2026, 3, 2),
            start=time(9),
            end=time(10),
            place="dom",
            topic="x",
            help_plan_id=uuid4(),
        )
    assert "help_plan_id" in refused.value.errors


def test_an_entry_for_a_help_plan_counts_for_the_plans_household(time_cards, help_plans, world, card, child):
    plan = help_plans.draw(
        world.actor("family_assistant"),
        child_ids=[child],
        household="Wiśniewscy",
        plan={
            "main_goal": "cel",
            "actions": [{"party": "family", "description": "x", "due": date(2026, 3, 20)}],
            "next_evaluation": date(2026, 4, 1),
        },
    )
    assistant = world.actor("family_assistant")
    entry = time_cards.add_entry(
        assistant,
        card,
        date=date(2026, 3, 2),
        start=time(9),
        end=time(10),
        place="dom",
        topic="plan",
        help_plan_id=UUID(plan["id"]),
    )["entries"][0]
    assert entry["child_ids"] == [str(child)]
    totals = time_cards.totals(world.actor("coordinator"), MONTH)
    assert [(f["label"], f["minutes"]) for f in totals["per_family"]] == [("Wiśniewscy", 60)]
    assert totals["per_assistant"][0]["assistant"] == "family_assistant"


def test_another_assistants_card_is_not_theirs_to_change_or_read(time_cards, directory, world, card, child):
    other = directory.authenticate(
        directory.create_user(None, role="family_assistant", name="Druga", agency_id=world.agencies["ops"])["token"]
    )
    # Another assistant's card reads as no card at all: its id is derived from the assistant and the month.
    with pytest.raises(NotFound, match=r"^time card not found$"):
        add(time_cards, other, card, child)
    with pytest.raises(NotFound, match=r"^time card not found$"):
        time_cards.get(other, card)
    assert time_cards.list_cards(other, MONTH) == []


def test_reading_a_card_audits_the_children_it_names(time_cards, gate, world, card, child):
    add(time_cards, world.actor("family_assistant"), card, child)
    time_cards.get(world.actor("coordinator"), card)
    [read] = [r for r in gate.reads if r.user_id == world.actor("coordinator").user_id]
    assert (read.view, read.child_ids, read.grounds) == ("time_card", (str(child),), "coordinator")


def test_a_submitted_card_is_accepted_by_the_coordinator_and_then_closed(time_cards, world, card, child):
    assistant, coordinator = world.actor("family_assistant"), world.actor("coordinator")
    add(time_cards, assistant, card, child)
    with pytest.raises(Conflict, match="only a submitted card"):
        time_cards.accept(coordinator, card)
    assert time_cards.submit(assistant, card)["status"] == "submitted"
    with pytest.raises(InvalidInput) as refused:
        add(time_cards, assistant, card, child, day=date(2026, 3, 3))
    assert "with the coordinator" in refused.value.errors["date"][0]
    accepted = time_cards.accept(coordinator, card, note="ok")
    assert (accepted["status"], accepted["decision"]["note"]) == ("accepted", "ok")
    with pytest.raises(Conflict):
        time_cards.submit(assistant, card)


def test_a_returned_card_can_be_corrected_and_submitted_again(time_cards, world, card, child):
    assistant, coordinator = world.actor("family_assistant"), world.actor("coordinator")
    entry_id = UUID(add(time_cards, assistant, card, child)["entries"][0]["id"])
    time_cards.submit(assistant, card)
    assert time_cards.return_card(coordinator, card, reason="zła godzina")["status"] == "returned"
    assert time_cards.remove_entry(assistant, card, entry_id, reason="pomyłka")["entries"] == []
    with pytest.raises(InvalidInput) as refused:
        time_cards.submit(assistant, card)
    assert "entries" in refused.value.errors
    add(time_cards, assistant, card, child, start=time(10), end=time(11))
    assert time_cards.submit(assistant, card)["status"] == "submitted"
