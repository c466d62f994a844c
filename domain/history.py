"""Folding a child's events into the current state of each signal, keeping every step.

A correction changes what a signal says now but the reader must see that it was
corrected, and a retracted signal stays in the list marked as retracted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from domain.children import Child

_CORRECTABLE = ("kind", "severity", "observed_at", "details", "days")


@dataclass(frozen=True)
class SignalState:
    """What a signal says after every correction, with its provenance."""

    id: UUID
    child_id: UUID
    kind: str
    severity: str
    observed_at: datetime
    details: str
    days: int | None
    agency_id: UUID
    agency_kind: str
    author_id: UUID
    author_role: str
    recorded_at: datetime
    version: int
    corrections: tuple[dict, ...] = field(default=())
    retracted: bool = False
    retraction_reason: str | None = None
    retracted_at: datetime | None = None

    @property
    def corrected(self) -> bool:
        """True when at least one correction was recorded."""
        return bool(self.corrections)


def fold_signals(events: Iterable[object]) -> dict[UUID, SignalState]:
    """Apply recorded, corrected and retracted events in order; ignore the rest."""
    signals: dict[UUID, SignalState] = {}
    for e in events:
        if isinstance(e, Child.SignalRecorded):
            signals[e.signal_id] = SignalState(
                id=e.signal_id,
                child_id=e.originator_id,
                kind=e.kind,
                severity=e.severity,
                observed_at=e.observed_at,
                details=e.details,
                days=e.days,
                agency_id=e.agency_id,
                agency_kind=e.agency_kind,
                author_id=e.author_id,
                author_role=e.author_role,
                recorded_at=e.timestamp,
                version=e.originator_version,
            )
        elif isinstance(e, Child.SignalCorrected) and e.signal_id in signals:
            signals[e.signal_id] = _corrected(signals[e.signal_id], e)
        elif isinstance(e, Child.SignalRetracted) and e.signal_id in signals:
            signals[e.signal_id] = replace(
                signals[e.signal_id], retracted=True, retraction_reason=e.reason, retracted_at=e.timestamp
            )
    return signals


def _corrected(state: SignalState, e: Child.SignalCorrected) -> SignalState:
    changes = {name: getattr(e, name) for name in _CORRECTABLE if getattr(e, name) is not None}
    note = {
        "corrected_at": e.timestamp,
        "reason": e.reason,
        "author_id": e.author_id,
        "previous": {name: getattr(state, name) for name in changes},
        "changes": changes,
    }
    return replace(state, **changes, corrections=(*state.corrections, note))
