"""Worlds for API tests: a fresh municipality whose agencies and users appear on first use."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.bootstrap import Services
from tests.worlds import PEOPLE, Member, World


class _OnDemand(dict):
    """A dict that creates a missing entry with ``create(key)`` and keeps it."""

    def __init__(self, create: Callable[[str], object]):
        super().__init__()
        self._create = create

    def __missing__(self, key: str):
        value = self[key] = self._create(key)
        return value


def lazy_world(services: Services, name: str = "Gmina Testowa") -> World:
    """A new municipality whose agencies and users appear when first used."""
    municipality_id = UUID(services.directory.create_municipality(name)["id"])
    world = World(municipality_id)

    def agency(kind: str) -> UUID:
        return UUID(services.directory.create_agency(None, municipality_id, kind, f"{kind} 1")["id"])

    def member(label: str) -> Member:
        agency_kind, role = PEOPLE[label]
        agency_id = world.agencies[agency_kind] if agency_kind else None
        created = services.directory.create_user(
            None, role=role, name=label, agency_id=agency_id, municipality_id=municipality_id
        )
        return Member(
            UUID(created["id"]), created["token"], services.directory.authenticate(created["token"]), agency_id
        )

    world.agencies = _OnDemand(agency)
    world.users = _OnDemand(member)
    return world
