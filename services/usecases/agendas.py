"""The next meeting's agenda, for a working group or for the whole team, ordered by urgency.

An agenda is a separate use case from the deadline list: besides the procedure's deadline
items it weighs each child's new signals, risk-band changes, current band, "pieces join"
with no open card and overdue help-plan actions, under the procedure policy's weights,
and it opens child data (through the group's gate and read audit). What it reads about the
children, and keeps between reads, is in ``services.usecases.agenda_cache``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from domain.access import Action, Actor, may, require
from domain.errors import InvalidInput
from domain.groups import TeamCalendar
from domain.procedure import ProcedurePolicy
from domain.risk import assess, counted
from domain.risk_policy import RiskPolicy
from domain.signals import CATALOGUE
from projections.children import ChildrenView
from projections.risk import RiskView
from projections.timeline import TimelineView
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.usecases.agenda_cache import FAMILY_CACHE_SIZE, KnownFamilies, RecentRows, RiskSignals
from services.usecases.base import UseCase
from services.usecases.deadlines import Deadlines, as_iso, item_view
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans

_SERIOUS = frozenset({"high", "critical"})
_BAND_ORDER = ("low", "medium", "high", "review_now")


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
        super().__init__(store, deadlines.clock)
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
        return {
            "kind": "team",
            "municipality_id": municipality,
            "since": since_moment.isoformat(),
            "since_reason": since_reason,
            "next_meeting": self._next_meeting(calendar, now),
            **self._finish([i for i in items if i["reasons"]], now),
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
        reasons = [
            *self._signal_reasons(known.fresh_signals(root), since, since_label, language),
            *self._band_reasons(root, known.band_history(root), since, since_label),
            *self._risk_reasons(known.risk_signals(root), now, ids, open_card_children),
            *self._help_plan_reasons(actor, ids, self.policy.weights, known),
        ]
        return {"subject": {"type": "child", "id": root, "label": family["name"]}, "reasons": reasons}

    def _signal_reasons(self, fresh: list[dict], since: str | None, since_label: str, language: str) -> list[dict]:
        """The family's new signals, weighed by how many are high or critical."""
        if not fresh:
            return []
        weights = self.policy.weights
        serious = [e for e in fresh if e["severity"] in _SERIOUS]
        kinds = ", ".join(sorted({_label(kind, language) for kind in {e["kind"] for e in fresh}}))
        agencies = sorted({e["kind_of_agency"] or "" for e in fresh})
        head = f"{len(fresh)} new signal(s) since {since_label}" if since else f"{len(fresh)} signal(s) on record"
        return [
            _reason(
                "new_signals",
                len(serious) * weights["new_signal_high"] + (len(fresh) - len(serious)) * weights["new_signal"],
                f"{head} from {', '.join(agencies)}: {kinds}"
                + (f" ({len(serious)} high or critical)" if serious else ""),
                [dict(e["ref"]) for e in fresh],
            )
        ]

    def _band_reasons(self, root: str, history: list[dict], since: str | None, since_label: str) -> list[dict]:
        """The net change of the child's risk band since then (a rise undone is not news)."""
        changes = [c for c in history if since is None or c["at"] > since]
        if not changes:
            return []
        start, end = changes[0]["from_band"], changes[-1]["to_band"]
        if start == end:
            return []
        code = "band_raised" if _BAND_ORDER.index(end) > _BAND_ORDER.index(start) else "band_lowered"
        via = " via " + ", ".join(c["from_band"] for c in changes[1:]) if len(changes) > 1 else ""
        when = f" since {since_label}" if since else ""
        return [
            _reason(
                code,
                self.policy.weights[code],
                f"risk band moved from {start} to {end}{via}{when} "
                f"(score {changes[-1]['score']}, policy {changes[-1]['policy_version']})",
                [
                    {"type": "risk_band_change", "id": f"{root}:{c['position']}", "position": c["position"]}
                    for c in changes
                ],
            )
        ]

    def _risk_reasons(
        self, signals: RiskSignals, now: datetime, ids: list[str], open_card_children: set[str]
    ) -> list[dict]:
        """The child's current band when high or above, and pieces that join with no open card."""
        weights = self.policy.weights
        reasons = []
        assessment = assess(signals.signals, now, self.risk_policy, explain=False)
        if assessment.band in ("high", "review_now"):
            code = "band_review_now" if assessment.band == "review_now" else "band_high"
            reasons.append(
                _reason(
                    code,
                    weights[code],
                    f"current risk band: {assessment.band} (score {assessment.score:.2f})",
                    signals.refs_of(counted(signals.signals, now, self.risk_policy)),
                )
            )
        if assessment.pieces_join is not None and not (set(ids) & open_card_children):
            pj = assessment.pieces_join
            reasons.append(
                _reason(
                    "pieces_join_no_card",
                    weights["pieces_join_no_card"],
                    f"signals from {len(pj.agency_ids)} agencies ({', '.join(pj.agency_kinds)}) within "
                    f"{pj.window_days} days and no open Blue Card",
                    signals.refs_of(pj.signal_ids),
                )
            )
        return reasons

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
        if by_record is None:
            return []
        overdue = {a["id"]: a for i in ids for a in by_record.get(i, [])}
        if not overdue:
            return []
        actions = sorted(overdue.values(), key=lambda a: a["due"])
        parties = ", ".join(sorted({a["party"] for a in actions}))
        return [
            _reason(
                "help_plan_action_overdue",
                weights["help_plan_action_overdue"],
                f"{len(actions)} help-plan action(s) overdue ({parties}), the oldest due {actions[0]['due']}",
                [{"type": "help_plan_action", "id": a["id"], "help_plan_id": a["help_plan_id"]} for a in actions],
            )
        ]

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
            if (reason := self._deadline_reason(row, today, since_day)) is not None
        ]
        card = card_ids[0] if card_ids else None
        children = view.card_children(card) if card else group.get("child_ids", [])
        return {
            "subject": {
                "type": "case",
                "id": card or group.get("group_id"),
                "label": _case_label(group, card, children, known),
                "blue_card_id": card,
                "group_id": group.get("group_id"),
                "child_ids": children,
            },
            "reasons": reasons,
        }

    def _deadline_reason(self, row: dict, today: date, since_day: date | None) -> dict | None:
        """Why a deadline item is on the agenda (overdue, due soon, done late since then), or None."""
        weights = self.policy.weights
        item = item_view(row, today, self.policy)
        ref = [{"type": "deadline", "id": item["id"], "position": row["opened_position"]}]
        what = item["description"] if item["kind"] == "action" else item["label"]
        late_by = f"{item['delay_working_days']} working day(s)"
        if item["state"] == "overdue" and item["kind"] == "action":
            return _reason(
                "action_overdue",
                weights["action_overdue"],
                f"action overdue by {late_by}: {what} (due {item['due_on']})",
                ref,
            )
        if item["state"] == "overdue":
            return _reason(
                "deadline_breached",
                weights["deadline_breached"],
                f"deadline breached by {late_by}: {what} (due {item['due_on']})",
                ref,
            )
        if item["state"] == "due_soon" and item["kind"] == "monitoring_review":
            return _reason(
                "review_due", weights["review_due"], f"post-closure monitoring review due {item['due_on']}", ref
            )
        if item["state"] == "due_soon":
            return _reason("deadline_due", weights["deadline_due"], f"due {item['due_on']}: {what}", ref)
        if item["state"] == "late" and (since_day is None or item["met_on"] >= since_day.isoformat()):
            return _reason(
                "deadline_met_late",
                weights["deadline_met_late"],
                f"done {late_by} late: {what} (due {item['due_on']}, done {item['met_on']})",
                [{**ref[0], "met_position": row["met_position"]}],
            )
        return None


def _case_label(group: dict, card: str | None, children: list[str], known: KnownFamilies) -> str:
    """The group's name; a card no group works on yet is named after its children."""
    if group.get("name"):
        return group["name"]
    names = ", ".join(n for n in (known.family(c)["name"] for c in children) if n)
    return f"Blue Card: {names}" if names else f"Blue Card {card}"


def _reason(code: str, weight: int, text: str, refs: list[dict]) -> dict:
    return {"code": code, "weight": weight, "text": text, "refs": refs}


def _label(kind: str | None, language: str) -> str:
    row = CATALOGUE.get(kind or "")
    return row.label(language) if row else (kind or "")


def _meeting(row: dict) -> dict:
    return {"id": row["meeting_id"], "scheduled_for": from_ts(row["scheduled_for"]).isoformat(), "place": row["place"]}
