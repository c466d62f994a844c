"""Use cases over the read models: a child's timeline and risk, each saying how fresh it is."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from domain.access import Action, Actor, ChildAccess, require
from domain.children import Child
from domain.errors import NotFound
from domain.risk import assess
from domain.risk_policy import RiskPolicy
from domain.signals import CATALOGUE
from projections.bounded_cache import BoundedCache
from projections.risk import RiskView
from projections.runner import Followers
from projections.timeline import ROWS_CACHE_ROWS, TimelineView
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.usecases.base import UseCase
from services.usecases.gate import ChildGate
from services.usecases.loading import load
from services.usecases.point_in_time import current_signal_kinds, family_events, replay_timeline, risk_signals
from services.usecases.presenters import without_text

#: The views a timeline or risk read uses (entries, score, grounds): they catch up before it.
READ_VIEWS = ("timeline", "risk", "memberships")
#: The rendered timelines kept in memory may hold this many bytes of JSON per row the
#: read caches may hold (``SAFEHUB_READ_CACHE_ROWS``): 20,000 rows -> about 32 MiB.
RENDERED_BYTES_PER_ROW = 1_700
#: How many renderings at most, however short: the timelines read again and again (a group's
#: children before a meeting) are a few hundred; a renderer of small timelines is quick anyway.
#: Ten thousand of them (one per child read) kept a web process's memory rising for an hour.
RENDERED_CACHE_ENTRIES = 1_000


class Rendered(NamedTuple):
    """A timeline's visible entries as JSON (UTF-8), and the categories withheld from the reader.

    ``token`` holds every record of the timeline with the log position the timeline view
    had applied to it when these entries were rendered: any event about a record (a signal,
    a correction, a retraction, a merge, an erasure) moves that position, so a rendering
    whose token differs from the view's is stale and never served.
    """

    entries_json: bytes
    withheld: tuple[str, ...]
    token: tuple = ()


def rendered_timelines(rows: int) -> BoundedCache[Rendered]:
    """Recently rendered timelines, by what they were rendered for.

    The key is the timeline's records, the reader's access class (grounds, agency, agency
    kind: everything ``ChildAccess.sees_entry``/``sees_details`` look at), the language and
    the filters; the value carries the positions it was rendered at (``Rendered.token``).
    A child that changed is rendered again into the same entry, so a busy child takes one
    entry, not one per change. Bounded by the size of the text; least recently used first out.
    """
    return BoundedCache(
        RENDERED_CACHE_ENTRIES, rows * RENDERED_BYTES_PER_ROW, weigh=lambda rendered: len(rendered.entries_json)
    )


def access_class(access: ChildAccess) -> tuple:
    """What the rendering of a timeline depends on about the reader (see ``_visible``)."""
    actor = access.actor
    return (access.grounds.value, str(actor.agency_id) if actor.agency_id else None, actor.agency_kind)


class ChildViews(UseCase):
    """Reads of the timeline and risk projections, checked against the access policy."""

    def __init__(
        self,
        store: SafehubStore,
        followers: Followers,
        projector: object,
        clock: Callable[[], datetime],
        policy: RiskPolicy,
        gate: ChildGate,
        *,
        rendered: BoundedCache[Rendered] | None = None,
    ):
        super().__init__(store, clock, gate=gate)
        self.followers = followers
        self.projector = projector
        self.policy = policy
        self.rendered = rendered if rendered is not None else rendered_timelines(ROWS_CACHE_ROWS)

    @property
    def timeline_view(self) -> TimelineView:
        return self.followers["timeline"].view  # type: ignore[return-value]

    @property
    def risk_view(self) -> RiskView:
        return self.followers["risk"].view  # type: ignore[return-value]

    def timeline(
        self,
        actor: Actor,
        child_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        agency_kind: str | None = None,
        kind: str | None = None,
        language: str = "pl",
        as_of: datetime | None = None,
    ) -> dict:
        """Every entry about the child the caller may see, in the order things happened."""
        if as_of is not None:
            require(actor, Action.READ_TIMELINE)
            return self._timeline_as_of(
                actor, child_id, as_of, language, since=since, until=until, agency_kind=agency_kind, kind=kind
            )
        head, rendered = self._timeline(
            actor, child_id, since=since, until=until, agency_kind=agency_kind, kind=kind, language=language
        )
        return {**head, "entries": json.loads(rendered.entries_json)}

    def timeline_json(
        self,
        actor: Actor,
        child_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        agency_kind: str | None = None,
        kind: str | None = None,
        language: str = "pl",
        as_of: datetime | None = None,
    ) -> bytes:
        """``timeline`` as a JSON document, with the entries' text reused while the child is unchanged."""
        if as_of is not None:
            return _json(
                self.timeline(
                    actor,
                    child_id,
                    since=since,
                    until=until,
                    agency_kind=agency_kind,
                    kind=kind,
                    language=language,
                    as_of=as_of,
                )
            ).encode()
        head, rendered = self._timeline(
            actor, child_id, since=since, until=until, agency_kind=agency_kind, kind=kind, language=language
        )
        return b"".join((_json(head)[:-1].encode(), b',"entries":', rendered.entries_json, b"}"))

    def _timeline(
        self,
        actor: Actor,
        child_id: UUID,
        *,
        since: datetime | None,
        until: datetime | None,
        agency_kind: str | None,
        kind: str | None,
        language: str,
    ) -> tuple[dict, Rendered]:
        """The answer without its entries, and the entries rendered for this reader; the read is logged."""
        require(actor, Action.READ_TIMELINE)
        freshness = self._prepare(actor, child_id)
        members = freshness["members"]
        ids = [m["child_id"] for m in members] or [str(child_id)]
        access = self.gate.open(actor, ids, caught_up=True)  # _prepare caught up
        filters = (ts(since) if since else None, ts(until) if until else None, agency_kind, kind)
        key = token = None
        if members and access.policy is self.gate.policy:
            # Read before the rows, so rows rendered under a token are never older than it.
            token = tuple((m["child_id"], m["last_position"]) for m in members)
            key = (tuple(m["child_id"] for m in members), access_class(access), language, filters)
        rendered = self.rendered.get(key) if key is not None else None
        if rendered is None or rendered.token != token:
            rows = self.timeline_view.entries(
                ids, since=filters[0], until=filters[1], agency_kind=agency_kind, kind=kind
            )
            entries = _visible(rows, access, language)
            rendered = Rendered(_json(entries).encode(), tuple(_withheld(entries)), token or ())
            if key is not None:
                self.rendered.put(key, rendered)
        self.gate.logged(access, ids, "timeline", withheld=rendered.withheld)
        root = members[0]["root_id"] if members else str(child_id)
        return (
            {
                "child_id": root,
                "requested_id": str(child_id),
                "records": ids,
                "grounds": access.grounds.value,
                "freshness": self._freshness(freshness, ids, members),
            },
            rendered,
        )

    def risk(self, actor: Actor, child_id: UUID, as_of: datetime | None = None) -> dict:
        """The current score with its full explanation, the band history, and freshness."""
        require(actor, Action.READ_RISK)
        if as_of is not None:
            return self._risk_as_of(actor, child_id, as_of)
        freshness = self._prepare(actor, child_id)
        members = freshness["members"]
        ids = [m["child_id"] for m in members] or [str(child_id)]
        access = self.gate.open(actor, ids, caught_up=True)  # _prepare caught up
        access.require_full("risk score")
        self.gate.logged(access, ids, "risk")
        root = members[0]["root_id"] if members else str(child_id)
        assessment = assess(self.risk_view.signals_of(root), self.clock(), self.policy)
        history = [_band(h) for h in self.risk_view.band_history(root)]
        return {
            "child_id": root,
            "requested_id": str(child_id),
            **assessment.as_dict(),
            "band_history": history,
            "freshness": self._freshness(freshness, ids, members),
        }

    def risk_json(self, actor: Actor, child_id: UUID, as_of: datetime | None = None) -> bytes:
        """``risk`` as a compact JSON document."""
        return _json(self.risk(actor, child_id, as_of=as_of)).encode()

    # --- as of a past instant ------------------------------------------------------------

    def _timeline_as_of(
        self, actor: Actor, child_id: UUID, as_of: datetime, language: str, **filters: datetime | str | None
    ) -> dict:
        """The timeline exactly as the store held it at ``as_of`` (by recorded time)."""
        events = self._events_as_of(actor, child_id, as_of)
        ids = sorted({str(e.originator_id) for e in events})
        access = self.gate.open(actor, ids)
        view = replay_timeline(events, self.timeline_view.agencies())
        try:
            since, until = filters.pop("since"), filters.pop("until")
            rows = view.entries(ids, since=ts(since) if since else None, until=ts(until) if until else None, **filters)
        finally:
            view.datastore.close()
        entries = _visible(rows, access, language, current_signal_kinds(self.store, ids))
        self.gate.logged(access, ids, "timeline", withheld=_withheld(entries), detail=f"as_of={as_of.isoformat()}")
        return {
            "child_id": str(child_id),
            "requested_id": str(child_id),
            "records": ids,
            "grounds": access.grounds.value,
            "entries": entries,
            "as_of": as_of.isoformat(),
            "freshness": self._replayed(events),
        }

    def _risk_as_of(self, actor: Actor, child_id: UUID, as_of: datetime) -> dict:
        """The score as it would have read at ``as_of``, from what was recorded by then."""
        events = self._events_as_of(actor, child_id, as_of)
        ids = sorted({str(e.originator_id) for e in events})
        access = self.gate.open(actor, ids)
        access.require_full("risk score")
        self.gate.logged(access, ids, "risk", detail=f"as_of={as_of.isoformat()}")
        assessment = assess(risk_signals(events), as_of, self.policy)
        history = [_band(h) for h in self.risk_view.band_history(str(child_id)) if from_ts(h["at"]) <= as_of]
        return {
            "child_id": str(child_id),
            "requested_id": str(child_id),
            **assessment.as_dict(),
            "band_history": history,
            "as_of": as_of.isoformat(),
            "freshness": self._replayed(events),
        }

    def _events_as_of(self, actor: Actor, child_id: UUID, as_of: datetime) -> list:
        self._prepare(actor, child_id)
        events = family_events(self.store, child_id, as_of)
        if not events:
            raise NotFound(f"the child was not yet registered at {as_of.isoformat()}")  # no id echoed
        return events

    def _replayed(self, events: list) -> dict:
        """Freshness of a replay: read from the event store itself, so nothing is missing."""
        head = self.store.recorder.max_notification_id() or 0
        return {"position": head, "head": head, "lag": 0, "includes_latest": True, "replayed_events": len(events)}

    # --- helpers -------------------------------------------------------------------------

    def _prepare(self, actor: Actor, child_id: UUID) -> dict:
        """Let the projections catch up, then check the caller may see the child.

        The view knows the child's municipality (read with the records of its timeline, which
        the answer carries as ``members``); only a child the view has not applied yet (a
        worker behind) is looked up in the event store.
        """
        head, positions = self.followers.positions(READ_VIEWS)  # one statement on PostgreSQL
        caught_up = self.projector.before_read(head, READ_VIEWS, positions=positions)  # type: ignore[attr-defined]
        members = self.timeline_view.members(str(child_id))
        known = [m for m in members if m["child_id"] == str(child_id)]
        if known:
            municipality_id = UUID(known[0]["municipality_id"])
        else:
            child = load(self.store, Child, child_id, None, "child")
            municipality_id = child.municipality_id
        if actor.municipality_id != municipality_id:  # the very words of an unknown id: nothing to tell apart
            raise NotFound("child not found")
        return {"head": head, "caught_up": caught_up, "members": members, "positions": positions}

    def _freshness(self, prepared: dict, ids: list[str], members: list[dict]) -> dict:
        if prepared["caught_up"]:  # both views had applied at least the head (read before them)
            position = max(prepared["head"], min(prepared["positions"][n] for n in ("timeline", "risk")))
        else:
            position = min(self.followers.positions(("timeline", "risk"), with_head=False)[1].values())
        applied = {m["child_id"]: m["last_version"] for m in members}
        latest = self.store.versions([UUID(i) for i in ids]) if members else {}
        includes_latest = bool(members) and all(applied.get(i, 0) >= latest.get(UUID(i), 0) for i in ids)
        return {
            "position": position,
            "head": prepared["head"],
            "lag": max(0, prepared["head"] - position),
            "includes_latest": includes_latest,
        }


