"""The test world: a municipality with an agency of each kind and a user per role.

Shared by the tests that go through the services (``tests/conftest.py``) and the use-case
unit tests on the in-memory store (``tests/unit/usecases/conftest.py``): both build it
through the directory use case, so they read as what a person does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from domain.access import Actor
from services.usecases.directory import Directory

#: The agency kinds of a test world, one agency each.
AGENCY_KINDS = ("school", "police", "ops", "court_curator", "health", "gkrpa", "pcpr", "day_centre", "ngo", "team")


@dataclass
class Member:
    """A user of the test world: its id, token and the Actor the policy sees."""

    id: UUID
    token: str
    actor: Actor
    agency_id: UUID | None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    municipality_id: UUID
    agencies: dict[str, UUID] = field(default_factory=dict)
    users: dict[str, Member] = field(default_factory=dict)

    def actor(self, label: str) -> Actor:
        """The Actor of the user with this label."""
        return self.users[label].actor


#: Who is who in a test world: label -> (agency kind or None, role).
PEOPLE = {
    "admin": (None, "admin"),
    "auditor": (None, "auditor"),
    "school": ("school", "submitter"),
    "police": ("police", "submitter"),
    "health": ("health", "submitter"),
    "day_centre": ("day_centre", "submitter"),
    "case_worker": ("ops", "case_worker"),
    "family_assistant": ("ops", "family_assistant"),
    "coordinator": ("team", "coordinator"),
}


def make_world(directory: Directory, name: str = "Gmina Testowa") -> World:
    """One municipality, an agency per kind, and users named by what they are."""
    municipality_id = UUID(directory.create_municipality(name)["id"])
    world = World(municipality_id)
    for kind in AGENCY_KINDS:
        world.agencies[kind] = UUID(directory.create_agency(None, municipality_id, kind, f"{kind} 1")["id"])
    for label, (agency_kind, role) in PEOPLE.items():
        agency_id = world.agencies[agency_kind] if agency_kind else None
        created = directory.create_user(
            None, role=role, name=label, agency_id=agency_id, municipality_id=municipality_id
        )
        actor = directory.authenticate(created["token"])
        assert actor is not None
        world.users[label] = Member(UUID(created["id"]), created["token"], actor, agency_id)
    return world
