"""The programme read model: dated facts for the yearly report on the programme against violence.

A municipality reports each year (the Krasnystaw report is the model) how many people
were supported and observed, how many Blue Cards were conducted, started, forwarded and
closed, how many help plans were drawn up and meetings held. A report for a past period
must give the same figures whenever it is run, so this view does not keep "current
state" that later events overwrite: it keeps one row per fact with the business date it
is about (``day``), the moment it was recorded (``recorded_at``) and its log position.
The report then counts only the facts recorded by the end of the period
(:func:`figures`): a closure recorded in January never changes last year's figures.

Adults named on form A have no record of their own; they are counted as distinct people
by a digest of their normalised name within the municipality (never the name itself).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.blue_cards import BlueCard
from domain.children import Child
from domain.groups import TeamCalendar, WorkingGroup
from domain.help_plans import HelpPlan
from domain.procedure import ProcedurePolicy, add_months, load_procedure_policy
from projections.views import ViewMixin, topics_of, ts


class ProgrammeView(ViewMixin):
    """Tables: owners (which municipality an aggregate belongs to) and facts."""

    name = "programme"
    personal_data = False  # never reads a sealed field: boxes stay shut
    topics = topics_of(
        Child.Registered, Child.SignalRecorded, Child.SignalCorrected, Child.SignalRetracted, Child.MergedInto,
        BlueCard.FormAFilled, BlueCard.ForwardedToChair, BlueCard.GroupAssigned, BlueCard.FormCRecorded,
        BlueCard.MonitoringStarted, BlueCard.Closed, BlueCard.MonitoringReviewRecorded,
        WorkingGroup.Opened, WorkingGroup.BlueCardAttached, WorkingGroup.MeetingHeld,
        TeamCalendar.Opened, TeamCalendar.MeetingHeld, HelpPlan.Drawn, HelpPlan.Evaluated,
    )
    tables = ("programme_owners", "programme_facts")
    ddl = (
        "CREATE TABLE IF NOT EXISTS programme_owners ("
        " aggregate_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, kind TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS programme_facts ("
        " fact_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, kind TEXT NOT NULL, subject_id TEXT NOT NULL,"
        " person_id TEXT, other_id TEXT, day TEXT, detail TEXT, agency_kind TEXT,"
        " recorded_at TEXT NOT NULL, position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS programme_facts_municipality ON programme_facts (municipality_id, recorded_at)",
    )
    policy: ProcedurePolicy = load_procedure_policy()

    #: Within a batch: aggregate -> municipality, for the owners seen or created in it.
    _owners: dict[str, str] | None = None

    def apply_batch(self, events: Sequence[tuple[Any, int]], position: int, start: int | None = None) -> None:
        """Apply a batch, remembering owners so a fact does not query (and flush) for its municipality."""
        self._owners = {}
        try:
            super().apply_batch(events, position, start)
        finally:
            self._owners = None

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, cursor, event, position)

    # --- writing helpers ---------------------------------------------------------------

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.policy.zone).date()

    def _own(self, c: Any, aggregate_id: Any, municipality_id: Any, kind: str) -> None:
        """Record who owns an aggregate; called by creation events only, so once per aggregate."""
        key = str(aggregate_id)
        if self._owners is not None and key in self._owners:
            return  # already recorded (the insert would do nothing)
        self.defer(c, "INSERT INTO programme_owners VALUES (?, ?, ?) ON CONFLICT (aggregate_id) DO NOTHING",
                   (key, str(municipality_id), kind))
        if self._owners is not None:
            self._owners[key] = str(municipality_id)

    def _owner(self, c: Any, aggregate_id: Any) -> str | None:
        key = str(aggregate_id)
        if self._owners is not None and key in self._owners:
            return self._owners[key]
        rows = self.run(c, "SELECT municipality_id FROM programme_owners WHERE aggregate_id = ?", (key,))
        owner = rows[0]["municipality_id"] if rows else None
        if self._owners is not None and owner is not None:
            self._owners[key] = owner
        return owner

    def _fact(self, c: Any, e: Any, position: int, n: int, kind: str, *, municipality_id: str | None = None,
              subject_id: Any = None, person_id: Any = None, other_id: Any = None, day: date | None = None,
              detail: str | None = None, agency_kind: str | None = None) -> None:
        municipality = municipality_id or self._owner(c, e.originator_id)
        if municipality is None:  # an aggregate this view never saw created: nothing to attribute
            return
        self.defer(c, "INSERT INTO programme_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON CONFLICT (fact_id) DO NOTHING",
                 (f"{position}:{n}", municipality, kind, str(subject_id or e.originator_id), _opt(person_id),
                  _opt(other_id), day.isoformat() if day else None, detail, agency_kind, ts(e.timestamp), position))

    # --- children and signals ----------------------------------------------------------

    def _child(self, c: Any, e: Child.Registered, position: int) -> None:
        self._own(c, e.originator_id, e.municipality_id, "child")

    def _signal(self, c: Any, e: Child.SignalRecorded, position: int) -> None:
        self._fact(c, e, position, 0, "signal", subject_id=e.signal_id, person_id=e.originator_id,
                   other_id=e.agency_id, day=self._day(e.observed_at), detail=e.kind, agency_kind=e.agency_kind)

    def _signal_corrected(self, c: Any, e: Child.SignalCorrected, position: int) -> None:
        if e.kind is None and e.observed_at is None:
            return  # severity, details or days: nothing the report counts changed
        self._fact(c, e, position, 0, "signal_corrected", subject_id=e.signal_id, person_id=e.originator_id,
                   day=self._day(e.observed_at) if e.observed_at else None, detail=e.kind)

    def _signal_retracted(self, c: Any, e: Child.SignalRetracted, position: int) -> None:
        self._fact(c, e, position, 0, "signal_retracted", subject_id=e.signal_id, person_id=e.originator_id)

    def _merged(self, c: Any, e: Child.MergedInto, position: int) -> None:
        self._fact(c, e, position, 0, "child_merged", person_id=e.originator_id, other_id=e.target_id)

    # --- Blue Cards --------------------------------------------------------------------

    def _filled(self, c: Any, e: BlueCard.FormAFilled, position: int) -> None:
        municipality = str(e.municipality_id)
        self._own(c, e.originator_id, municipality, "blue_card")
        self._fact(c, e, position, 0, "card_filled", municipality_id=municipality, day=e.filled_on,
                   agency_kind=e.agency_kind)
        victims = [str(child) for child in e.child_victim_ids]
        victims += [adult_key(municipality, name) for name in e.adult_victims]
        for n, victim in enumerate(victims, start=1):
            self._fact(c, e, position, n, "card_victim", municipality_id=municipality, person_id=victim,
                       day=e.filled_on)

    def _forwarded(self, c: Any, e: BlueCard.ForwardedToChair, position: int) -> None:
        self._fact(c, e, position, 0, "card_forwarded", day=self._day(e.timestamp))

    def _monitoring(self, c: Any, e: BlueCard.MonitoringStarted, position: int) -> None:
        self._fact(c, e, position, 0, "card_monitoring", day=self._day(e.timestamp))

    def _review(self, c: Any, e: BlueCard.MonitoringReviewRecorded, position: int) -> None:
        self._fact(c, e, position, 0, "card_review", day=self._day(e.timestamp))

    def _group_assigned(self, c: Any, e: BlueCard.GroupAssigned, position: int) -> None:
        self._fact(c, e, position, 0, "card_group_assigned", other_id=e.group_id, day=self._day(e.timestamp))

    def _form_c(self, c: Any, e: BlueCard.FormCRecorded, position: int) -> None:
        municipality = self._owner(c, e.originator_id)
        if municipality is None:
            return
        victim = e.victim if _is_uuid(e.victim) else adult_key(municipality, e.victim)
        self._fact(c, e, position, 0, "card_form_c", person_id=victim, day=self._day(e.timestamp))

    def _closed(self, c: Any, e: BlueCard.Closed, position: int) -> None:
        self._fact(c, e, position, 0, "card_closed", day=self._day(e.timestamp), detail=e.reason)

    # --- groups, the team, help plans --------------------------------------------------

    def _group_opened(self, c: Any, e: WorkingGroup.Opened, position: int) -> None:
        municipality = str(e.municipality_id)
        self._own(c, e.originator_id, municipality, "group")
        day = self._day(e.timestamp)
        self._fact(c, e, position, 0, "group_opened", municipality_id=municipality, other_id=e.blue_card_id, day=day)
        for n, child in enumerate(e.child_ids, start=1):
            self._fact(c, e, position, n, "group_child", municipality_id=municipality, person_id=child, day=day)

    def _group_card(self, c: Any, e: WorkingGroup.BlueCardAttached, position: int) -> None:
        self._fact(c, e, position, 0, "group_card", other_id=e.blue_card_id, day=self._day(e.timestamp))

    def _group_meeting(self, c: Any, e: WorkingGroup.MeetingHeld, position: int) -> None:
        self._fact(c, e, position, 0, "group_meeting_held", other_id=e.meeting_id, day=e.held_on)

    def _team(self, c: Any, e: TeamCalendar.Opened, position: int) -> None:
        self._own(c, e.originator_id, e.municipality_id, "team")

    def _team_meeting(self, c: Any, e: TeamCalendar.MeetingHeld, position: int) -> None:
        self._fact(c, e, position, 0, "team_meeting_held", other_id=e.meeting_id, day=e.held_on)

    def _plan(self, c: Any, e: HelpPlan.Drawn, position: int) -> None:
        municipality = str(e.municipality_id)
        self._own(c, e.originator_id, municipality, "help_plan")
        day = self._day(e.timestamp)
        self._fact(c, e, position, 0, "plan_drawn", municipality_id=municipality, day=day)
        for n, child in enumerate(e.child_ids, start=1):
            self._fact(c, e, position, n, "plan_child", municipality_id=municipality, person_id=child, day=day)

    def _plan_evaluated(self, c: Any, e: HelpPlan.Evaluated, position: int) -> None:
        self._fact(c, e, position, 0, "plan_evaluated", day=e.held_on)

    # --- reading -----------------------------------------------------------------------

    def facts(self, municipality_id: str, recorded_by: datetime) -> list[dict]:
        """The municipality's facts recorded strictly before ``recorded_by``, in log order."""
        return self.query("SELECT * FROM programme_facts WHERE municipality_id = ? AND recorded_at < ?"
                          " ORDER BY position, fact_id", (municipality_id, ts(recorded_by)))


