"""A submitting agency's own children: pupils of the school and children it reported.

The start page of a school needs this list and no use case gave it. The ids come from
the timeline read model (which children have this agency as school or as the author of
an entry); each child is then read through ``ChildRecords.get`` and its signals through
``ChildRecords.list_signals`` with the caller's Actor, so the access policy and the read
audit apply exactly as in the API.
"""

from __future__ import annotations

from uuid import UUID

from domain.access import Action, Actor, require
from domain.errors import DomainError
from services.bootstrap import Services

MAX_CHILDREN = 200


def own_children(svc: Services, actor: Actor) -> list[str]:
    """Ids of the children this agency schooled or reported, in its municipality (newest first)."""
    require(actor, Action.FIND_CHILD)
    if actor.agency_id is None:
        return []
    svc.projector.before_read(svc.store.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]
    view = svc.views.timeline_view
    rows = view.query(
        "SELECT c.root_id AS child_id, MAX(c.last_position) AS last FROM timeline_children c "
        "WHERE c.municipality_id = ? AND (c.school_id = ? OR EXISTS (SELECT 1 FROM timeline_entries e "
        "WHERE e.child_id = c.child_id AND e.agency_id = ?)) GROUP BY c.root_id ORDER BY last DESC",
        (str(actor.municipality_id), str(actor.agency_id), str(actor.agency_id)))
    return [r["child_id"] for r in rows[:MAX_CHILDREN]]


def caseload(svc: Services, actor: Actor) -> tuple[list[dict], list[dict]]:
    """The agency's children and the receipts of the signals it recorded (newest first)."""
    children, receipts = [], []
    for child_id in own_children(svc, actor):
        try:
            child = svc.children.get(actor, UUID(child_id))
            signals = svc.children.list_signals(actor, UUID(child_id))
        except DomainError:
            continue  # merged away or no longer readable: the list shows what the policy allows
        own = [s for s in signals if s["agency_id"] == str(actor.agency_id)]
        children.append({**child, "signals": len(own)})
        receipts.extend({**s, "child": child} for s in own)
    receipts.sort(key=lambda s: s["recorded_at"], reverse=True)
    return children, receipts
