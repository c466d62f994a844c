"""The risk read model: each child's signals as the risk policy needs them, and band history.

The current score is computed on read (it decays with time, so it cannot be stored);
what is stored is the band each child moved into whenever an event changed it, judged at
the moment the event was recorded, so agendas can say "moved from medium to high" and
a rebuild gives exactly the same history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from domain.children import Child
from domain.risk import RiskSignal, judge
from domain.risk_policy import RiskPolicy, load_policy
from projections.bounded_cache import BoundedCache
from projections.views import ViewMixin, from_ts, topics_of, ts

#: How many recently read children keep their signals in memory, and how many signals in
#: all (a few hundred bytes each): the second bound holds as the histories grow.
SIGNALS_CACHE_SIZE = 256
SIGNALS_CACHE_SIGNALS = 20_000
_SIGNAL_COLUMNS = "signal_id, child_id, kind, severity, observed_at, agency_id, agency_kind, retracted, disputed"


class RiskView(ViewMixin):
    """Tables: children (merge root, current band), signals, band history."""

    name = "risk"
    personal_data = False  # never reads a sealed field: boxes stay shut
    topics = topics_of(
        Child.Registered, Child.SignalRecorded, Child.SignalCorrected, Child.SignalRetracted, Child.MergedInto
    )
    tables = ("risk_children", "risk_signals", "risk_band_history")
    ddl = (
        "CREATE TABLE IF NOT EXISTS risk_children ("
        " child_id TEXT PRIMARY KEY, root_id TEXT NOT NULL, municipality_id TEXT NOT NULL,"
        " band TEXT NOT NULL, last_version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS risk_children_root ON risk_children (root_id)",
        "CREATE TABLE IF NOT EXISTS risk_signals ("
        " signal_id TEXT PRIMARY KEY, child_id TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL,"
        " observed_at TEXT NOT NULL, agency_id TEXT NOT NULL, agency_kind TEXT NOT NULL,"
        " retracted BOOLEAN NOT NULL DEFAULT FALSE, disputed BOOLEAN NOT NULL DEFAULT FALSE)",
        "CREATE INDEX IF NOT EXISTS risk_signals_child ON risk_signals (child_id, observed_at)",
        "CREATE TABLE IF NOT EXISTS risk_band_history ("
        " root_id TEXT NOT NULL, position BIGINT NOT NULL, at TEXT NOT NULL, from_band TEXT NOT NULL,"
        " to_band TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, policy_version TEXT NOT NULL,"
        " PRIMARY KEY (root_id, position))",
    )
    policy: RiskPolicy = load_policy()
    #: Within one batch (one transaction): each root's signals, so judging a child with
    #: a thousand signals does not reload them from the table after every event.
    _batch: dict[str, dict[str, RiskSignal]] | None = None
    #: Within one batch: child -> root, root -> current band, child -> last applied
    #: (version, position). Bands and versions are written once, in ``finish_batch``.
    _roots: dict[str, str] | None = None
    _bands: dict[str, str] | None = None
    _changed_bands: set[str] | None = None
    _applied: dict[str, tuple[int, int]] | None = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limit_read_cache(SIGNALS_CACHE_SIGNALS)

    def limit_read_cache(self, signals: int) -> None:
        """Keep at most ``signals`` signals in memory (``SAFEHUB_READ_CACHE_ROWS``)."""
        #: Recently read children: root -> (each record's last position, signals); see ``signals_of``.
        self._signals_cache: BoundedCache[tuple[tuple, list[RiskSignal]]] = BoundedCache(
            SIGNALS_CACHE_SIZE, signals, weigh=lambda cached: len(cached[1])
        )

    def apply_batch(self, events: Sequence[tuple[Any, int]], position: int, start: int | None = None) -> None:
        """Apply a batch with fresh in-memory caches that die with the transaction."""
        self._batch, self._roots, self._bands, self._changed_bands, self._applied = {}, {}, {}, set(), {}
        try:
            super().apply_batch(events, position, start)
        finally:
            self._batch = self._roots = self._bands = self._changed_bands = self._applied = None

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Keep the signals current, then judge the child's band as of the event."""
        child_id = str(event.originator_id)
        if isinstance(event, Child.Registered):
            self.defer(
                cursor,
                "INSERT INTO risk_children VALUES (?, ?, ?, 'low', ?, ?)",
                (child_id, child_id, str(event.municipality_id), event.originator_version, position),
            )
            if self._roots is not None and self._bands is not None and self._batch is not None:
                self._roots[child_id] = child_id
                self._bands.setdefault(child_id, "low")
                # A record just created has no signals and nothing merged into it yet: its
                # first judgement needs no query (which would also send the queued inserts).
                self._batch[child_id] = {}
            return
        if isinstance(event, Child.SignalRecorded):
            signal = RiskSignal(
                signal_id=str(event.signal_id),
                kind=event.kind,
                severity=event.severity,
                observed_at=event.observed_at,
                agency_id=str(event.agency_id),
                agency_kind=event.agency_kind,
            )
            self.defer(
                cursor,
                f"INSERT INTO risk_signals ({_SIGNAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    signal.signal_id,
                    child_id,
                    signal.kind,
                    signal.severity,
                    ts(signal.observed_at),
                    signal.agency_id,
                    signal.agency_kind,
                    False,
                    False,
                ),
            )
            self._cache_put(cursor, child_id, signal)
        elif isinstance(event, Child.SignalCorrected):
            changes = {c: getattr(event, c) for c in ("kind", "severity", "observed_at") if getattr(event, c)}
            for column, value in changes.items():
                self.run(
                    cursor,
                    f"UPDATE risk_signals SET {column} = ? WHERE signal_id = ?",  # noqa: S608
                    (ts(value) if column == "observed_at" else value, str(event.signal_id)),
                )
            self._cache_update(cursor, child_id, str(event.signal_id), **changes)
        elif isinstance(event, Child.SignalRetracted):
            self.run(cursor, "UPDATE risk_signals SET retracted = ? WHERE signal_id = ?", (True, str(event.signal_id)))
            self._cache_update(cursor, child_id, str(event.signal_id), retracted=True)
        elif isinstance(event, Child.MergedInto):
            self.finish_batch(cursor)  # the bands and versions so far, before roots move
            target = self.run(cursor, "SELECT root_id FROM risk_children WHERE child_id = ?", (str(event.target_id),))
            new_root = target[0]["root_id"] if target else str(event.target_id)
            self.run(cursor, "UPDATE risk_children SET root_id = ? WHERE root_id = ?", (new_root, child_id))
            for cache in (self._batch, self._roots, self._bands):
                if cache is not None:
                    cache.clear()  # roots moved: reload what is needed next
        if self._applied is None:
            self.run(
                cursor,
                "UPDATE risk_children SET last_version = ?, last_position = ? WHERE child_id = ?",
                (event.originator_version, position, child_id),
            )
        else:
            self._applied[child_id] = (event.originator_version, position)
        self._judge(cursor, child_id, event, position)

    def finish_batch(self, cursor: Any) -> None:
        """Write each changed band and each child's last applied version once."""
        if self._applied:
            self.run_many(
                cursor,
                "UPDATE risk_children SET last_version = ?, last_position = ? WHERE child_id = ?",
                [(v, p, c) for c, (v, p) in self._applied.items()],
            )
            self._applied.clear()
        if self._changed_bands and self._bands is not None:
            self.run_many(
                cursor,
                "UPDATE risk_children SET band = ? WHERE child_id = ?",
                [(self._bands[r], r) for r in self._changed_bands if r in self._bands],
            )
            self._changed_bands.clear()

    def _root_of(self, cursor: Any, child_id: str) -> str | None:
        """The child's merge root (None for a child the view does not know)."""
        if self._roots is not None and child_id in self._roots:
            return self._roots[child_id]
        rows = self.run(cursor, "SELECT root_id FROM risk_children WHERE child_id = ?", (child_id,))
        root = rows[0]["root_id"] if rows else None
        if self._roots is not None and root is not None:
            self._roots[child_id] = root
        return root

    def _band_of(self, cursor: Any, root_id: str) -> str:
        if self._bands is not None and root_id in self._bands:
            return self._bands[root_id]
        current = self.run(cursor, "SELECT band FROM risk_children WHERE child_id = ?", (root_id,))
        band = current[0]["band"] if current else "low"
        if self._bands is not None:
            self._bands[root_id] = band
        return band

    def _judge(self, cursor: Any, child_id: str, event: Any, position: int) -> None:
        """Record a band change for the child's root as of the event's recorded time."""
        root_id = self._root_of(cursor, child_id)
        if root_id is None:
            return
        at = event.timestamp
        band, score = judge(self._root_signals(cursor, root_id).values(), at, self.policy)
        before = self._band_of(cursor, root_id)
        if band != before:
            self.defer(
                cursor,
                "INSERT INTO risk_band_history VALUES (?, ?, ?, ?, ?, ?, ?)",
                (root_id, position, ts(at), before, band, round(score, 4), self.policy.version),
            )
            if self._bands is not None and self._changed_bands is not None:
                self._bands[root_id] = band
                self._changed_bands.add(root_id)
            else:
                self.run(cursor, "UPDATE risk_children SET band = ? WHERE child_id = ?", (band, root_id))

    def _root_signals(self, cursor: Any, root_id: str) -> dict[str, RiskSignal]:
        """The root's signals, from the batch cache when the batch has loaded them already."""
        if self._batch is None:
            return {s.signal_id: s for s in self._signals(cursor, root_id)}
        if root_id not in self._batch:
            self._batch[root_id] = {s.signal_id: s for s in self._signals(cursor, root_id)}
        return self._batch[root_id]

    def _cached_root(self, cursor: Any, child_id: str) -> dict[str, RiskSignal] | None:
        """The batch cache of the child's root, if loaded (else SQL already has the change)."""
        if not self._batch:
            return None
        root = self._root_of(cursor, child_id)
        return self._batch.get(root) if root is not None else None

    def _cache_put(self, cursor: Any, child_id: str, signal: RiskSignal) -> None:
        cached = self._cached_root(cursor, child_id)
        if cached is not None:
            cached[signal.signal_id] = signal

    def _cache_update(self, cursor: Any, child_id: str, signal_id: str, **changes: Any) -> None:
        cached = self._cached_root(cursor, child_id)
        if cached is not None and signal_id in cached:
            cached[signal_id] = replace(cached[signal_id], **changes)

    def _signals(self, cursor: Any, root_id: str, since: str | None = None) -> list[RiskSignal]:
        sql = "SELECT s.* FROM risk_signals s JOIN risk_children c ON c.child_id = s.child_id WHERE c.root_id = ?"
        params: list[Any] = [root_id]
        if since is not None:
            sql += " AND s.observed_at >= ?"
            params.append(since)
        return [risk_signal(r) for r in self.run(cursor, sql, params)]

    # --- reading ---------------------------------------------------------------------

    def signals_of(self, root_id: str) -> list[RiskSignal]:
        """Every signal of the child (and records merged into it), for a live assessment.

        Kept for recently read children together with how far each of their records was
        applied (one indexed lookup checks it), like the timeline's rows: any event about
        a record moves its ``last_position``, so a changed child is always read afresh.
        """
        with self.datastore.transaction(commit=False) as cursor:
            token = tuple(
                (r["child_id"], r["last_position"])
                for r in self.run(
                    cursor,
                    "SELECT child_id, last_position FROM risk_children WHERE root_id = ? ORDER BY child_id",
                    (root_id,),
                )
            )
            cached = self._signals_cache.get(root_id)
            if cached is not None and cached[0] == token:
                return list(cached[1])
            signals = self._signals(cursor, root_id)
        self._signals_cache.put(root_id, (token, signals))
        return list(signals)

    def band_history(self, root_id: str) -> list[dict]:
        """Band changes, oldest first."""
        return self.query("SELECT * FROM risk_band_history WHERE root_id = ? ORDER BY position", (root_id,))

    def children_above_low(self, municipality_id: str) -> set[str]:
        """The municipality's children (merge roots only) whose stored band is above low."""
        return {
            r["child_id"]
            for r in self.query(
                "SELECT child_id FROM risk_children WHERE municipality_id = ? AND band <> 'low' AND child_id = root_id",
                (municipality_id,),
            )
        }

    def band_histories(self, root_ids: Sequence[str]) -> dict[str, list[dict]]:
        """Each root's band changes, oldest first (as ``band_history``), for many roots at once.

        Roots with no change are left out; a root's rows are in one chunk, so in order.
        """
        out: dict[str, list[dict]] = {}
        for row in self.query_in(
            "SELECT * FROM risk_band_history WHERE root_id IN ({marks}) ORDER BY root_id, position", root_ids
        ):
            out.setdefault(row["root_id"], []).append(row)
        return out

    def last_positions(self, child_ids: Sequence[str]) -> dict[str, int]:
        """How far the view has applied each of these records (``last_position``); unknown ones are left out.

        Any event about a record moves it, so readers that keep a record's rows use it as their freshness token.
        """
        return {
            r["child_id"]: r["last_position"]
            for r in self.query_in(
                "SELECT child_id, last_position FROM risk_children WHERE child_id IN ({marks})", child_ids
            )
        }

    def signals_by_record(self, child_ids: Sequence[str]) -> dict[str, list[RiskSignal]]:
        """Every signal recorded on each of these records itself (not on records merged into it).

        In the database's order; records with no signal are left out.
        """
        found: dict[str, list[RiskSignal]] = {}
        for row in self.query_in(
            "SELECT signal_id, child_id, kind, severity, observed_at, agency_id, agency_kind, retracted,"
            " disputed FROM risk_signals WHERE child_id IN ({marks})",
            child_ids,
        ):
            found.setdefault(row["child_id"], []).append(risk_signal(row))
        return found


def risk_signal(row: dict) -> RiskSignal:
    """A ``risk_signals`` row as the risk policy's ``RiskSignal``."""
    return RiskSignal(
        signal_id=row["signal_id"],
        kind=row["kind"],
        severity=row["severity"],
        observed_at=from_ts(row["observed_at"]),
        agency_id=row["agency_id"],
        agency_kind=row["agency_kind"],
        retracted=bool(row["retracted"]),
        disputed=bool(row["disputed"]),
    )