def adult_key(municipality_id: str, name: str) -> str:
    """A stable pseudonym of an adult named on form A (the same name in the same gmina, the same person)."""
    normalised = " ".join(name.split()).casefold()
    return "adult:" + hashlib.sha256(f"{municipality_id}\x00{normalised}".encode()).hexdigest()[:24]


# --- the figures ---------------------------------------------------------------------------

#: Indicators in report order: key -> (Polish label as in the Krasnystaw report, what the drill-down lists).
INDICATORS: dict[str, tuple[str, str]] = {
    "people_supported": ("Liczba osób, którym udzielono wsparcia", "person"),
    "people_observed": ("Liczba osób, wobec których prowadzono działania obserwacyjne", "person"),
    "cards_conducted": ("Liczba prowadzonych „Niebieskich Kart”", "blue_card"),
    "cards_started": ("Liczba wszczętych procedur „Niebieska Karta”", "blue_card"),
    "cards_forwarded": ("Liczba przekazanych „Niebieskich Kart”", "blue_card"),
    "cards_closed": ("Liczba zakończonych procedur „Niebieska Karta”", "blue_card"),
    "cards_closed:violence_ceased_plan_done": ("— ustanie przemocy i zrealizowanie planu pomocy", "blue_card"),
    "cards_closed:action_not_justified": ("— brak zasadności podejmowania działań", "blue_card"),
    "help_plans": ("Liczba opracowanych indywidualnych planów pomocy", "help_plan"),
    "help_plans:form_c": ("— plany pomocy w formularzu „Niebieska Karta - C”", "help_plan"),
    "help_plans:family_work_plan": ("— plany pracy z rodziną (asystent, OPS)", "help_plan"),
    "group_meetings": ("Liczba spotkań grup diagnostyczno-pomocowych", "meeting"),
    "families_monitored": ("Liczba monitorowanych rodzin", "family"),
    "families_under_procedure": ("Liczba rodzin objętych procedurą „Niebieskiej Karty”", "family"),
    "team_meetings": ("Liczba posiedzeń Zespołu Interdyscyplinarnego", "meeting"),
    "signals": ("Liczba sygnałów (wszystkie instytucje)", "signal"),
}


