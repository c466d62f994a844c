"""The read-audit lines of a list: one per child it shows, each under the grounds of that child.

A detail endpoint reads one child's record on one footing; a list (the deadlines, a
group's meetings, the help plans, the time cards) may show a reader one child as a group
member and another as its own agency's work. Logging the whole list under one grounds
would misstate why the reader saw some of them, so the children are sorted by the grounds
the gate gives for each, and each group of them is logged once. A list that shows no
child writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from domain.access import Actor, ChildAccess
from domain.agencies import Role
from services.usecases.base import Gate

#: Roles read every child of the municipality on one footing: one gate call answers for all.
_ONE_FOOTING = frozenset({Role.AUDITOR.value, Role.COORDINATOR.value})


def log_children(
    gate: Gate | None,
    actor: Actor,
    child_ids: Iterable[UUID | str],
    view: str,
    *,
    caught_up: bool = False,
) -> None:
    """Write one read-audit line per child shown (raising refuses the answer, as every read does).

    ``caught_up``: the caller has just let the projections catch up (no second round trip).
    """
    ids = list(dict.fromkeys(str(c) for c in child_ids))
    if not ids:
        return
    if gate is None:
        raise RuntimeError("a use case that lists child data has its gate wired by services.bootstrap")
    if actor.role in _ONE_FOOTING:
        gate.logged(gate.open(actor, ids, caught_up=caught_up), ids, view)
        return
    by_grounds: dict[str, tuple[ChildAccess, list[str]]] = {}
    for child in ids:
        access = gate.open(actor, [child], caught_up=caught_up)
        caught_up = True  # the first question caught the projections up for the others
        by_grounds.setdefault(access.grounds.value, (access, []))[1].append(child)
    for access, children in by_grounds.values():
        gate.logged(access, children, view)
