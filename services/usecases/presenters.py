"""Turning aggregates and events into plain JSON-able values for the API and the CLI."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from uuid import UUID

from domain.children import Child
from domain.history import SignalState
from domain.signals import CATALOGUE

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
    """Present a child's identity record."""
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
        "version": child.version,
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
