"""The yearly programme report and the coordinator's monthly statistics, for any period.

Every figure is computed from the ``programme`` projection (facts with their recorded
time) and, for the deadline breaches the 2024 national audit asked about, from the
``deadlines`` projection's items, whose due dates and delays it already counts in Polish
working days under the procedure policy. Only what the store held by the end of the
period counts (the recorded-time cut-off), so a report for a closed period gives the same
figures whenever it is run; the answer says when it was computed and up to which log
position.

Who reads them: the chair (coordinator) and the auditor only, the figures as well as the
drill-down. The figures hold no names, but for a period as short as a day, recomputed on
every request, they move the moment another agency records something: a submitter
watching ``signals_by_kind`` learns that a health signal was just recorded. Suppressing
small cells does not close that (two overlapping periods, or the same one an hour apart,
differ by exactly the new entry), so the rule is refusal below those who may read every
case anyway (``domain.access`` READ_PROGRAMME_REPORT). The drill-down names cases: it
writes a ``programme_cases`` read-audit line for each child behind the listed cases.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.access import Action, Actor, require
from domain.errors import InvalidInput
from projections.deadlines import DeadlinesView
from projections.programme import ProgrammeView
from projections.programme_figures import INDICATORS, Figures, figures
from projections.runner import Followers
from services.usecases.base import Gate, UseCase
from services.usecases.deadlines import Deadlines, item_state

#: The statutory steps whose breaches the report counts (the 2024 audit's three questions).
AUDITED_DEADLINES = {
    "form_a_to_chair": "Przekazanie formularza „Niebieska Karta - A” przewodniczącemu zespołu",
    "chair_to_group": "Powołanie grupy diagnostyczno-pomocowej",
    "first_group_meeting": "Pierwsze posiedzenie grupy diagnostyczno-pomocowej",
}
#: The longest period one report covers.
MAX_PERIOD_DAYS = 366 * 10
_BREACH_PREFIX = "deadline_breaches:"


class ProgrammeReports(UseCase):
    """The programme report (``programme``), its drill-down (``cases``) and ``monthly`` statistics."""

    def __init__(self, followers: Followers, deadlines: Deadlines, *, gate: Gate | None = None):
        super().__init__(deadlines.store, deadlines.clock, gate=gate)
        self.followers = followers
        self.deadlines = deadlines

    @property
    def view(self) -> ProgrammeView:
        return self.followers["programme"].view  # type: ignore[return-value]

    @property
    def deadline_view(self) -> DeadlinesView:
        return self.followers["deadlines"].view  # type: ignore[return-value]

    # --- use cases -----------------------------------------------------------------------

    def programme(self, actor: Actor, start: date, end: date) -> dict:
        """Every indicator for ``start``..``end`` (inclusive) in the caller's municipality."""
        require(actor, Action.READ_PROGRAMME_REPORT)
        check_period(start, end)
        figs, breaches, meta, _ = self._compute(actor, start, end)
        indicators = [
            {"key": key, "label": label, "counts": unit, "value": figs.count(key)}
            for key, (label, unit) in INDICATORS.items()
        ]
        return {
            **meta,
            "indicators": indicators,
            "signals_by_agency_kind": dict(sorted(figs.signals_by_agency_kind.items())),
            "signals_by_kind": dict(sorted(figs.signals_by_kind.items())),
            "deadline_breaches": [_breach_summary(kind, rows) for kind, rows in breaches.items()],
        }

    def cases(self, actor: Actor, indicator: str, start: date, end: date) -> dict:
        """The cases (children, cards, families, groups, meetings) behind one figure."""
        # Listing every case of the municipality is the chair's (who runs the procedure) and
        # the auditor's; a group member sees only their own cases elsewhere.
        require(actor, Action.READ_PROGRAMME_CASES)
        known = [*INDICATORS, *(f"{_BREACH_PREFIX}{k}" for k in AUDITED_DEADLINES)]
        if indicator not in known:
            raise InvalidInput.one("indicator", f"unknown indicator '{indicator}'; known: {', '.join(known)}")
        check_period(start, end)
        figs, breaches, meta, facts = self._compute(actor, start, end)
        if indicator.startswith(_BREACH_PREFIX):
            kind = indicator.removeprefix(_BREACH_PREFIX)
            rows = [r for r in breaches[kind] if r["breached"]]
            self._log_cases(actor, rows, facts)
            return {
                **meta,
                "indicator": indicator,
                "label": AUDITED_DEADLINES[kind],
                "counts": "deadline",
                "value": len(rows),
                "cases": rows,
            }
        label, unit = INDICATORS[indicator]
        listed = sorted(figs.cases[indicator].values(), key=lambda c: c["id"])
        self._log_cases(actor, listed, facts)
        return {**meta, "indicator": indicator, "label": label, "counts": unit, "value": len(listed), "cases": listed}

    def monthly(self, actor: Actor, year: int) -> dict:
        """Signals per month per agency kind and Blue Cards started per month, for the start page."""
        require(actor, Action.READ_PROGRAMME_REPORT)
        if not 2000 <= year <= 2100:
            raise InvalidInput.one("year", "must be between 2000 and 2100")
        figs, _, meta, _ = self._compute(actor, date(year, 1, 1), date(year, 12, 31), with_deadlines=False)
        kinds = sorted(figs.signals_by_agency_kind)
        months = []
        for month in range(1, 13):
            key = f"{year}-{month:02d}"
            per_kind = figs.signals_by_month.get(key, {})
            months.append(
                {
                    "month": key,
                    "signals": sum(per_kind.values()),
                    "signals_by_agency_kind": {k: per_kind.get(k, 0) for k in kinds},
                    "cards_started": figs.cards_started_by_month.get(key, 0),
                }
            )
        return {
            **meta,
            "year": year,
            "agency_kinds": kinds,
            "months": months,
            "totals": {
                "signals": sum(figs.signals_by_agency_kind.values()),
                "signals_by_agency_kind": dict(sorted(figs.signals_by_agency_kind.items())),
                "cards_started": sum(figs.cards_started_by_month.values()),
            },
        }

    # --- computing -------------------------------------------------------------------------

    def _compute(
        self, actor: Actor, start: date, end: date, with_deadlines: bool = True
    ) -> tuple[Figures, dict[str, list[dict]], dict, list[dict]]:
        self.deadlines.catch_up()
        now = self.deadlines.clock()
        zone = self.deadlines.policy.zone
        period_end = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
        recorded_by = min(period_end, now)
        municipality = str(actor.municipality_id)
        facts = self.view.facts(municipality, recorded_by)
        figs = figures(facts, start, end, self.deadlines.policy.review_after_months)
        breaches = self._breaches(municipality, facts, start, end, recorded_by) if with_deadlines else {}
        meta = {
            "municipality_id": municipality,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "computed_at": now.isoformat(),
            "recorded_by": recorded_by.isoformat(),
            # Until the period is over, a later run may count events recorded since.
            "final": period_end <= now,
            "last_event_position": figs.last_position,
            "view_position": self.view.position(),
            "policy_version": self.deadlines.policy.version,
        }
        return figs, breaches, meta, facts

    def _log_cases(self, actor: Actor, rows: list[dict], facts: list[dict]) -> None:
        """Log a ``programme_cases`` read of every child behind the listed cases (cards, groups, plans, signals)."""
        behind = _children_by_case(facts)
        refs: set[str] = set()
        for row in rows:
            for key, value in row.items():
                if key in ("id", "blue_card_id", "group_id") and isinstance(value, str):
                    refs.add(value)
                elif key.endswith("_ids") and isinstance(value, list):
                    refs.update(str(v) for v in value)
        children = sorted({child for ref in refs for child in behind.get(ref, ())})
        if children:
            self.audited(actor, children, "programme_cases")

    def _breaches(
        self, municipality: str, facts: list[dict], start: date, end: date, recorded_by: datetime
    ) -> dict[str, list[dict]]:
        """The audited deadline items due in the period, as they stood at the cut-off.

        An item counts once the event that opened it was recorded by the cut-off; a
        completion recorded after it does not count yet, so an item still open then is
        judged overdue (or not) on the period's last day.
        """
        counted = {f["position"] for f in facts}
        judge_on = min(end, recorded_by.astimezone(self.deadlines.policy.zone).date())
        out: dict[str, list[dict]] = {kind: [] for kind in AUDITED_DEADLINES}
        for row in self.deadline_view.items(municipality_id=municipality):
            if row["kind"] not in out or row["opened_position"] not in counted:
                continue
            if not start.isoformat() <= row["due_on"] <= end.isoformat():
                continue
            as_then = dict(row)
            if row["met_position"] is not None and row["met_position"] not in counted:
                as_then.update(status="open", met_on=None, delay_working_days=None)
            state, delay = item_state(as_then, judge_on, self.deadlines.policy)
            out[row["kind"]].append(
                {
                    "id": row["item_id"],
                    "blue_card_id": row["card_id"],
                    "group_id": row["group_id"],
                    "start_on": row["start_on"],
                    "due_on": row["due_on"],
                    "met_on": as_then["met_on"],
                    "state": state,
                    "breached": state in ("late", "overdue"),
                    "delay_working_days": delay,
                }
            )
        return out


