"""The programme report on PostgreSQL: the hand-counted year, and a rebuild from zero equals live."""

from __future__ import annotations

import pytest

from services.config import Settings
from tests.unit.projections.test_programme import EXPECTED_2025, YEAR_END, YEAR_START, as_dict, crafted_year

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_the_year_and_its_rebuild_on_postgres(services, world, recorded_by_clock):
    crafted_year(services, world, recorded_by_clock)
    chair = world.users["coordinator"].actor
    live = services.reports.programme(chair, YEAR_START, YEAR_END)
    assert as_dict(live) == EXPECTED_2025
    rows = services.followers["programme"].view.dump()
    for name in ("programme", "deadlines"):
        services.followers[name].rebuild()
    assert services.followers["programme"].view.dump() == rows
    rebuilt = services.reports.programme(chair, YEAR_START, YEAR_END)
    assert {k: v for k, v in rebuilt.items() if k != "computed_at"} == {
        k: v for k, v in live.items() if k != "computed_at"
    }
    cases = services.reports.cases(chair, "deadline_breaches:form_a_to_chair", YEAR_START, YEAR_END)
    assert sorted(c["delay_working_days"] for c in cases["cases"]) == [4, 6]
