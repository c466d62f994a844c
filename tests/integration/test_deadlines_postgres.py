"""The deadlines projection on PostgreSQL: the same rows live and after a rebuild, and the agendas read them."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from services.config import Settings
from tests.projections.test_deadlines import procedure_history

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    assert settings.uses_postgres
    return settings


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
