"""The child timeline: every agency's entries about a child in one chronological line.

Entries are signals (as they read after corrections, with the corrections and any
retraction kept visible) plus the record's own milestones (registration, merges). A
merged record's entries appear on the surviving record's timeline through ``root_id``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from domain.agencies import Agency
from domain.children import Child
from projections.bounded_cache import BoundedCache
from projections.erasure import ERASURE_EVENTS, erased_person
from projections.views import ViewMixin, as_json, topics_of, ts

_CORRECTABLE = ("kind", "severity", "observed_at", "details", "days")
#: How many recently read timelines keep their rows in memory, and how many rows in all
#: (about 1.5 KiB each): the second bound is the one that holds as the timelines grow.
ROWS_CACHE_SIZE = 256
ROWS_CACHE_ROWS = 20_000


class TimelineView(ViewMixin):
    """Tables: children (with their merge root), agencies (for names), entries."""

    name = "timeline"
    topics = topics_of(
        Agency.Registered,
        Child.Registered,
        Child.SignalRecorded,
        Child.SignalCorrected,
        Child.SignalRetracted,
        Child.MergedInto,
        Child.Absorbed,
        *ERASURE_EVENTS,
    )
    tables = ("timeline_children", "timeline_agencies", "timeline_entries")
    ddl = (
        "CREATE TABLE IF NOT EXISTS timeline_children ("
        " child_id TEXT PRIMARY KEY, root_id TEXT NOT NULL, municipality_id TEXT NOT NULL,"
        " school_id TEXT, last_version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS timeline_children_root ON timeline_children (root_id)",
        "CREATE TABLE IF NOT EXISTS timeline_agencies ("
        " agency_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS timeline_entries ("
        " entry_id TEXT PRIMARY KEY, child_id TEXT NOT NULL, entry_type TEXT NOT NULL,"
        " kind TEXT, severity TEXT, observed_at TEXT NOT NULL, recorded_at TEXT NOT NULL,"
        " details TEXT, days INTEGER, agency_id TEXT, agency_kind TEXT, author_id TEXT, author_role TEXT,"
        " corrections TEXT NOT NULL DEFAULT '[]', retracted BOOLEAN NOT NULL DEFAULT FALSE,"
        " retraction_reason TEXT, retracted_at TEXT, related_child_id TEXT,"
        " version INTEGER NOT NULL, position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS timeline_entries_child ON timeline_entries (child_id, observed_at)",
    )

    #: Recently read timelines: key -> (each record's last position, rows); see ``entries``.
    _rows_cache: BoundedCache[tuple[tuple, list[dict]]]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.limit_read_cache(ROWS_CACHE_ROWS)

    def limit_read_cache(self, rows: int) -> None:
        """Keep at most ``rows`` timeline rows in memory (``SAFEHUB_READ_CACHE_ROWS``)."""
        self._rows_cache = BoundedCache(ROWS_CACHE_SIZE, rows, weigh=lambda cached: len(cached[1]))

    #: Within a batch: each child's last applied (version, position), written once at its end.
    _applied: dict[str, tuple[int, int]] | None = None

    def apply_batch(self, events: Sequence[tuple[Any, int]], position: int, start: int | None = None) -> None:
        """Apply a batch, writing each child's last applied version once, not per event."""
        self._applied = {}
        try:
            super().apply_batch(events, position, start)
        finally:
            self._applied = None

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, cursor, event, position)
        elif erased_person(event) is not None:  # a person other than a child record: its texts here
            self._scrub(cursor, erased_person(event))
        if isinstance(event, Child.Event):
            if self._applied is None:
                self.run(
                    cursor,
                    "UPDATE timeline_children SET last_version = ?, last_position = ? WHERE child_id = ?",
                    (event.originator_version, position, str(event.originator_id)),
                )
            else:
                self._applied[str(event.originator_id)] = (event.originator_version, position)

    def finish_batch(self, cursor: Any) -> None:
        """Record how far each child of the batch was applied (the freshness check reads it)."""
        self.run_many(
            cursor,
            "UPDATE timeline_children SET last_version = ?, last_position = ? WHERE child_id = ?",
            [(v, p, c) for c, (v, p) in (self._applied or {}).items()],
        )

    def _agency(self, c: Any, e: Agency.Registered, position: int) -> None:
        self.defer(
            c,
            "INSERT INTO timeline_agencies (agency_id, name, kind) VALUES (?, ?, ?) ON CONFLICT (agency_id) DO NOTHING",
            (str(e.originator_id), e.name, e.kind),
        )

    def _registered(self, c: Any, e: Child.Registered, position: int) -> None:
        child_id = str(e.originator_id)
        self.defer(
            c,
            "INSERT INTO timeline_children VALUES (?, ?, ?, ?, ?, ?)",
            (child_id, child_id, str(e.municipality_id), _opt(e.school_id), e.originator_version, position),
        )
        self._milestone(c, e, position, "registered", agency_id=e.agency_id, author_id=e.registered_by, details=None)

    def _signal(self, c: Any, e: Child.SignalRecorded, position: int) -> None:
        self.defer(
            c,
            "INSERT INTO timeline_entries (entry_id, child_id, entry_type, kind, severity, observed_at,"
            " recorded_at, details, days, agency_id, agency_kind, author_id, author_role, version, position)"
            " VALUES (?, ?, 'signal', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(e.signal_id),
                str(e.originator_id),
                e.kind,
                e.severity,
                ts(e.observed_at),
                ts(e.timestamp),
                e.details,
                e.days,
                str(e.agency_id),
                e.agency_kind,
                str(e.author_id),
                e.author_role,
                e.originator_version,
                position,
            ),
        )

    def _corrected(self, c: Any, e: Child.SignalCorrected, position: int) -> None:
        rows = self.run(c, "SELECT * FROM timeline_entries WHERE entry_id = ?", (str(e.signal_id),))
        if not rows:
            return
        row = rows[0]
        changes = {k: getattr(e, k) for k in _CORRECTABLE if getattr(e, k) is not None}
        stored = {k: ts(v) if k == "observed_at" else v for k, v in changes.items()}
        note = {
            "corrected_at": ts(e.timestamp),
            "reason": e.reason,
            "author_id": str(e.author_id),
            "previous": {k: row[k] for k in stored},
            "changes": stored,
        }
        corrections = [*_json_list(row["corrections"]), note]
        assignments = ", ".join(f"{k} = ?" for k in stored)
        self.run(
            c,
            f"UPDATE timeline_entries SET {assignments}{', ' if stored else ''}corrections = ? "  # noqa: S608
            "WHERE entry_id = ?",
            (*stored.values(), as_json(corrections), str(e.signal_id)),
        )

    def _retracted(self, c: Any, e: Child.SignalRetracted, position: int) -> None:
        self.run(
            c,
            "UPDATE timeline_entries SET retracted = ?, retraction_reason = ?, retracted_at = ? WHERE entry_id = ?",
            (True, e.reason, ts(e.timestamp), str(e.signal_id)),
        )

    def _merged_into(self, c: Any, e: Child.MergedInto, position: int) -> None:
        source, target = str(e.originator_id), str(e.target_id)
        root = self.run(c, "SELECT root_id FROM timeline_children WHERE child_id = ?", (target,))
        new_root = root[0]["root_id"] if root else target
        self.run(c, "UPDATE timeline_children SET root_id = ? WHERE root_id = ?", (new_root, source))
        self._milestone(c, e, position, "merged_into", author_id=e.author_id, related=target, details=e.reason)

    def _absorbed(self, c: Any, e: Child.Absorbed, position: int) -> None:
        self._milestone(c, e, position, "absorbed", author_id=e.author_id, related=str(e.source_id), details=e.reason)

    def _erased(self, c: Any, e: Child.Erased, position: int) -> None:
        """Drop the child's personal text, leaving exactly what a rebuild without the key gives."""
        self._scrub(c, str(e.originator_id))
        self._milestone(c, e, position, "erased", author_id=e.author_id, details=None)

    def _scrub(self, c: Any, child_id: str) -> None:
        """Blank the texts of every entry on this record's timeline (and forget the rows read into memory)."""
        self.scrubbed("timeline_entries")
        self._rows_cache.clear()
        for row in self.run(c, "SELECT entry_id, corrections FROM timeline_entries WHERE child_id = ?", (child_id,)):
            notes = _json_list(row["corrections"])
            for note in notes:
                note["reason"] = None
                note["previous"].pop("details", None)
                note["changes"].pop("details", None)
            self.run(
                c,
                "UPDATE timeline_entries SET details = NULL, retraction_reason = NULL, corrections = ? "
                "WHERE entry_id = ?",
                (as_json(notes), row["entry_id"]),
            )

    def _milestone(
        self,
        c: Any,
        e: Any,
        position: int,
        entry_type: str,
        *,
        agency_id: Any = None,
        author_id: Any = None,
        related: str | None = None,
        details: str | None = None,
    ) -> None:
        self.defer(
            c,
            "INSERT INTO timeline_entries (entry_id, child_id, entry_type, observed_at, recorded_at,"
            " details, agency_id, author_id, related_child_id, version, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"{e.originator_id}:{e.originator_version}",
                str(e.originator_id),
                entry_type,
                ts(e.timestamp),
                ts(e.timestamp),
                details,
                _opt(agency_id),
                _opt(author_id),
                related,
                e.originator_version,
                position,
            ),
        )

    # --- reading ---------------------------------------------------------------------

    def members(self, child_id: str) -> list[dict]:
        """The records that make up this child's timeline (itself and anything merged into it)."""
        return self.query(
            "SELECT m.* FROM timeline_children c JOIN timeline_children m ON m.root_id = c.root_id "
            "WHERE c.child_id = ? ORDER BY m.child_id",
            (child_id,),
        )

    def add_agencies(self, agencies: list[dict]) -> None:
        """Know these agencies (rows of ``agencies()``) before events are applied: a replay's start."""
        with self.datastore.transaction(commit=True) as cursor:
            for agency in agencies:
                self.run(
                    cursor,
                    "INSERT INTO timeline_agencies VALUES (?, ?, ?)",
                    (agency["agency_id"], agency["name"], agency["kind"]),
                )

    def agencies(self) -> list[dict]:
        """Every agency the view knows (id, name, kind): entries are named after them."""
        return self.query("SELECT * FROM timeline_agencies")

    def agency_children(self, municipality_id: str, agency_id: str, limit: int) -> list[str]:
        """The children (their surviving records) an agency schooled or wrote about, most recent first."""
        rows = self.query(
            "SELECT c.root_id AS child_id, MAX(c.last_position) AS last FROM timeline_children c "
            "WHERE c.municipality_id = ? AND (c.school_id = ? OR EXISTS (SELECT 1 FROM timeline_entries e "
            "WHERE e.child_id = c.child_id AND e.agency_id = ?)) GROUP BY c.root_id ORDER BY last DESC LIMIT ?",
            (municipality_id, agency_id, agency_id, limit),
        )
        return [r["child_id"] for r in rows]

    def last_positions(self, child_ids: Sequence[str]) -> dict[str, int]:
        """How far the view has applied each of these records (``last_position``); unknown ones are left out.

        Any event about a record moves it, so readers that keep a record's rows use it as their freshness token.
        """
        return {
            r["child_id"]: r["last_position"]
            for r in self.query_in(
                "SELECT child_id, last_position FROM timeline_children WHERE child_id IN ({marks})", child_ids
            )
        }

    def live_signals(self, child_ids: Sequence[str]) -> dict[str, list[dict]]:
        """Each record's live (not retracted) signals in timeline order, with the agency's kind.

        The columns an agenda tells a signal by; records with none are left out.
        """
        found: dict[str, list[dict]] = {}
        for row in self.query_in(
            "SELECT e.entry_id, e.child_id, e.kind, e.severity, e.observed_at, e.recorded_at, e.position,"
            " COALESCE(e.agency_kind, a.kind) AS kind_of_agency"
            " FROM timeline_entries e LEFT JOIN timeline_agencies a ON a.agency_id = e.agency_id"
            " WHERE e.child_id IN ({marks}) AND e.entry_type = 'signal' AND NOT e.retracted"
            " ORDER BY e.observed_at, e.recorded_at, e.entry_id",
            child_ids,
        ):
            found.setdefault(row["child_id"], []).append(row)
        return found

    def entries(
        self,
        child_ids: list[str],
        *,
        since: str | None = None,
        until: str | None = None,
        agency_kind: str | None = None,
        kind: str | None = None,
    ) -> list[dict]:
        """Entries of these records in observation order, with agency names, filtered.

        A child with a long history is read again and again while nothing happens to it,
        so the rows are kept (for a few hundred timelines) together with how far each of
        the records was applied; the next read checks that with one indexed lookup and
        reuses them. Every change to a record (a signal, a correction, a merge, an
        erasure) moves its ``last_position``, so a stale answer is never given. The rows
        are shared between readers: treat them as read-only.
        """
        key = (tuple(child_ids), since, until, agency_kind, kind)
        marks = ", ".join("?" for _ in child_ids)
        token = tuple(
            (r["child_id"], r["last_position"])
            for r in self.query(
                f"SELECT child_id, last_position FROM timeline_children WHERE child_id IN ({marks}) "  # noqa: S608
                "ORDER BY child_id",
                child_ids,
            )
        )
        cached = self._rows_cache.get(key)
        if cached is not None and cached[0] == token:
            return list(cached[1])
        rows = self._entries(child_ids, since=since, until=until, agency_kind=agency_kind, kind=kind)
        self._rows_cache.put(key, (token, rows))
        return list(rows)

    def _entries(
        self, child_ids: list[str], *, since: str | None, until: str | None, agency_kind: str | None, kind: str | None
    ) -> list[dict]:
        marks = ", ".join("?" for _ in child_ids)
        select = (
            "SELECT e.*, a.name AS agency_name, COALESCE(e.agency_kind, a.kind) AS kind_of_agency "
            "FROM timeline_entries e LEFT JOIN timeline_agencies a ON a.agency_id = e.agency_id "
        )
        sql = select + f"WHERE e.child_id IN ({marks})"
        params: list[Any] = list(child_ids)
        for clause, value in (
            ("e.observed_at >= ?", since),
            ("e.observed_at <= ?", until),
            ("COALESCE(e.agency_kind, a.kind) = ?", agency_kind),
            ("e.kind = ?", kind),
        ):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        return self.query(sql + " ORDER BY e.observed_at, e.recorded_at, e.entry_id", params)


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None


def _json_list(text: str) -> list:
    return json.loads(text or "[]")


_HANDLERS = {
    Agency.Registered: TimelineView._agency,
    Child.Registered: TimelineView._registered,
    Child.SignalRecorded: TimelineView._signal,
    Child.SignalCorrected: TimelineView._corrected,
    Child.SignalRetracted: TimelineView._retracted,
    Child.MergedInto: TimelineView._merged_into,
    Child.Absorbed: TimelineView._absorbed,
    Child.Erased: TimelineView._erased,
}
