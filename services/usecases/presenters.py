"""Turning aggregates and events into plain JSON-able values for the API and the CLI."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from domain.access import ChildAccess, category_of
from domain.children import Child
from domain.history import SignalState
from domain.signals import CATALOGUE
from services.usecases.point_in_time import signal_kinds

_EVENT_META = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def plain(value: object) -> object:
    """Convert UUIDs, dates and nested containers to JSON values."""
    if isinstance(value, (UUID, Enum)):
        return str(value.value if isinstance(value, Enum) else value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def child_view(child: Child) -> dict:
    """Present a child's identity record.

    No ``version``: it counts every entry on the record, those the reader may not see too
    (nothing needs it: writes to a child retry on conflict in the store).
    """
    return {
        "id": str(child.id),
        "municipality_id": str(child.municipality_id),
        "given_name": child.given_name,
        "family_name": child.family_name,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "pesel": child.pesel,
        "school_id": str(child.school_id) if child.school_id else None,
        "registered_at": child.created_on.isoformat(),
        "merged_into": str(child.merged_into) if child.merged_into else None,
        "merged_from": [str(i) for i in child.merged_from],
        "erased": getattr(child, "erased", False),
    }


def signal_view(s: SignalState, language: str = "pl") -> dict:
    """Present a signal as it reads now, with its corrections and retraction visible."""
    row = CATALOGUE.get(s.kind)
    return {
        "id": str(s.id),
        "child_id": str(s.child_id),
        "kind": s.kind,
        "label": row.label(language) if row else s.kind,
        "severity": s.severity,
        "observed_at": s.observed_at.isoformat(),
        "recorded_at": s.recorded_at.isoformat(),
        "details": s.details,
        "days": s.days,
        "agency_id": str(s.agency_id),
        "agency_kind": s.agency_kind,
        "author_id": str(s.author_id),
        "author_role": s.author_role,
        "corrected": s.corrected,
        "corrections": plain(list(s.corrections)),
        "retracted": s.retracted,
        "retraction_reason": s.retraction_reason,
        "retracted_at": s.retracted_at.isoformat() if s.retracted_at else None,
    }


def event_view(e: object) -> dict:
    """Present one stored event: its type, position in the child's history, and its data."""
    data = {k: plain(v) for k, v in vars(e).items() if k not in _EVENT_META}
    return {
        "type": type(e).__name__,
        "child_id": str(e.originator_id),  # type: ignore[attr-defined]
        "version": e.originator_version,  # type: ignore[attr-defined]
        "recorded_at": e.timestamp.isoformat(),  # type: ignore[attr-defined]
        "data": data,
    }


def without_text(note: dict) -> dict:
    """A correction note without the texts it carried (previous and new details, the reason).

    Used where the entry's data category is closed to the reader: they learn that the
    entry was corrected and when, not what it said.
    """
    return {
        **note,
        "reason": None,
        "previous": {k: v for k, v in note.get("previous", {}).items() if k != "details"},
        "changes": {k: v for k, v in note.get("changes", {}).items() if k != "details"},
    }


def guarded_signal(access: ChildAccess, state: SignalState) -> dict:
    """A signal as the reader may receive it: its text withheld where its (current) category is closed."""
    view = signal_view(state)
    if not access.sees_details(view["agency_id"], view["kind"]):
        view["details"] = None
        view["retraction_reason"] = None
        view["corrections"] = [without_text(c) for c in view["corrections"]]
        view["withheld_category"] = category_of(view["kind"])
    return view


def readable_history(stored: list, access: ChildAccess, as_of: datetime | None = None) -> tuple[list[dict], list[str]]:
    """A record's stored events as the reader may receive them, and the categories withheld.

    Every event of a signal is judged by the signal's current kind (replayed to ``as_of``,
    also by its kind then: the stricter wins), never by the kind the event itself carried,
    so a correction to ``health_referral`` closes the text recorded under the first kind.
    A reader who does not see every agency's entries gets no ``version``: the gaps in it
    would count the entries it may not see.
    """
    now_kinds: dict[str, str] = signal_kinds(stored)
    then_kinds: dict[str, str] = {}
    visible, withheld = [], []
    for e in stored:
        if as_of is not None and e.timestamp > as_of:
            break
        signal_id = str(getattr(e, "signal_id", ""))
        then_kinds.update(signal_kinds([e]))
        agency_id = None if isinstance(e, Child.Registered) else getattr(e, "agency_id", None)
        if not access.sees_entry(agency_id):
            continue
        view = event_view(e)
        if not access.full:
            del view["version"]
        kinds = (now_kinds.get(signal_id), then_kinds.get(signal_id)) if as_of else (now_kinds.get(signal_id),)
        closed = access.closed_category(agency_id, *kinds)
        if closed:
            view["data"] = {k: v for k, v in view["data"].items() if k not in ("details", "reason")}
            view["withheld_category"] = closed
            withheld.append(closed)
        visible.append(view)
    return visible, withheld