@dataclass
class Figures:
    """Every indicator of one period as the set of case references behind it."""

    cases: dict[str, dict[str, dict]] = field(default_factory=dict)
    signals_by_agency_kind: dict[str, int] = field(default_factory=dict)
    signals_by_kind: dict[str, int] = field(default_factory=dict)
    signals_by_month: dict[str, dict[str, int]] = field(default_factory=dict)
    cards_started_by_month: dict[str, int] = field(default_factory=dict)
    last_position: int = 0

    def count(self, indicator: str) -> int:
        """How many distinct cases (people, cards, families...) the indicator counts."""
        return len(self.cases.get(indicator, {}))


def figures(facts: list[dict], start: date, end: date, review_after_months: tuple[int, ...]) -> Figures:
    """Compute every indicator for ``start``..``end`` (inclusive) from facts already cut off by recorded time.

    People are distinct people: children through the merges recorded by then (a merged
    record counts as the record it was merged into), adults by their pseudonym.
    """
    out = Figures(cases={k: {} for k in INDICATORS})
    out.last_position = max((f["position"] for f in facts), default=0)
    s, e = start.isoformat(), end.isoformat()

    def within(day: str | None) -> bool:
        return day is not None and s <= day <= e

    by_kind: dict[str, list[dict]] = defaultdict(list)
    for f in facts:
        by_kind[f["kind"]].append(f)
    merged = {f["person_id"]: f["other_id"] for f in by_kind["child_merged"]}

    def person(pid: str) -> str:
        seen = set()
        while pid in merged and pid not in seen:
            seen.add(pid)
            pid = merged[pid]
        return pid

    def add(indicator: str, case_id: str, **about: Any) -> None:
        entry = out.cases[indicator].setdefault(case_id, {"id": case_id})
        for key, value in about.items():
            listed = entry.setdefault(key, [])
            if value is not None and value not in listed:
                listed.append(value)

    # Blue Cards: one row per card with its dated steps.
    cards: dict[str, dict] = {}
    for f in by_kind["card_filled"]:
        cards[f["subject_id"]] = {"filled": f["day"], "victims": set(), "forwarded": None, "closed": None,
                                  "reason": None, "monitoring": None, "reviews": [], "group": None}
    for kind, key in (("card_forwarded", "forwarded"), ("card_monitoring", "monitoring"), ("card_closed", "closed")):
        for f in by_kind[kind]:
            if f["subject_id"] in cards:
                cards[f["subject_id"]][key] = f["day"]
                if kind == "card_closed":
                    cards[f["subject_id"]]["reason"] = f["detail"]
    for f in by_kind["card_victim"]:
        if f["subject_id"] in cards:
            cards[f["subject_id"]]["victims"].add(person(f["person_id"]))
    for f in by_kind["card_review"]:
        if f["subject_id"] in cards:
            cards[f["subject_id"]]["reviews"].append(f["day"])
    for f in by_kind["card_group_assigned"]:
        if f["subject_id"] in cards:
            cards[f["subject_id"]]["group"] = f["other_id"]

    families = _families(cards)
    conducted = {cid for cid, c in cards.items() if c["filled"] <= e and (c["closed"] is None or c["closed"] >= s)}
    for cid in sorted(conducted):
        add("cards_conducted", cid)
        add("families_under_procedure", families[cid], blue_card_ids=cid)
        for victim in cards[cid]["victims"]:
            add("people_supported", victim, blue_card_ids=cid)
    for cid, c in sorted(cards.items()):
        if within(c["filled"]):
            add("cards_started", cid)
            month = c["filled"][:7]
            out.cards_started_by_month[month] = out.cards_started_by_month.get(month, 0) + 1
        if within(c["forwarded"]):
            add("cards_forwarded", cid)
        if within(c["closed"]):
            add("cards_closed", cid)
            add(f"cards_closed:{c['reason']}", cid)
        if _monitored(c, s, e, review_after_months):
            add("families_monitored", families[cid], blue_card_ids=cid)

    # Help plans: form C (one per victim on a card) and the family work plans.
    for f in by_kind["card_form_c"]:
        if within(f["day"]) and f["subject_id"] in cards:
            plan_id = f"{f['subject_id']}:{person(f['person_id'])}"
            add("help_plans", plan_id, blue_card_ids=f["subject_id"])
            add("help_plans:form_c", plan_id, blue_card_ids=f["subject_id"])
    plan_children: dict[str, set[str]] = defaultdict(set)
    for f in by_kind["plan_child"]:
        plan_children[f["subject_id"]].add(f["person_id"])
    for f in by_kind["plan_drawn"]:
        if within(f["day"]):
            add("help_plans", f["subject_id"], help_plan_ids=f["subject_id"])
            add("help_plans:family_work_plan", f["subject_id"], help_plan_ids=f["subject_id"])
    for f in by_kind["plan_drawn"] + by_kind["plan_evaluated"]:
        if within(f["day"]):
            for child in plan_children[f["subject_id"]]:
                add("people_supported", person(child), help_plan_ids=f["subject_id"])

    # Working groups: their meetings, and the children they worked with in the period.
    group_children: dict[str, set[str]] = defaultdict(set)
    for f in by_kind["group_child"]:
        group_children[f["subject_id"]].add(f["person_id"])
    for f in by_kind["group_opened"] + by_kind["group_card"]:
        if f["other_id"] in cards:
            group_children[f["subject_id"]] |= {v for v in cards[f["other_id"]]["victims"]
                                                if not v.startswith("adult:")}
    for f in by_kind["group_meeting_held"]:
        if within(f["day"]):
            add("group_meetings", f["other_id"], group_ids=f["subject_id"])
            for child in group_children[f["subject_id"]]:
                add("people_supported", person(child), group_ids=f["subject_id"])
    for f in by_kind["team_meeting_held"]:
        if within(f["day"]):
            add("team_meetings", f["other_id"])

    _signals(out, by_kind, person, add, within)
    return out


