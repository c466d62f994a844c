"""The next meeting's agenda, for a working group or for the whole team, ordered by urgency.

An agenda is a separate use case from the deadline list: besides the procedure's deadline
items it weighs each child's new signals, risk-band changes, current band, "pieces join"
with no open card and overdue help-plan actions, under the procedure policy's weights,
and it opens child data (through the group's gate and read audit). What it reads about the
children, and keeps between reads, is in ``services.usecases.agenda_cache``; the rules that
turn it into reasons and weights are in ``services.usecases.agenda_items``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from domain.access import Action, Actor, may, require
from domain.errors import InvalidInput
from domain.groups import TeamCalendar
from domain.procedure import ProcedurePolicy
from domain.risk_policy import RiskPolicy
from projections.children import ChildrenView
from projections.risk import RiskView
from projections.timeline import TimelineView
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.usecases.agenda_cache import FAMILY_CACHE_SIZE, KnownFamilies, RecentRows
from services.usecases.agenda_items import (
    band_reasons,
    case_label,
    deadline_reason,
    help_plan_reasons,
    risk_reasons,
    signal_reasons,
)
from services.usecases.base import UseCase
from services.usecases.deadlines import Deadlines, as_iso
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans
from services.usecases.list_reads import log_children


class Agendas(UseCase):
    """The next meeting's agenda for a group or for the whole team, ordered by urgency."""

    def __init__(
        self,
        store: SafehubStore,
        deadlines: Deadlines,
        groups: WorkingGroups,
        risk_policy: RiskPolicy,
        help_plans: HelpPlans | None = None,
    ):
        super().__init__(store, deadlines.clock, gate=groups.gate)
        self.deadlines = deadlines
        self.groups = groups
        self.risk_policy = risk_policy
        self.help_plans = help_plans
        #: Recently read families' signals (timeline rows, risk signals), each with the positions it was read at.
        self.signal_rows = RecentRows(FAMILY_CACHE_SIZE)
        self.risk_rows = RecentRows(FAMILY_CACHE_SIZE)

    def limit_read_cache(self, rows: int) -> None:
        """Keep at most ``rows`` rows of each kind in memory (``SAFEHUB_READ_CACHE_ROWS``)."""
        self.signal_rows = RecentRows(FAMILY_CACHE_SIZE, rows)
        self.risk_rows = RecentRows(FAMILY_CACHE_SIZE, rows)

    @property
    def policy(self) -> ProcedurePolicy:
        return self.deadlines.policy

    @property
    def timeline(self) -> TimelineView:
        return self.deadlines.followers["timeline"].view  # type: ignore[return-value]

    @property
    def risk(self) -> RiskView:
        return self.deadlines.followers["risk"].view  # type: ignore[return-value]

    @property
    def children(self) -> ChildrenView:
        return self.deadlines.followers["children"].view  # type: ignore[return-value]

    # --- the agendas ---------------------------------------------------------------------

    def group_agenda(self, actor: Actor, group_id: UUID, language: str = "pl") -> dict:
        """The group's children (and its case) to discuss, most urgent first."""
        self._open_group(actor, group_id)
        group = self.deadlines.view.group(str(group_id))
        if group is None:  # the projection lags behind the store
            raise InvalidInput.one("group_id", "the group is not in the read model yet; retry shortly")
        since = group["last_held_at"]
        now, today = self.deadlines.clock(), self.deadlines.today()
        card_ids = [group["card_id"]] if group["card_id"] else []
        open_card_children = self.deadlines.view.open_card_children(str(actor.municipality_id))
        known = KnownFamilies(self, actor, group["child_ids"], subjects=group["child_ids"], since=since)
        items = [
            self._child_item(c, since, now, language, open_card_children, "the last meeting", actor, known)
            for c in group["child_ids"]
        ]
        since_day = from_ts(since).astimezone(self.policy.zone).date() if since else None
        items.append(self._case_item(group, card_ids, today, since_day, known))
        return {
            "kind": "group",
            "group_id": str(group_id),
            "name": group["name"],
            "blue_card_id": group["card_id"],
            "next_meeting": self._next_meeting(str(group_id), now),
            "since": as_iso(since),
            "since_reason": "the group's last meeting" if since else "the group has not met yet",
            **self._finish(items, now),
        }

    def team_agenda(self, actor: Actor, since: datetime | None = None, language: str = "pl") -> dict:
        """The team's agenda: every case with a deadline due or breached, overdue actions, reviews
        due, and children whose risk changed or whose pieces join with no open card."""
        require(actor, Action.READ_TEAM_AGENDA)
        self.deadlines.catch_up()
        now, today = self.deadlines.clock(), self.deadlines.today()
        calendar = str(TeamCalendar.create_id(actor.municipality_id))
        since_moment, since_reason, since_label = self._team_since(calendar, since, now)
        since_day = since_moment.astimezone(self.policy.zone).date()
        municipality = str(actor.municipality_id)
        view = self.deadlines.view
        open_card_children = view.open_card_children(municipality)
        cards, groups = view.cards(municipality), view.groups(municipality)
        candidates = self._team_candidates(municipality, open_card_children, groups)
        named = {c for card in cards for c in view.card_children(card["card_id"])}  # case labels without a group
        known = KnownFamilies(
            self,
            actor,
            sorted(candidates | named | {c for g in groups for c in g["child_ids"]}),
            subjects=sorted(candidates),
            since=ts(since_moment),
        )
        items = self._case_items(cards, groups, today, since_day, known)
        items += [
            self._child_item(child_id, ts(since_moment), now, language, open_card_children, since_label, actor, known)
            for child_id in sorted(candidates)
        ]
        items = [i for i in items if i["reasons"]]
        log_children(self.gate, actor, _children_shown(items, known), "team_agenda", caught_up=True)
        return {
            "kind": "team",
            "municipality_id": municipality,
            "since": since_moment.isoformat(),
            "since_reason": since_reason,
            "next_meeting": self._next_meeting(calendar, now),
            **self._finish(items, now),
        }

    def _open_group(self, actor: Actor, group_id: UUID) -> None:
        """Check the reader may open the group's children, and audit the read, after one catch-up."""
        readable = self.groups.readable(actor, group_id)
        self.deadlines.catch_up()
        gate = self.groups.gate
        if gate is None:
            raise RuntimeError("Agendas reads child data through WorkingGroups.gate, wired by services.bootstrap")
        # The same grounds and audit line as ``audited`` (gate.read), after one catch-up, not two.
        gate.logged(gate.open(actor, readable.child_ids, caught_up=True), readable.child_ids, "agenda")

    def _next_meeting(self, calendar: str, now: datetime) -> dict | None:
        """The group's (or the team calendar's) next meeting not yet held."""
        upcoming = [
            m
            for m in self.deadlines.view.meetings(calendar)
            if m["held_on"] is None and from_ts(m["scheduled_for"]) >= now
        ]
        return _meeting(upcoming[0]) if upcoming else None

    def _team_since(self, calendar: str, since: datetime | None, now: datetime) -> tuple[datetime, str, str]:
        """Since when the team agenda tells news: the moment, why that one, and how reasons name it."""
        if since is not None:
            return since, "given", "the given time"
        last_held = self.deadlines.view.last_held_at(calendar)
        if last_held is not None:
            return from_ts(last_held), "the team's last meeting", "the last meeting"
        days = self.policy.team_lookback_days
        return now - timedelta(days=days), f"the last {days} days (no team meeting yet)", f"{days} days ago"

    def _team_candidates(self, municipality: str, open_card_children: set[str], groups: list[dict]) -> set[str]:
        """Children the team discusses: on an open card, on a group of a case not closed, or banded above low."""
        view = self.deadlines.view
        candidates = set(open_card_children)
        for group in groups:
            card = view.card(group["card_id"]) if group["card_id"] else None
            if card is None or card["status"] != "closed":
                candidates |= set(group["child_ids"])  # children a working group is on
        return candidates | self.risk.children_above_low(municipality)

    def _finish(self, items: list[dict], now: datetime) -> dict:
        for item in items:
            item["urgency"] = sum(r["weight"] for r in item["reasons"])
            item["reasons"].sort(key=lambda r: -r["weight"])
        items.sort(
            key=lambda i: (
                -i["urgency"],
                i["subject"]["type"] != "case",
                i["subject"]["label"] or "",
                i["subject"]["id"] or "",
            )
        )
        for n, item in enumerate(items, start=1):
            item["rank"] = n
        return {
            "generated_at": now.isoformat(),
            "policy_version": self.policy.version,
            "risk_policy_version": self.risk_policy.version,
            "position": self.deadlines.view.position(),
            "items": items,
        }

    # --- children ------------------------------------------------------------------------

    def _child_item(
        self,
        child_id: str,
        since: str | None,
        now: datetime,
        language: str,
        open_card_children: set[str],
        since_label: str,
        actor: Actor,
        known: KnownFamilies,
    ) -> dict:
        family = known.family(child_id)
        root, ids = family["root"], family["records"]
        weights = self.policy.weights
        reasons = [
            *signal_reasons(known.fresh_signals(root), since, since_label, language, weights),
            *band_reasons(root, known.band_history(root), since, since_label, weights),
            *risk_reasons(known.risk_signals(root), now, ids, open_card_children, weights, self.risk_policy),
            *self._help_plan_reasons(actor, ids, weights, known),
        ]
        return {"subject": {"type": "child", "id": root, "label": family["name"]}, "reasons": reasons}

    def overdue_by_record(self, actor: Actor, records: list[str]) -> dict[str, list[dict]] | None:
        """Each record's overdue help-plan actions (oldest due first), or None for a reader who may
        not see help plans. The plans naming the records come from one read-model query."""
        if self.help_plans is None or not may(actor, Action.READ_HELP_PLAN):
            return None
        plans = self.children.help_plans_of(records)
        wanted = sorted({p for found in plans.values() for p in found})
        by_plan: dict[str, list[dict]] = {}
        for action in self.help_plans.overdue_actions_of_plans(actor, wanted) if wanted else []:
            by_plan.setdefault(action["help_plan_id"], []).append(action)
        return {
            child: sorted(
                (a for p in found for a in by_plan.get(p, [])), key=lambda r: (r["due"], r["help_plan_id"], r["id"])
            )
            for child, found in plans.items()
        }

    def _help_plan_reasons(
        self, actor: Actor, ids: list[str], weights: dict[str, int], known: KnownFamilies | None = None
    ) -> list[dict]:
        """Overdue actions of the child's help plans, for readers who may see help plans."""
        by_record = known.overdue(ids) if known is not None else self.overdue_by_record(actor, ids)
        return help_plan_reasons(by_record, ids, weights)

    # --- cases ---------------------------------------------------------------------------

    def _case_items(
        self, cards: list[dict], groups: list[dict], today: date, since_day: date, known: KnownFamilies
    ) -> list[dict]:
        """One item per card (with the group working on it, if any), then per group with no card."""
        view = self.deadlines.view
        items = []
        for card in cards:
            group = view.group(card["group_id"]) if card["group_id"] else None
            items.append(
                self._case_item(
                    group or {"group_id": None, "name": None, "card_id": card["card_id"]},
                    [card["card_id"]],
                    today,
                    since_day,
                    known,
                )
            )
        return items + [self._case_item(g, [], today, since_day, known) for g in groups if not g["card_id"]]

    def _case_item(
        self, group: dict, card_ids: list[str], today: date, since_day: date | None, known: KnownFamilies
    ) -> dict:
        view = self.deadlines.view
        rows = {r["item_id"]: r for card in card_ids for r in view.items(card_id=card)}
        if group.get("group_id"):
            rows.update({r["item_id"]: r for r in view.items(group_id=group["group_id"])})
        reasons = [
            reason
            for row in sorted(rows.values(), key=lambda r: (r["due_on"], r["item_id"]))
            if (reason := deadline_reason(row, today, since_day, self.policy)) is not None
        ]
        card = card_ids[0] if card_ids else None
        children = view.card_children(card) if card else group.get("child_ids", [])
        return {
            "subject": {
                "type": "case",
                "id": card or group.get("group_id"),
                "label": case_label(group, card, children, known),
                "blue_card_id": card,
                "group_id": group.get("group_id"),
                "child_ids": children,
            },
            "reasons": reasons,
        }


def _children_shown(items: list[dict], known: KnownFamilies) -> list[str]:
    """The children an agenda shows: each child item's records (its family's), each case's children."""
    records = {f["root"]: f["records"] for f in known.families.values()}
    found: list[str] = []
    for item in items:
        subject = item["subject"]
        if subject["type"] == "child":
            found += records.get(subject["id"]) or [subject["id"]]
        else:
            found += subject.get("child_ids") or []
    return found


def _meeting(row: dict) -> dict:
    return {"id": row["meeting_id"], "scheduled_for": from_ts(row["scheduled_for"]).isoformat(), "place": row["place"]}
