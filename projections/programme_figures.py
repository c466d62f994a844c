"""The programme report's figures: every indicator of one period, counted from dated facts.

``projections.programme`` records the facts (one row per thing that happened, with its
business date and the moment it was recorded); this module is the arithmetic over them,
kept apart because it is pure: given the facts recorded by a cut-off it gives the same
figures every time, touching neither the database nor the events. The indicators and
their Polish labels follow the municipality's yearly report (the Krasnystaw report).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.procedure import add_months

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
        cards[f["subject_id"]] = {
            "filled": f["day"],
            "victims": set(),
            "forwarded": None,
            "closed": None,
            "reason": None,
            "monitoring": None,
            "reviews": [],
            "group": None,
        }
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
            group_children[f["subject_id"]] |= {
                v for v in cards[f["other_id"]]["victims"] if not v.startswith("adult:")
            }
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
        signals[f["subject_id"]] = {
            "day": f["day"],
            "kind": f["detail"],
            "agency_kind": f["agency_kind"],
            "child": f["person_id"],
            "position": f["position"],
        }
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