def _signals(out: Figures, by_kind: dict[str, list[dict]], person: Any, add: Any, within: Any) -> None:
    """Signals as they read at the cut-off (corrected kind and date, retracted ones left out)."""
    signals: dict[str, dict] = {}
    for f in by_kind["signal"]:
        signals[f["subject_id"]] = {"day": f["day"], "kind": f["detail"], "agency_kind": f["agency_kind"],
                                    "child": f["person_id"], "position": f["position"]}
    for f in by_kind["signal_corrected"]:
        if f["subject_id"] in signals:
            signals[f["subject_id"]]["day"] = f["day"] or signals[f["subject_id"]]["day"]
            signals[f["subject_id"]]["kind"] = f["detail"] or signals[f["subject_id"]]["kind"]
    for f in by_kind["signal_retracted"]:
        signals.pop(f["subject_id"], None)
    for sid, sig in sorted(signals.items(), key=lambda kv: (kv[1]["position"], kv[0])):
        if not within(sig["day"]):
            continue
        child = person(sig["child"])
        add("signals", sid, child_ids=child)
        add("people_observed", child, signal_ids=sid)
        agency_kind = sig["agency_kind"] or "unknown"
        out.signals_by_agency_kind[agency_kind] = out.signals_by_agency_kind.get(agency_kind, 0) + 1
        out.signals_by_kind[sig["kind"]] = out.signals_by_kind.get(sig["kind"], 0) + 1
        month = out.signals_by_month.setdefault(sig["day"][:7], {})
        month[agency_kind] = month.get(agency_kind, 0) + 1


