"""What every use case shares: the municipality's date, and no answer without the gate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.usecases.base import UseCase
from tests.unit.usecases.conftest import Read


def test_today_is_the_date_in_the_municipalitys_time_zone(store, clock):
    use_case = UseCase(store, clock, "Europe/Warsaw")
    clock.now = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)  # already 4 March in Warsaw
    assert use_case.today() == date(2026, 3, 4)
    assert UseCase(store, clock, "UTC").today() == date(2026, 3, 3)


def test_a_read_without_a_gate_is_refused(store, clock, world, child):
    with pytest.raises(RuntimeError, match="gate"):
        UseCase(store, clock).audited(world.actor("school"), [child], "identity")


def test_an_audited_read_goes_through_the_gate(store, clock, gate, world, child):
    UseCase(store, clock, gate=gate).audited(world.actor("coordinator"), [child], "identity")
    assert gate.reads == [Read(world.users["coordinator"].id, (str(child),), "identity", "coordinator")]