#: Facts whose ``person_id`` is a child of the case named by their ``subject_id``.
_CHILD_FACTS = frozenset({"signal", "group_child", "plan_child", "card_victim"})


def _children_by_case(facts: list[dict]) -> dict[str, set[str]]:
    """Case id (card, group, plan, signal, child) -> the children it is about, from the facts."""
    behind: dict[str, set[str]] = defaultdict(set)
    for f in facts:
        person = f["person_id"]
        if f["kind"] in _CHILD_FACTS and person and not person.startswith("adult:"):
            behind[f["subject_id"]].add(person)
            behind[person].add(person)
        elif f["kind"] == "child_merged" and f["other_id"]:
            behind[f["other_id"]].add(f["other_id"])
    for f in facts:  # a group working on a card works on the card's children
        if f["kind"] in ("group_opened", "group_card") and f["other_id"]:
            behind[f["subject_id"]] |= behind.get(f["other_id"], set())
    return behind


def check_period(start: date, end: date) -> None:
    """Refuse a period that ends before it starts, or is absurdly long."""
    if start > end:
        raise InvalidInput.one("from", "must not be after 'to'")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput.one("to", f"the period must be at most {MAX_PERIOD_DAYS} days long")


def _breach_summary(kind: str, rows: list[dict]) -> dict[str, Any]:
    delays = sorted(r["delay_working_days"] for r in rows if r["breached"])
    return {
        "kind": kind,
        "label": AUDITED_DEADLINES[kind],
        "due": len(rows),
        "breached": len(delays),
        "still_open_overdue": sum(1 for r in rows if r["state"] == "overdue"),
        "median_delay_working_days": statistics.median(delays) if delays else None,
        "worst_delay_working_days": delays[-1] if delays else None,
    }


