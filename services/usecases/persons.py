"""Adults named in a case as persons: registered from a form's entries, named back in its answers.

A form names an adult as text (the name as written) or as an object (name, and optionally
date of birth, relation, address); either way the adult becomes a ``Person`` with a key
of their own, saved with the form, and the form keeps the person's id. Answers name the
person from the person's own record, so once the person is erased the name reads None.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from domain.access import Action, Actor, require
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.persons import Person
from services.adapters.aggregate_cache import forget_cached
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.loading import find, load

RETENTION_EXPIRED = "retention_expired"


def register_adults(actor: Actor, entries: Iterable[Any], role: str, field: str, today: date) -> list[Person]:
    """One new ``Person`` per entry (a name, or a dict with ``name`` and optional details), not saved yet."""
    persons, errors = [], {}
    for i, entry in enumerate(entries):
        details = {"name": entry} if isinstance(entry, str) else dict(entry)
        try:
            persons.append(
                Person.register(
                    municipality_id=actor.municipality_id,
                    role=role,
                    registered_by=actor.user_id,
                    field=f"{field}[{i}]",
                    today=today,
                    name=details.get("name", ""),
                    relation=details.get("relation") or "",
                    date_of_birth=details.get("date_of_birth"),
                    address=details.get("address") or "",
                )
            )
        except InvalidInput as e:
            errors.update(e.errors)
    if errors:
        raise InvalidInput(errors)
    return persons


def persons_of(store: SafehubStore, ids: Iterable[UUID]) -> list[Person | None]:
    """The persons with these ids, in order (None for an id that names no person)."""
    return [find(store, person_id, Person) for person_id in ids]


def person_view(person_id: UUID, person: Person | None) -> dict:
    """A person as an answer names them: after an erasure only the id, the role and ``erased``."""
    return {
        "id": str(person_id),
        "role": getattr(person, "role", None),
        "name": getattr(person, "name", None),
        "relation": getattr(person, "relation", None) or None,
        "date_of_birth": person.date_of_birth.isoformat() if person and person.date_of_birth else None,
        "address": getattr(person, "address", None) or None,
        "erased": bool(getattr(person, "erased", False)),
    }


def resolve(persons: dict[str, Person | None], written: str) -> str:
    """A person named by id stays so; one named by the name as written on the form becomes their id."""
    cleaned = " ".join(written.split())
    if cleaned in persons:
        return cleaned
    for person_id, person in persons.items():
        if person is not None and person.name and person.name == cleaned:
            return person_id
    return cleaned


class PersonErasure(UseCase):
    """Erase an adult named in a case: a coordinator asks, a second person approves, the key is destroyed.

    The same two-person rule as a child's erasure (services/usecases/erasure.py). The ground
    ``retention_expired`` is not accepted for a person yet: the retention schedule decides it
    for children's records, and a person's records (every card naming them) are not yet
    counted by it, so a person is erased only on an authorised request with a second
    person's approval. The answer names no child and no case: ids, the ground, counts.
    """

    def request(self, actor: Actor, person_id: UUID, *, ground: str, reference: str) -> dict:
        """A coordinator asks to erase the person; pending until a second person approves."""
        require(actor, Action.ERASE_CHILD)
        person = load(self.store, Person, person_id, actor, "person")
        if person.erased:
            return self._erase(actor, person.id, person.erasure_decision or {})
        person.refuse_if_not_erasable()
        if ground == RETENTION_EXPIRED:
            raise Conflict(
                "ground 'retention_expired' is not accepted for a person yet; "
                "ask with 'authorised_request' for a second person's approval",
                field="ground",
            )

        def attempt() -> Person:
            record = load(self.store, Person, person_id, actor, "person")
            record.request_erasure(ground=ground, reference=reference, requested_by=actor.user_id)
            self.store.save(record)
            return record

        record = retry_on_conflict(attempt)
        request = record.erasure_request or {}
        return {
            "id": str(record.id),
            "records": [str(record.id)],
            "state": "pending",
            "erased": False,
            "ground": request.get("ground"),
            "reference": request.get("reference"),
            "requested_by": str(request.get("requested_by")),
            "approved_by": None,
            "keys_destroyed": 0,
        }

    def approve(self, actor: Actor, person_id: UUID) -> dict:
        """A second person approves: ``Person.Erased`` is recorded, then the person's key is destroyed."""
        require(actor, Action.APPROVE_ERASURE)
        person = load(self.store, Person, person_id, actor, "person")
        if person.erased:
            return self._erase(actor, person.id, person.erasure_decision or {})
        pending = person.erasure_request
        if pending is None:
            raise Conflict("no erasure of this record awaits approval; a coordinator must ask first")
        if pending["requested_by"] == actor.user_id:
            raise Forbidden(
                "the person who asked for an erasure cannot approve it: a second coordinator or the auditor must"
            )

        def attempt() -> Person:
            record = load(self.store, Person, person_id, actor, "person")
            if record.erased:
                return record
            if record.erasure_request is None or record.erasure_request["requested_by"] != pending["requested_by"]:
                raise Conflict("the erasure request changed meanwhile; look again")
            record.erase(
                ground=pending["ground"],
                reference=pending["reference"],
                author_id=actor.user_id,
                author_role=actor.role,
            )
            self.store.save(record)
            return record

        record = retry_on_conflict(attempt)
        return self._erase(actor, record.id, record.erasure_decision or {})

    def _erase(self, actor: Actor, person_id: UUID, decided: dict) -> dict:
        """Destroy the key (again, after a crash: harmless) and forget every cached aggregate."""
        destroyed = bool(self.store.keys and self.store.keys.destroy(person_id))
        forget_cached(self.store.repository)
        return {
            "id": str(person_id),
            "records": [str(person_id)],
            "state": "erased",
            "erased": True,
            "ground": decided.get("ground", ""),
            "reference": decided.get("reference", ""),
            "requested_by": str(decided.get("requested_by") or actor.user_id),
            "approved_by": str(decided.get("approved_by") or actor.user_id),
            "keys_destroyed": int(destroyed),
        }
