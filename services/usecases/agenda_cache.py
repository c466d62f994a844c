"""What an agenda knows about its children, read once per kind for all of them, and kept between reads.

An agenda asks, for each of a score (the team's: hundreds) of children, for its merge
family, name, new signals, band changes, risk signals and help plans: a few queries per
child. ``KnownFamilies`` answers each kind with one query for all of them (named queries
of the ``children``, ``timeline`` and ``risk`` read models). The families' signal rows are
also kept between agendas in ``RecentRows``, checked against how far each record was
applied, so a family nothing happened to is not read again. This module holds those
caches so the ``Agendas`` use case keeps only the agenda's rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from domain.access import Actor
from domain.children import Child
from domain.risk import RiskSignal
from projections.bounded_cache import BoundedCache
from projections.children import ChildrenView
from projections.risk import RiskView
from projections.timeline import ROWS_CACHE_ROWS, TimelineView
from projections.views import from_ts
from services.adapters.event_store import SafehubStore
from services.usecases.loading import find

#: How many families' signals the agendas keep between reads (as many as the timeline view keeps).
FAMILY_CACHE_SIZE = 256


@dataclass(frozen=True)
class RiskSignals:
    """A family's risk signals, and a reference to each (kind and observation time: what pages name it by)."""

    signals: tuple[RiskSignal, ...] = ()
    refs: dict[str, dict] = field(default_factory=dict)

    def refs_of(self, ids: Iterable[str]) -> list[dict]:
        """References to some of the signals, each with its kind and observation time."""
        return [dict(self.refs.get(i) or {"type": "signal", "id": i}) for i in ids]


class RecentRows:
    """Families' rows read recently, each kept with the positions its records had been applied to.

    Every event about a record moves its ``last_position`` in the view that applied it (see
    ``TimelineView.entries`` and ``RiskView.signals_of``, which keep rows the same way), and a
    merge changes the family's records: either changes the token, so stale rows are never used.
    Bounded by the rows held (a family's rows only grow), like those views' own caches.
    Cached values are shared between readers and treated as read-only.
    """

    def __init__(self, size: int, rows: int = ROWS_CACHE_ROWS):
        self.kept: BoundedCache[tuple[tuple, Any]] = BoundedCache(size, rows, weigh=lambda kept: _rows_in(kept[1]))

    def get(self, root: str, token: tuple) -> Any:
        """The family's rows if kept under this token, else None."""
        found = self.kept.get(root)
        return None if found is None or found[0] != token else found[1]

    def put(self, root: str, token: tuple, value: Any) -> None:
        """Keep the family's rows under this token."""
        self.kept.put(root, (token, value))


class AgendaSources(Protocol):
    """What one agenda read takes from the ``Agendas`` use case (declared here, so no import circle)."""

    store: SafehubStore
    signal_rows: RecentRows
    risk_rows: RecentRows

    @property
    def timeline(self) -> TimelineView: ...

    @property
    def risk(self) -> RiskView: ...

    @property
    def children(self) -> ChildrenView: ...

    def overdue_by_record(self, actor: Actor, records: list[str]) -> dict[str, list[dict]] | None: ...


