"""The deadlines projection on PostgreSQL: the same rows live and after a rebuild, and the agendas read them."""

from __future__ import annotations

from uuid import UUID

import pytest

from services.config import Settings
from tests.unit.projections.test_deadlines import procedure_history

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_rebuild_equals_live_and_the_agendas_read_it_on_postgres(services, world, recorded_by_clock):
    procedure_history(services, world, recorded_by_clock, cards=8)
    follower = services.followers["deadlines"]
    follower.catch_up()
    live = follower.view.dump()
    assert {r["status"] for r in live["deadline_items"]} == {"open", "met", "late"}
    follower.rebuild()
    assert follower.view.dump() == live
    chair = world.users["coordinator"].actor
    listed = services.deadlines.list(chair)
    assert listed["summary"]["overdue"] > 0
    team = services.agendas.team_agenda(chair)
    assert team["items"] and team["since_reason"] == "the team's last meeting"
    group_id = next(g["group_id"] for g in live["deadline_groups"])
    assert services.agendas.group_agenda(chair, UUID(group_id))["items"]
