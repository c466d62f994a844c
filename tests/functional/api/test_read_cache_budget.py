"""The read caches hold at most SAFEHUB_READ_CACHE_ROWS rows each, and answers stay whole and current."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import Settings
from services.usecases.timelines import RENDERED_BYTES_PER_ROW
from tests.functional.api import test_timeline as base
from tests.functional.api.test_timeline import days_ago, post_signal, timeline

story, clock = base.story, base.clock
BUDGET = 4


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_READ_CACHE_ROWS": str(BUDGET)})


def test_a_timeline_longer_than_the_budget_is_read_whole_and_current_and_not_kept(
    client, services, world, story, clock
):
    child, _ = story
    reader, school = world.users["coordinator"], world.users["school"]
    for day in range(2, 6):
        post_signal(client, school, child, "unexplained_absence", days_ago(clock, day), days=1)
    first = timeline(client, reader, child)
    assert len(first["entries"]) > BUDGET
    assert timeline(client, reader, child) == first
    new = post_signal(client, school, child, "unexplained_absence", days_ago(clock, 1), days=1)
    assert new in [e["id"] for e in timeline(client, reader, child)["entries"]]
    risk = client.get(f"/api/v1/children/{child}/risk", headers=reader.headers)
    assert risk.status_code == 200, risk.json
    for name, cache in (("timeline", "_rows_cache"), ("risk", "_signals_cache")):
        kept = getattr(services.followers[name].view, cache)
        assert kept.max_weight == BUDGET and kept.weight <= BUDGET, name
    rendered = services.views.rendered  # the timelines' JSON, within its budget too
    assert rendered.max_weight == BUDGET * RENDERED_BYTES_PER_ROW and rendered.weight <= rendered.max_weight