class KnownFamilies:
    """What one agenda read knows about its children, each kind fetched once for all of them.

    The families (merge root, the root's name, the records merged in) come from the
    ``children`` read model, then the fresh signals, band changes and risk signals of the
    children the agenda discusses, and, on first use, the overdue help-plan actions. Signal
    rows of families whose records have not moved since an earlier read come from
    ``Agendas.signal_rows``/``risk_rows`` (see ``RecentRows``).
    """

    def __init__(
        self, agendas: AgendaSources, actor: Actor, child_ids: list[str], *, subjects: list[str], since: str | None
    ):
        self.agendas = agendas
        self.actor = actor
        self.families = agendas.children.families(child_ids)
        records = {f["root"]: f["records"] for f in (self.family(c) for c in subjects)}
        everyone = sorted({r for family in records.values() for r in family})
        self._fresh: dict[str, list[dict]] = {}  # root -> its family's fresh signals, in timeline order
        for root, rows in _family_rows(
            agendas.timeline, agendas.signal_rows, records, everyone, _timeline_rows, _merge_timeline
        ).items():
            self._fresh[root] = [e for e in rows if since is None or e["recorded_at"] > since]
        self._bands = agendas.risk.band_histories(sorted(records))
        self._signals = _family_rows(agendas.risk, agendas.risk_rows, records, everyone, _risk_rows, _merge_risk)
        self._overdue: dict[str, list[dict]] = {}
        self._asked: set[str] = set()
        self._refused = False

    def family(self, child_id: str) -> dict:
        """The child's family; a child the read model does not know stands alone, named from its record."""
        found = self.families.get(child_id)
        if found is None:
            found = {"root": child_id, "name": _child_name(self.agendas.store, child_id), "records": [child_id]}
            self.families[child_id] = found
        return found

    def fresh_signals(self, root: str) -> list[dict]:
        """The family's live (not retracted) signals recorded after the agenda's ``since``, in timeline order."""
        return self._fresh.get(root, [])

    def band_history(self, root: str) -> list[dict]:
        """The child's band changes, oldest first."""
        return self._bands.get(root, [])

    def risk_signals(self, root: str) -> RiskSignals:
        """Every signal of the child and the records merged into it, for a live assessment."""
        return self._signals.get(root) or RiskSignals()

    def overdue(self, records: list[str]) -> dict[str, list[dict]] | None:
        """Overdue help-plan actions by record (None when the reader may not see help plans)."""
        missing = set(records) - self._asked
        if missing and not self._refused:
            if not self._asked:  # the first question asks for every record of every child at once
                missing |= {r for f in self.families.values() for r in f["records"]}
            found = self.agendas.overdue_by_record(self.actor, sorted(missing))
            self._refused = found is None
            self._overdue.update(found or {})
            self._asked |= missing
        return None if self._refused else self._overdue


def _child_name(store: SafehubStore, child_id: str) -> str | None:
    """The name of a child the read model does not know (yet): from its record."""
    try:
        child = find(store, UUID(child_id), Child)
    except ValueError:  # a malformed id: a name is a courtesy; the id identifies the child
        return None
    return child.display_name() if child is not None else None


def _rows_in(value: Any) -> int:
    return len(value.signals) if isinstance(value, RiskSignals) else len(value)


def _family_rows(
    view: TimelineView | RiskView,
    cache: RecentRows,
    records: dict[str, list[str]],
    everyone: list[str],
    read: Callable[[Any, list[str]], dict[str, Any]],
    merge: Callable[[list], Any],
) -> dict:
    """Each family's rows: from ``cache`` where no record moved since, else read (one query for all of those)."""
    positions = view.last_positions(everyone)
    out, stale = {}, {}
    for root, family in records.items():
        token = tuple((r, positions.get(r)) for r in family)
        found = cache.get(root, token)
        if found is None:
            stale[root] = token
        else:
            out[root] = found
    if stale:
        by_record = read(view, sorted({r for root in stale for r in records[root]}))
        for root, token in stale.items():
            out[root] = merge([by_record.get(r) for r in records[root]])
            cache.put(root, token, out[root])
    return out


def _merge_timeline(parts: list[list[dict] | None]) -> list[dict]:
    """A family's live signals in timeline order, from its records' (each in timeline order)."""
    rows = [e for p in parts for e in p or []]
    if sum(1 for p in parts if p) > 1:
        rows.sort(key=lambda e: (e["observed_at"], e["recorded_at"], e["entry_id"]))
    return rows


def _merge_risk(parts: list[RiskSignals | None]) -> RiskSignals:
    """A family's risk signals, from its records'."""
    found = [p for p in parts if p is not None]
    if len(found) == 1:
        return found[0]
    return RiskSignals(tuple(s for p in found for s in p.signals), {k: v for p in found for k, v in p.refs.items()})


def _timeline_rows(view: TimelineView, records: list[str]) -> dict[str, list[dict]]:
    """Each record's live signals in timeline order, with the reference the agenda gives for each."""
    found = view.live_signals(records)
    for rows in found.values():
        for row in rows:
            row["ref"] = {
                "type": "signal",
                "id": row["entry_id"],
                "child_id": row["child_id"],
                "position": row["position"],
                "kind": row["kind"],
                "observed_at": from_ts(row["observed_at"]).isoformat(),
            }
    return found


def _risk_rows(view: RiskView, records: list[str]) -> dict[str, RiskSignals]:
    """Each record's risk signals (as one ``RiskSignals``)."""
    return {
        record: RiskSignals(
            tuple(signals),
            {
                s.signal_id: {
                    "type": "signal",
                    "id": s.signal_id,
                    "kind": s.kind,
                    "observed_at": s.observed_at.isoformat(),
                }
                for s in signals
            },
        )
        for record, signals in view.signals_by_record(records).items()
    }