def _visible(rows: list[dict], access: ChildAccess, language: str, now_kinds: dict | None = None) -> list[dict]:
    """The entries the reader may receive, with text withheld where its data category is closed to them.

    A live row carries its signal's current kind (the view applies corrections). A replayed
    row carries the kind as of then; ``now_kinds`` (signal id -> kind now) adds today's, and
    the stricter of the two governs. A reader who does not see every entry gets milestone
    ids without the record's version (its gaps would count the hidden entries).
    """
    entries = []
    for row in rows:
        if not access.sees_entry(row["agency_id"]):
            continue
        entry = _entry(row, language)
        if row["entry_type"] != "signal" and not access.full:
            entry["id"] = ":".join(x for x in (row["child_id"], row["entry_type"], row["related_child_id"]) if x)
        kinds = (row["kind"], (now_kinds or {}).get(row["entry_id"]))
        closed = access.closed_category(row["agency_id"], *kinds)
        if closed:
            entry["details"] = None
            entry["retraction_reason"] = None
            entry["corrections"] = [without_text(c) for c in entry["corrections"]]
            entry["withheld_category"] = closed
        entries.append(entry)
    return entries


def _band(h: dict) -> dict:
    """One change of the risk band as the answer shows it."""
    keys = ("from_band", "to_band", "score", "policy_version", "position")
    return {"at": from_ts(h["at"]).isoformat(), **{k: h[k] for k in keys}}


