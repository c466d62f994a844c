"""What the store held at a past instant: a child's timeline and risk replayed to ``as_of``.

"What did the group know on 3 March?" is answered from the events recorded by then, not
from today's read model: a police report recorded late never rewrites what the team knew
before it arrived. The replay uses the very same TimelineView code, on an in-memory
database, so a past timeline reads exactly like a live one did at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from domain.children import Child
from domain.history import fold_signals
from domain.risk import RiskSignal
from projections.timeline import TimelineView
from projections.views import open_view
from services.adapters.event_store import SafehubStore

_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}


def family_events(store: SafehubStore, child_id: UUID, as_of: datetime) -> list:
    """The events, recorded by ``as_of``, of the child and every record merged into it by then."""
    events, pending, seen = [], [child_id], set()
    while pending and len(seen) < 1000:
        record = pending.pop()
        if record in seen:
            continue
        seen.add(record)
        for event in store.events.get(record):
            if event.timestamp > as_of:
                break
            events.append(event)
            if isinstance(event, Child.Absorbed):
                pending.append(event.source_id)
    return sorted(events, key=lambda e: (e.timestamp, str(e.originator_id), e.originator_version))


def replay_timeline(events: list, agencies: list[dict]) -> TimelineView:
    """A throw-away TimelineView holding exactly these events (caller closes its datastore)."""
    view = open_view(TimelineView, _MEMORY)
    view.add_agencies(agencies)
    view.apply_batch([(e, n) for n, e in enumerate(events, start=1)], len(events))
    return view


def signal_kinds(events: Iterable) -> dict[str, str]:
    """Each signal's kind at the end of these events, its corrections applied.

    The kind decides the signal's data category, and the category decides who reads its
    text: every event of a signal (recorded, corrected, retracted) is judged by the kind the
    signal has now, not the kind that event carried, so a correction to ``health_referral``
    closes the text recorded under the first kind too (finding 4 of issue 20).
    """
    kinds: dict[str, str] = {}
    for event in events:
        if isinstance(event, Child.SignalRecorded):
            kinds[str(event.signal_id)] = event.kind
        elif isinstance(event, Child.SignalCorrected) and event.kind:
            kinds[str(event.signal_id)] = event.kind
    return kinds


def current_signal_kinds(store: SafehubStore, record_ids: Iterable[UUID | str]) -> dict[str, str]:
    """The kinds the signals of these records have now (for a replay judged by today's category too)."""
    kinds: dict[str, str] = {}
    for record in record_ids:
        kinds.update(signal_kinds(store.events.get(UUID(str(record)))))
    return kinds


def risk_signals(events: list) -> list[RiskSignal]:
    """The signals as they read at the end of these events, for an assessment then."""
    return [RiskSignal.from_state(s) for s in fold_signals(events).values()]
