"""Working groups: opened with their core, from a card in the same save, meetings in order."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.usecases.loading import listed


def core(world) -> list[dict]:
    return [
        {"user_id": world.users["case_worker"].id, "function": "pracownik socjalny"},
        {"user_id": world.users["police"].id},
    ]


@pytest.fixture
def group(groups, world, child) -> UUID:
    return UUID(groups.open(world.actor("coordinator"), name="Grupa", members=core(world), child_ids=[child])["id"])


def card_for(blue_cards, world, child, forwarded=True) -> UUID:
    card = UUID(
        blue_cards.fill_form_a(
            world.actor("school"),
            incident_date=date(2026, 3, 1),
            place="dom",
            description="opis",
            child_victim_ids=[child],
            perpetrators=["Jan K"],
        )["id"]
    )
    if forwarded:
        blue_cards.forward(world.actor("school"), card)
    return card


def test_the_chair_opens_a_group_with_its_members_described(groups, world, child, group):
    opened = groups.get(world.actor("coordinator"), group)
    assert opened["child_ids"] == [str(child)]
    social_worker, police = opened["members"]
    assert (social_worker["agency_kind"], social_worker["role"], social_worker["function"]) == (
        "ops",
        "case_worker",
        "pracownik socjalny",
    )
    assert (police["agency_kind"], police["agency_id"]) == ("police", str(world.agencies["police"]))


def test_a_group_without_its_core_is_refused(groups, world):
    with pytest.raises(InvalidInput, match="police officer") as refused:
        groups.open(world.actor("coordinator"), name="Grupa", members=core(world)[:1])
    assert "members" in refused.value.errors


def test_a_member_unknown_here_is_refused_by_position(groups, world, other_world):
    members = [*core(world), {"user_id": other_world.users["school"].id}]
    with pytest.raises(InvalidInput) as refused:
        groups.open(world.actor("coordinator"), name="Grupa", members=members)
    assert "members[2].user_id" in refused.value.errors


def test_only_the_chair_opens_groups(groups, world):
    with pytest.raises(Forbidden):
        groups.open(world.actor("case_worker"), name="Grupa", members=core(world))


def test_a_group_opened_from_a_card_takes_its_children_and_assigns_itself(groups, blue_cards, store, world, child):
    card = card_for(blue_cards, world, child)
    opened = groups.open(world.actor("coordinator"), name="Grupa", members=core(world), blue_card_id=card)
    assert (opened["blue_card_id"], opened["child_ids"]) == (str(card), [str(child)])
    assigned = blue_cards.get(world.actor("coordinator"), card)
    assert (assigned["status"], assigned["group_id"]) == ("group_assigned", opened["id"])


def test_a_group_cannot_be_opened_from_a_card_not_yet_forwarded(groups, blue_cards, store, world, child):
    card = card_for(blue_cards, world, child, forwarded=False)
    with pytest.raises(Conflict, match="not been forwarded"):
        groups.open(world.actor("coordinator"), name="Grupa", members=core(world), blue_card_id=card)
    assert listed(store, f"groups:{world.municipality_id}") == []  # nothing of the group was saved


def test_an_unknown_card_is_refused_naming_the_field(groups, world):
    with pytest.raises(InvalidInput) as refused:
        groups.open(world.actor("coordinator"), name="Grupa", members=core(world), blue_card_id=uuid4())
    assert "blue_card_id" in refused.value.errors


def test_reading_a_group_is_audited_and_only_for_members_and_the_chair(groups, gate, world, child, group):
    police = world.actor("police")
    groups.get(police, group)
    assert [(r.view, r.child_ids) for r in gate.reads if r.user_id == police.user_id] == [
        ("working_group", (str(child),))
    ]
    with pytest.raises(NotFound, match=r"^working group not found$"):  # not on it: as if it did not exist
        groups.get(world.actor("school"), group)
    assert [g["id"] for g in groups.list(police)] == [str(group)]
    assert [(r.view, r.child_ids) for r in gate.reads if r.user_id == police.user_id][-1] == (
        "working_groups",
        (str(child),),
    )
    assert groups.list(world.actor("school")) == []


def test_another_municipality_does_not_find_the_group(groups, other_world, group):
    with pytest.raises(NotFound):
        groups.get(other_world.actor("coordinator"), group)


def test_a_meeting_in_the_past_by_the_clock_is_refused(groups, world, group, clock):
    with pytest.raises(InvalidInput) as refused:
        groups.schedule_meeting(world.actor("case_worker"), group, scheduled_for=clock() - timedelta(minutes=1))
    assert "scheduled_for" in refused.value.errors


def test_a_decision_waits_for_the_minutes_and_keeps_its_knowledge_position(groups, store, world, group, clock):
    worker = world.actor("case_worker")
    meeting = UUID(groups.schedule_meeting(worker, group, scheduled_for=clock() + timedelta(days=1), place="OPS")["id"])
    with pytest.raises(Conflict, match="before its decisions"):
        groups.record_decision(worker, group, meeting, text="wniosek do sądu")
    clock.advance(days=1)
    held = groups.hold_meeting(
        worker, group, meeting, attendees=[{"agency_id": world.agencies["ops"]}], minutes="omówiono sytuację"
    )
    assert (held["held"], held["held_on"], held["attendees"][0]["agency_kind"]) == (True, "2026-03-04", "ops")
    position = store.recorder.max_notification_id()
    decision = groups.record_decision(worker, group, meeting, text="wniosek do sądu")
    assert (decision["text"], decision["knowledge_position"]) == ("wniosek do sądu", position)
    with pytest.raises(Conflict, match="already recorded"):
        groups.hold_meeting(worker, group, meeting, attendees=[{"agency_id": world.agencies["ops"]}], minutes="x")


def test_only_members_and_the_chair_record_the_groups_work(groups, world, group, clock):
    with pytest.raises(NotFound, match=r"^working group not found$"):
        groups.schedule_meeting(world.actor("school"), group, scheduled_for=clock() + timedelta(days=1))


def test_an_action_is_assigned_to_an_owner_of_this_municipality_and_marked_done(groups, world, other_world, group):
    worker = world.actor("case_worker")
    with pytest.raises(InvalidInput) as refused:
        groups.assign_action(
            worker,
            group,
            description="wizyta",
            due_on=date(2026, 3, 10),
            owner_user_id=other_world.users["case_worker"].id,
        )
    assert "owner_user_id" in refused.value.errors
    action = groups.assign_action(
        worker, group, description="wizyta", due_on=date(2026, 3, 10), owner_agency_id=world.agencies["ops"]
    )
    assert (action["done"], action["owner_agency_id"]) == (False, str(world.agencies["ops"]))
    done = groups.mark_action_done(worker, group, UUID(action["id"]), note="odbyta")
    assert (done["done"], done["note"]) == (True, "odbyta")
    with pytest.raises(Conflict):
        groups.mark_action_done(worker, group, UUID(action["id"]))


def test_the_team_calendar_belongs_to_the_chair(groups, world, clock):
    chair = world.actor("coordinator")
    assert groups.team_meetings(chair) == []
    meeting = groups.schedule_team_meeting(chair, scheduled_for=clock() + timedelta(days=7), place="Urząd")
    assert [m["id"] for m in groups.team_meetings(chair)] == [meeting["id"]]
    with pytest.raises(Forbidden):
        groups.schedule_team_meeting(world.actor("case_worker"), scheduled_for=clock() + timedelta(days=7))
