"""The Blue Card procedure: form A to closure, each step in order and by those who take part."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound

PERPETRATOR = "Jan Kowalski"


def fill(blue_cards, actor, child_ids, **overrides) -> dict:
    fields = {
        "incident_date": date(2026, 3, 1),
        "place": "mieszkanie",
        "description": "krzyki, siniaki",
        "child_victim_ids": child_ids,
        "perpetrators": [PERPETRATOR],
    }
    fields.update(overrides)
    return blue_cards.fill_form_a(actor, **fields)


def core(world) -> list[dict]:
    return [{"user_id": world.users["case_worker"].id}, {"user_id": world.users["police"].id}]


@pytest.fixture
def card(blue_cards, world, child) -> UUID:
    return UUID(fill(blue_cards, world.actor("school"), [child])["id"])


@pytest.fixture
def grouped(blue_cards, groups, world, card) -> UUID:
    """The card forwarded and given a group opened from it; returns the group's id."""
    blue_cards.forward(world.actor("school"), card)
    return UUID(
        groups.open(world.actor("coordinator"), name="Grupa Wiśniewskich", members=core(world), blue_card_id=card)["id"]
    )


def test_an_initiating_service_fills_form_a(blue_cards, world, child):
    filled = fill(blue_cards, world.actor("school"), [child], filled_on=date(2026, 3, 2))
    assert (filled["status"], filled["filled_on"], filled["agency_kind"]) == ("filled", "2026-03-02", "school")
    assert filled["child_victim_ids"] == [str(child)] and filled["perpetrators"] == [PERPETRATOR]
    assert [s["step"] for s in filled["steps"]] == ["FormAFilled"]


def test_a_service_that_does_not_initiate_may_not_fill_form_a(blue_cards, world, child):
    with pytest.raises(Forbidden, match="initiating service"):
        fill(blue_cards, world.actor("day_centre"), [child])


def test_a_child_victim_unknown_here_is_refused_by_position(blue_cards, world, other_world, child):
    with pytest.raises(InvalidInput) as refused:
        fill(blue_cards, other_world.actor("school"), [child])
    assert "child_victim_ids[0]" in refused.value.errors


def test_an_impossible_form_a_is_refused_naming_each_field(blue_cards, world, child):
    with pytest.raises(InvalidInput) as refused:
        fill(blue_cards, world.actor("school"), [child], incident_date=date(2026, 3, 4), perpetrators=[])
    assert {"incident_date", "perpetrators"} <= set(refused.value.errors)


def test_form_a_dated_after_today_by_the_clock_is_refused(blue_cards, world, child):
    with pytest.raises(InvalidInput) as refused:
        fill(blue_cards, world.actor("school"), [child], filled_on=date(2026, 3, 4))
    assert "filled_on" in refused.value.errors


def test_the_filling_agency_forwards_the_card_once(blue_cards, world, card):
    forwarded = blue_cards.forward(world.actor("school"), card, note="wysłano pocztą")
    assert (forwarded["status"], forwarded["forwarded"]) == ("forwarded", True)
    with pytest.raises(Conflict, match="already been forwarded"):
        blue_cards.forward(world.actor("coordinator"), card)


def test_an_agency_that_takes_no_part_may_not_forward_or_read_the_card(blue_cards, gate, world, card):
    before = list(gate.reads)
    with pytest.raises(NotFound, match="blue card not found"):  # as if there were no such card
        blue_cards.forward(world.actor("health"), card)
    with pytest.raises(NotFound, match="blue card not found"):
        blue_cards.get(world.actor("health"), card)
    assert blue_cards.list(world.actor("health")) == []
    assert gate.reads_of(card) == [] and all(r.child_ids == () for r in gate.reads[len(before) :])


def test_another_municipality_does_not_find_the_card(blue_cards, other_world, card):
    with pytest.raises(NotFound):
        blue_cards.get(other_world.actor("coordinator"), card)


def test_reading_a_card_audits_its_child_victims(blue_cards, gate, world, child, card):
    blue_cards.get(world.actor("school"), card)
    read = gate.reads[-1]  # the card's answer to form A was logged too
    assert (read.view, read.child_ids, read.user_id) == ("blue_card", (str(child),), world.users["school"].id)


def test_the_chair_lists_cards_by_status(blue_cards, world, child, card):
    fill(blue_cards, world.actor("police"), [child])
    blue_cards.forward(world.actor("school"), card)
    assert len(blue_cards.list(world.actor("coordinator"))) == 2
    assert [c["id"] for c in blue_cards.list(world.actor("coordinator"), status="forwarded")] == [str(card)]
    assert [c["id"] for c in blue_cards.list(world.actor("school"))] == [str(card)]