def programme_csv(report: dict) -> bytes:
    """The report as Polish Excel opens it: UTF-8 with a BOM, ';' between fields, decimal comma."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["sekcja", "wskaźnik", "opis", "wartość"])
    meta = (
        ("od", report["from"]),
        ("do", report["to"]),
        ("obliczono", report["computed_at"]),
        ("zdarzenia zarejestrowane przed", report["recorded_by"]),
        ("ostatnie zdarzenie (pozycja w dzienniku)", report["last_event_position"]),
        ("okres zamknięty", "tak" if report["final"] else "nie (liczby mogą jeszcze wzrosnąć)"),
        ("wersja polityki terminów", report["policy_version"]),
    )
    for label, value in meta:
        writer.writerow(["raport", "", label, value])
    for row in report["indicators"]:
        writer.writerow(["wskaźniki", row["key"], row["label"], row["value"]])
    for kind, count in report["signals_by_agency_kind"].items():
        writer.writerow(["sygnały wg rodzaju instytucji", kind, "", count])
    for kind, count in report["signals_by_kind"].items():
        writer.writerow(["sygnały wg rodzaju", kind, "", count])
    for row in report["deadline_breaches"]:
        for key, label in (
            ("due", "terminów przypadających w okresie"),
            ("breached", "przekroczonych"),
            ("median_delay_working_days", "mediana opóźnienia (dni robocze)"),
            ("worst_delay_working_days", "największe opóźnienie (dni robocze)"),
        ):
            writer.writerow(["terminy", f"{row['kind']}:{key}", f"{row['label']}: {label}", _number(row[key])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _number(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)
