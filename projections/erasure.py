"""What the read models share about erasure: which events erase a person, and whom an event concerns.

A view that copies personal data or case texts scrubs them in the batch that applies the
erasure (``ViewMixin.scrub`` notes the tables), rather than holding them sealed: the
views answer lists and agendas in one query, and a sealed column would need every
reader to hold the keys. Scrubbing leaves exactly the skeleton a rebuild gives once the
key is gone (the mapper returns the sealed fields as None, and the views store None, or
an empty name where the column must hold text). After such a batch commits the view
makes sure no copy of the old bytes stays in its storage (``ViewMixin.after_scrub``).

Whom a row concerns: the child an event is about, the persons the sealing rules name
for it (``domain.personal_data.SUBJECT_OF`` and ``SUBJECTS_OF``), and the children a
card or group names. A text about several persons is scrubbed when any one of them is
erased, as its sealed box closes when any one key is destroyed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain import personal_data
from domain.children import Child


def _erasure_events() -> tuple[type, ...]:
    events: list[type] = [Child.Erased]
    try:  # persons other than children have keys (and erasures) once domain.persons exists
        from domain.persons import Person  # type: ignore[import-not-found]

        erased = getattr(Person, "Erased", None)
        if isinstance(erased, type):
            events.append(erased)
    except ImportError:
        pass
    return tuple(events)


#: The events that erase a person: their originator is the person erased.
ERASURE_EVENTS: tuple[type, ...] = _erasure_events()

#: Attributes that name the children (or persons) a card, group or plan is about.
_NAMING = ("child_id", "child_ids", "child_victim_ids")


def erased_person(event: Any) -> str | None:
    """The id of the person this event erases, or None for any other event."""
    return str(event.originator_id) if isinstance(event, ERASURE_EVENTS) else None


def subjects_of(event: Any) -> set[str]:
    """The persons an event's texts concern (ids as text): named by the sealing rules or by its child lists."""
    names = set(_NAMING)
    names.update(personal_data.SUBJECTS_OF.get(type(event), ()))
    single = personal_data.SUBJECT_OF.get(type(event))
    if single:
        names.add(single)
    found: set[str] = set()
    for name in names:
        found.update(_ids(getattr(event, name, None)))
    return found


def _ids(value: Any) -> Iterable[str]:
    if isinstance(value, (UUID, str)):
        return [str(value)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [i for v in value for i in _ids(v)]
    if isinstance(value, dict):  # a person described by a mapping: its id
        return [str(value[k]) for k in ("id", "person_id") if value.get(k) is not None]
    return []
