"""The children read model on PostgreSQL: it says what the records say and a rebuild equals live."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import Settings
from tests.projections.test_children import (
    test_families_names_and_plans_match_the_records_and_a_rebuild_equals_live as families_names_and_plans,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path: Path, postgres_url: str) -> Settings:
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    assert settings.uses_postgres
    return settings


def test_the_children_view_on_postgres(services, world, recorded_by_clock):
    families_names_and_plans(services, world, recorded_by_clock)