def _monitored(card: dict, s: str, e: str, review_after_months: tuple[int, ...]) -> bool:
    """Monitored in the period: under monitoring while open, or within the post-closure review window."""
    if card["monitoring"] is not None and card["monitoring"] <= e and (card["closed"] is None or card["closed"] >= s):
        return True
    if any(s <= day <= e for day in card["reviews"]):
        return True
    if card["closed"] is not None and card["closed"] <= e and review_after_months:
        window_end = add_months(date.fromisoformat(card["closed"]), max(review_after_months)).isoformat()
        return window_end >= s
    return False


def _families(cards: dict[str, dict]) -> dict[str, str]:
    """A family is the cards that share a person (a second card for the same child is the same family).

    Each card maps to its family's id: the earliest-filled card of the family (ties by id).
    """
    parent = {cid: cid for cid in cards}

    def root(cid: str) -> str:
        while parent[cid] != cid:
            parent[cid] = parent[parent[cid]]
            cid = parent[cid]
        return cid

    first_card: dict[str, str] = {}
    for cid in sorted(cards, key=lambda k: (cards[k]["filled"], k)):
        for victim in sorted(cards[cid]["victims"]):
            if victim in first_card:
                a, b = root(first_card[victim]), root(cid)
                if a != b:
                    keep, drop = sorted((a, b), key=lambda k: (cards[k]["filled"], k))
                    parent[drop] = keep
            else:
                first_card[victim] = cid
    return {cid: root(cid) for cid in cards}


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


