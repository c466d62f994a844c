"""Reading the log for the projections on PostgreSQL: batch decoding (keys fetched per batch,
not per child) equals one by one, and every view rebuilt in large batches equals live."""

from __future__ import annotations

import pytest

from services.config import Settings
from tests.unit.projections.test_decoding import check_batch_decoding, check_views_rebuild

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_batch_decoding_on_postgres(services, world, clock):
    check_batch_decoding(services, world, clock)


def test_every_view_rebuilds_to_live_on_postgres(services, world, clock):
    check_views_rebuild(services, world, clock)
