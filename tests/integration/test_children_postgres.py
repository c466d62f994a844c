"""The children read model on PostgreSQL: it says what the records say and a rebuild equals live."""

from __future__ import annotations

import pytest

from services.config import Settings
from tests.unit.projections.test_children import (
    test_families_names_and_plans_match_the_records_and_a_rebuild_equals_live as families_names_and_plans,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_the_children_view_on_postgres(services, world, recorded_by_clock):
    families_names_and_plans(services, world, recorded_by_clock)