def test_a_group_cannot_be_assigned_before_the_card_is_forwarded(blue_cards, groups, world, card):
    group = groups.open(world.actor("coordinator"), name="Grupa", members=core(world))
    with pytest.raises(Conflict, match="not been forwarded"):
        blue_cards.assign_group(world.actor("coordinator"), card, UUID(group["id"]))


def test_the_chair_assigns_an_existing_group_and_both_record_it(blue_cards, groups, store, world, card):
    group_id = UUID(groups.open(world.actor("coordinator"), name="Grupa", members=core(world))["id"])
    blue_cards.forward(world.actor("school"), card)
    assigned = blue_cards.assign_group(world.actor("coordinator"), card, group_id)
    assert (assigned["status"], assigned["group_id"]) == ("group_assigned", str(group_id))
    assert store.repository.get(group_id).blue_card_id == card
    with pytest.raises(Conflict, match="already assigned"):
        blue_cards.assign_group(world.actor("coordinator"), card, group_id)


def test_a_group_already_working_on_another_card_is_refused(blue_cards, groups, world, child, grouped):
    other = UUID(fill(blue_cards, world.actor("police"), [child])["id"])
    blue_cards.forward(world.actor("coordinator"), other)
    with pytest.raises(Conflict, match="already works on a Blue Card"):
        blue_cards.assign_group(world.actor("coordinator"), other, grouped)


def test_an_unknown_group_is_refused_naming_the_field(blue_cards, world, card):
    blue_cards.forward(world.actor("school"), card)
    with pytest.raises(InvalidInput) as refused:
        blue_cards.assign_group(world.actor("coordinator"), card, uuid4())
    assert "group_id" in refused.value.errors


def test_form_c_needs_a_group_first(blue_cards, world, child, card):
    with pytest.raises(Conflict, match="needs a diagnostic and support group"):
        blue_cards.record_form_c(world.actor("coordinator"), card, victim=str(child), assessment="a", help_plan="p")


def test_the_group_works_the_card_to_closure_and_reviews_follow(blue_cards, world, child, card, grouped):
    worker, chair = world.actor("case_worker"), world.actor("coordinator")
    with pytest.raises(Conflict, match="follow closure"):
        blue_cards.record_review(worker, card, outcome="spokój")
    blue_cards.record_form_c(worker, card, victim=str(child), assessment="zagrożenie", help_plan="terapia")
    blue_cards.record_form_d(world.actor("police"), card, perpetrator=" Jan  Kowalski ", assessment="pouczony")
    assert blue_cards.start_monitoring(worker, card)["status"] == "monitoring"
    closed = blue_cards.close(chair, card, reason="violence_ceased_plan_done")
    assert closed["status"] == "closed"
    with pytest.raises(Conflict, match="closed"):
        blue_cards.hand_form_b(world.actor("school"), card, victim=str(child))
    reviewed = blue_cards.record_review(worker, card, outcome="bez przemocy")
    assert reviewed["reviews"] == 1
    assert [s["step"] for s in reviewed["steps"]] == [
        "FormAFilled",
        "ForwardedToChair",
        "GroupAssigned",
        "FormCRecorded",
        "FormDRecorded",
        "MonitoringStarted",
        "Closed",
        "MonitoringReviewRecorded",
    ]


def test_closing_as_plan_done_needs_form_c(blue_cards, world, grouped, card):
    with pytest.raises(Conflict, match="form C"):
        blue_cards.close(world.actor("coordinator"), card, reason="violence_ceased_plan_done")
    assert blue_cards.close(world.actor("coordinator"), card, reason="action_not_justified")["status"] == "closed"


def test_only_the_group_and_the_chair_record_the_groups_work(blue_cards, world, child, card, grouped):
    with pytest.raises(NotFound, match="blue card not found"):  # health takes no part: no such card to it
        blue_cards.record_form_c(world.actor("health"), card, victim=str(child), assessment="a", help_plan="p")


def test_form_d_names_a_perpetrator_from_form_a(blue_cards, world, card, grouped):
    with pytest.raises(InvalidInput) as refused:
        blue_cards.record_form_d(world.actor("police"), card, perpetrator="Ktoś Inny", assessment="a")
    assert "perpetrator" in refused.value.errors