_HANDLERS = {
    Child.Registered: ProgrammeView._child,
    Child.SignalRecorded: ProgrammeView._signal,
    Child.SignalCorrected: ProgrammeView._signal_corrected,
    Child.SignalRetracted: ProgrammeView._signal_retracted,
    Child.MergedInto: ProgrammeView._merged,
    BlueCard.FormAFilled: ProgrammeView._filled,
    BlueCard.ForwardedToChair: ProgrammeView._forwarded,
    BlueCard.GroupAssigned: ProgrammeView._group_assigned,
    BlueCard.FormCRecorded: ProgrammeView._form_c,
    BlueCard.MonitoringStarted: ProgrammeView._monitoring,
    BlueCard.Closed: ProgrammeView._closed,
    BlueCard.MonitoringReviewRecorded: ProgrammeView._review,
    WorkingGroup.Opened: ProgrammeView._group_opened,
    WorkingGroup.BlueCardAttached: ProgrammeView._group_card,
    WorkingGroup.MeetingHeld: ProgrammeView._group_meeting,
    TeamCalendar.Opened: ProgrammeView._team,
    TeamCalendar.MeetingHeld: ProgrammeView._team_meeting,
    HelpPlan.Drawn: ProgrammeView._plan,
    HelpPlan.Evaluated: ProgrammeView._plan_evaluated,
}
