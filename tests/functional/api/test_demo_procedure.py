"""The demo's Blue Card scenario: a card in progress with a group, and a breached deadline."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from services.demo.world import load_demo
from tests.conftest import Clock


@pytest.fixture
def clock():
    return Clock(datetime.now(UTC))  # the demo tells its story relative to now


def test_demo_has_a_card_in_progress_and_one_with_a_breached_deadline(services, clock):
    result = load_demo(services, clock())
    chair = next(services.directory.authenticate(u["token"]) for u in result.users if u["role"] == "coordinator")
    cards = services.blue_cards.list(chair)
    assert sorted(c["status"] for c in cards) == ["filled", "group_assigned"]
    deadlines = services.deadlines.list(chair)
    breached = [i for i in deadlines["items"] if i["state"] == "overdue" and i["kind"] != "help_plan_action"]
    assert [i["kind"] for i in breached] == ["form_a_to_chair"] and breached[0]["delay_working_days"] >= 1
    # the demo family's help plan has one action past due: it joins the deadline list
    assert [i["kind"] for i in deadlines["items"] if i["kind"] == "help_plan_action"] == ["help_plan_action"]
    [group] = services.groups.list(chair)
    agenda = services.agendas.group_agenda(chair, UUID(group["id"]))
    names = [i["subject"]["label"] for i in agenda["items"] if i["subject"]["type"] == "child"]
    assert set(names) == {"Kacper Wiśniewski", "Zuzanna Wiśniewska"}
    assert agenda["next_meeting"] is not None and all(i["reasons"] for i in agenda["items"][:2])
    team = services.agendas.team_agenda(chair)
    [late] = [i for i in team["items"] if "deadline_breached" in [r["code"] for r in i["reasons"]]]
    assert late["subject"]["blue_card_id"] == breached[0]["blue_card_id"]