def _json(value: object) -> str:
    """Compact JSON text (UTF-8 left as it is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _withheld(entries: list[dict]) -> list[str]:
    return [e["withheld_category"] for e in entries if e.get("withheld_category")]


def _entry(row: dict, language: str) -> dict:
    catalogue_row = CATALOGUE.get(row["kind"] or "")
    corrections = json.loads(row["corrections"]) if row["corrections"] not in (None, "", "[]") else []
    return {
        "id": row["entry_id"],
        "type": row["entry_type"],
        "child_id": row["child_id"],
        "kind": row["kind"],
        "label": catalogue_row.label(language) if catalogue_row else None,
        "severity": row["severity"],
        "observed_at": from_ts(row["observed_at"]).isoformat(),
        "recorded_at": from_ts(row["recorded_at"]).isoformat(),
        "details": row["details"],
        "days": row["days"],
        "agency": {"id": row["agency_id"], "name": row["agency_name"], "kind": row["kind_of_agency"]}
        if row["agency_id"]
        else None,
        "author_id": row["author_id"],
        "author_role": row["author_role"],
        "corrected": bool(corrections),
        "corrections": corrections,
        "retracted": bool(row["retracted"]),
        "retraction_reason": row["retraction_reason"],
        "retracted_at": from_ts(row["retracted_at"]).isoformat() if row["retracted_at"] else None,
        "related_child_id": row["related_child_id"],
    }
