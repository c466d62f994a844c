"""An adult named in a case (a victim, a suspected perpetrator, a household member, a parent) as a person.

Children have their own records; the adults around them were, until now, names typed
into a form, and a name typed into a form can never be erased. A ``Person`` gives each
adult an id and a key of their own (created when the person is registered): the person's
own fields are sealed under it, and every text about a case that concerns them is sealed
under it too (``domain/personal_data.py``), so erasing the person (``Person.Erased``,
after which the key is destroyed) makes all of it unreadable while the case's skeleton
(dates, counts, the chain) stays.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.agencies import require_name
from domain.erasure_rules import ErasableByTwo
from domain.errors import InvalidInput
from domain.field_checks import check_text

#: How a person is named in a case.
PERSON_ROLES = ("adult_victim", "perpetrator", "household_member", "parent")
MAX_ADDRESS = 500
MAX_RELATION = 200


class Person(ErasableByTwo, Aggregate):
    """One adult named in a case, in one municipality."""

    class Registered(Aggregate.Created):
        municipality_id: UUID
        name: str
        role: str
        relation: str
        date_of_birth: date | None
        address: str
        registered_by: UUID

    class ErasureRequested(Aggregate.Event):
        """A coordinator asked to erase the person; a second person approves."""

        requested_by: UUID
        ground: str
        reference: str

    class Erased(Aggregate.Event):
        """The person's personal data was erased (its key destroyed); the skeleton stays."""

        ground: str
        reference: str
        author_id: UUID
        author_role: str

    @event(Registered)
    def __init__(
        self,
        municipality_id: UUID,
        name: str,
        role: str,
        relation: str,
        date_of_birth: date | None,
        address: str,
        registered_by: UUID,
    ):
        self.municipality_id = municipality_id
        self.name: str | None = name
        self.role = role
        self.relation: str | None = relation
        self.date_of_birth = date_of_birth
        self.address: str | None = address
        self.registered_by = registered_by
        self.erased = False
        self.erasure_request: dict | None = None
        self.erasure_decision: dict | None = None

    @classmethod
    def register(
        cls,
        *,
        municipality_id: UUID,
        name: str,
        role: str,
        registered_by: UUID,
        relation: str = "",
        date_of_birth: date | None = None,
        address: str = "",
        field: str = "name",
        today: date | None = None,
    ) -> Person:
        """Register an adult as written on a form; ``field`` names the form's field in a refusal."""
        if role not in PERSON_ROLES:
            raise InvalidInput.one(f"{field}.role", f"must be one of: {', '.join(PERSON_ROLES)}")
        if date_of_birth is not None and today is not None and date_of_birth > today:
            raise InvalidInput.one(f"{field}.date_of_birth", "must not be in the future")
        return cls(
            municipality_id=municipality_id,
            name=require_name(field, name),
            role=role,
            relation=check_text(f"{field}.relation", relation, MAX_RELATION),
            date_of_birth=date_of_birth,
            address=check_text(f"{field}.address", address, MAX_ADDRESS),
            registered_by=registered_by,
        )

    # --- erasure (the checks and the state: domain/erasure_rules.py) -------------------

    @event(ErasureRequested)
    def _erasure_requested(self, requested_by: UUID, ground: str, reference: str) -> None:
        self._note_request(requested_by, ground, reference)

    @event(Erased)
    def _erased(self, ground: str, reference: str, author_id: UUID, author_role: str) -> None:
        self._note_decision(ground, reference, author_id)
        self.name = self.relation = self.address = None
        self.date_of_birth = None
