"""The programme read model: dated facts for the yearly report on the programme against violence.

A municipality reports each year (the Krasnystaw report is the model) how many people
were supported and observed, how many Blue Cards were conducted, started, forwarded and
closed, how many help plans were drawn up and meetings held. A report for a past period
must give the same figures whenever it is run, so this view does not keep "current
state" that later events overwrite: it keeps one row per fact with the business date it
is about (``day``), the moment it was recorded (``recorded_at``) and its log position.
The report then counts only the facts recorded by the end of the period
(:func:`projections.programme_figures.figures`): a closure recorded in January never
changes last year's figures.

Adults named on form A have no record of their own; they are counted as distinct people
by a digest of their normalised name within the municipality (never the name itself).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.blue_cards import BlueCard
from domain.children import Child
from domain.groups import TeamCalendar, WorkingGroup
from domain.help_plans import HelpPlan
from domain.procedure import ProcedurePolicy, load_procedure_policy
from projections.views import ViewMixin, topics_of, ts


class ProgrammeView(ViewMixin):
    """Tables: owners (which municipality an aggregate belongs to) and facts."""

    name = "programme"
    personal_data = False  # never reads a sealed field: boxes stay shut
    topics = topics_of(
        Child.Registered,
        Child.SignalRecorded,
        Child.SignalCorrected,
        Child.SignalRetracted,
        Child.MergedInto,
        BlueCard.FormAFilled,
        BlueCard.ForwardedToChair,
        BlueCard.GroupAssigned,
        BlueCard.FormCRecorded,
        BlueCard.MonitoringStarted,
        BlueCard.Closed,
        BlueCard.MonitoringReviewRecorded,
        WorkingGroup.Opened,
        WorkingGroup.BlueCardAttached,
        WorkingGroup.MeetingHeld,
        TeamCalendar.Opened,
        TeamCalendar.MeetingHeld,
        HelpPlan.Drawn,
        HelpPlan.Evaluated,
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
        self.defer(
            c,
            "INSERT INTO programme_owners VALUES (?, ?, ?) ON CONFLICT (aggregate_id) DO NOTHING",
            (key, str(municipality_id), kind),
        )
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

    def _fact(
        self,
        c: Any,
        e: Any,
        position: int,
        n: int,
        kind: str,
        *,
        municipality_id: str | None = None,
        subject_id: Any = None,
        person_id: Any = None,
        other_id: Any = None,
        day: date | None = None,
        detail: str | None = None,
        agency_kind: str | None = None,
    ) -> None:
        municipality = municipality_id or self._owner(c, e.originator_id)
        if municipality is None:  # an aggregate this view never saw created: nothing to attribute
            return
        self.defer(
            c,
            "INSERT INTO programme_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (fact_id) DO NOTHING",
            (
                f"{position}:{n}",
                municipality,
                kind,
                str(subject_id or e.originator_id),
                _opt(person_id),
                _opt(other_id),
                day.isoformat() if day else None,
                detail,
                agency_kind,
                ts(e.timestamp),
                position,
            ),
        )

    # --- children and signals ----------------------------------------------------------

    def _child(self, c: Any, e: Child.Registered, position: int) -> None:
        self._own(c, e.originator_id, e.municipality_id, "child")

    def _signal(self, c: Any, e: Child.SignalRecorded, position: int) -> None:
        self._fact(
            c,
            e,
            position,
            0,
            "signal",
            subject_id=e.signal_id,
            person_id=e.originator_id,
            other_id=e.agency_id,
            day=self._day(e.observed_at),
            detail=e.kind,
            agency_kind=e.agency_kind,
        )

    def _signal_corrected(self, c: Any, e: Child.SignalCorrected, position: int) -> None:
        if e.kind is None and e.observed_at is None:
            return  # severity, details or days: nothing the report counts changed
        self._fact(
            c,
            e,
            position,
            0,
            "signal_corrected",
            subject_id=e.signal_id,
            person_id=e.originator_id,
            day=self._day(e.observed_at) if e.observed_at else None,
            detail=e.kind,
        )

    def _signal_retracted(self, c: Any, e: Child.SignalRetracted, position: int) -> None:
        self._fact(c, e, position, 0, "signal_retracted", subject_id=e.signal_id, person_id=e.originator_id)

    def _merged(self, c: Any, e: Child.MergedInto, position: int) -> None:
        self._fact(c, e, position, 0, "child_merged", person_id=e.originator_id, other_id=e.target_id)

    # --- Blue Cards --------------------------------------------------------------------

    def _filled(self, c: Any, e: BlueCard.FormAFilled, position: int) -> None:
        municipality = str(e.municipality_id)
        self._own(c, e.originator_id, municipality, "blue_card")
        self._fact(
            c, e, position, 0, "card_filled", municipality_id=municipality, day=e.filled_on, agency_kind=e.agency_kind
        )
        victims = [str(child) for child in e.child_victim_ids]
        victims += [adult_key(municipality, name) for name in e.adult_victims]  # cards of version 1
        victims += [f"adult:{person}" for person in e.adult_victim_ids]  # adults as persons: one per id
        for n, victim in enumerate(victims, start=1):
            self._fact(
                c, e, position, n, "card_victim", municipality_id=municipality, person_id=victim, day=e.filled_on
            )

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
        return self.query(
            "SELECT * FROM programme_facts WHERE municipality_id = ? AND recorded_at < ? ORDER BY position, fact_id",
            (municipality_id, ts(recorded_by)),
        )


def adult_key(municipality_id: str, name: str) -> str:
    """A stable pseudonym of an adult named on form A (the same name in the same gmina, the same person)."""
    normalised = " ".join(name.split()).casefold()
    return "adult:" + hashlib.sha256(f"{municipality_id}\x00{normalised}".encode()).hexdigest()[:24]


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
