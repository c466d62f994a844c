"""A submitting agency's own children: pupils of the school and children it reported.

The start page of a school needs this list and no other use case gives it. The ids come
from the timeline read model (which children have this agency as school or as the author
of an entry); each child is then read through ``ChildRecords.get`` and its signals through
``ChildRecords.list_signals`` with the caller's Actor, so the access policy and the read
audit apply exactly as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.access import Action, Actor, require
from domain.errors import DomainError
from projections.timeline import TimelineView
from services.usecases.base import UseCase
from services.usecases.children import ChildRecords

MAX_CHILDREN = 200


class Caseload(UseCase):
    """The children an agency schooled or reported, with the receipts of its signals."""

    def __init__(self, children: ChildRecords, timeline: Callable[[], TimelineView], catch_up: Callable[[], None]):
        super().__init__(children.store, children.clock, gate=children.gate)
        self.children = children
        self.timeline = timeline
        self.catch_up = catch_up

    def own_children(self, actor: Actor) -> list[str]:
        """Ids of the children this agency schooled or reported, in its municipality (newest first)."""
        require(actor, Action.FIND_CHILD)
        if actor.agency_id is None:
            return []
        self.catch_up()
        return self.timeline().agency_children(str(actor.municipality_id), str(actor.agency_id), MAX_CHILDREN)

    def caseload(self, actor: Actor) -> tuple[list[dict], list[dict]]:
        """The agency's children and the receipts of the signals it recorded (newest first)."""
        children, receipts = [], []
        for child_id in self.own_children(actor):
            try:
                child = self.children.get(actor, UUID(child_id))
                signals = self.children.list_signals(actor, UUID(child_id))
            except DomainError:
                continue  # merged away or no longer readable: the list shows what the policy allows
            own = [s for s in signals if s["agency_id"] == str(actor.agency_id)]
            children.append({**child, "signals": len(own)})
            receipts.extend({**s, "child": child} for s in own)
        receipts.sort(key=lambda s: s["recorded_at"], reverse=True)
        return children, receipts
