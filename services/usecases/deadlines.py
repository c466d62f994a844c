"""Deadlines, reminders and agendas, read from the projections and checked against the policy.

Whether an item is overdue depends on today, so it is decided here on read (the
projection stores due dates and completions). Reminders are events: ``remind`` raises
one ``Reminder`` per item and stage, whose id derives from both, so running it twice (a
beat tick and the CLI at once) raises nothing twice. Projections never write events; this
service does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.access import Action, Actor, may, require, require_same_municipality
from domain.calendar import working_days_between
from domain.children import Child
from domain.errors import InvalidInput
from domain.groups import Reminder, TeamCalendar
from domain.procedure import ProcedurePolicy
from domain.risk import RiskPolicy, RiskSignal, assess, counted
from domain.signals import CATALOGUE
from projections.bounded_cache import BoundedCache
from projections.children import ChildrenView
from projections.deadlines import DeadlinesView
from projections.risk import RiskView, _risk_signal
from projections.runner import Followers
from projections.timeline import ROWS_CACHE_ROWS, TimelineView
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans

log = logging.getLogger("safehub.deadlines")

#: The Celery task name beat schedules and the workers serve.
REMIND_TASK = "safehub.deadlines.remind"
STATES = ("pending", "due_soon", "overdue", "met", "late")
_SERIOUS = frozenset({"high", "critical"})
_BAND_ORDER = ("low", "medium", "high", "review_now")
_LABELS = {
    "form_a_to_chair": "form A to the team chair",
    "chair_to_group": "chair to a diagnostic and support group",
    "first_group_meeting": "the group's first meeting",
    "monitoring_review": "post-closure monitoring review",
    "action": "action",
}


def item_state(row: dict, today: date, policy: ProcedurePolicy) -> tuple[str, int]:
    """The item's state today and its delay in working days (0 unless late or overdue)."""
    due = date.fromisoformat(row["due_on"])
    if row["status"] in ("met", "late"):
        return row["status"], int(row["delay_working_days"] or 0)
    if today > due:
        return "overdue", working_days_between(due, today)
    if working_days_between(today, due) <= policy.lead_working_days:
        return "due_soon", 0
    return "pending", 0


def item_view(row: dict, today: date, policy: ProcedurePolicy) -> dict:
    """Present one deadline item."""
    state, delay = item_state(row, today, policy)
    return {
        "id": row["item_id"], "kind": row["kind"], "label": _LABELS.get(row["kind"], row["kind"]),
        "state": state, "breached": state in ("overdue", "late"), "delay_working_days": delay,
        "blue_card_id": row["card_id"], "group_id": row["group_id"], "description": row["description"],
        "owner_user_id": row["owner_user_id"], "owner_agency_id": row["owner_agency_id"],
        "start_on": row["start_on"], "due_on": row["due_on"], "met_on": row["met_on"],
        "reminded_due_soon_at": _iso(row["due_soon_reminded_at"]),
        "reminded_overdue_at": _iso(row["overdue_reminded_at"]),
        "opened_position": row["opened_position"], "met_position": row["met_position"],
        "policy_version": row["policy_version"],
    }


def _iso(text: str | None) -> str | None:
    return from_ts(text).isoformat() if text else None


class Deadlines:
    """What is due and overdue, per team and per group; reminders for what became overdue."""

    def __init__(self, store: SafehubStore, followers: Followers, projector: object,
                 clock: Callable[[], datetime], policy: ProcedurePolicy, help_plans: HelpPlans | None = None):
        self.store = store
        self.followers = followers
        self.projector = projector
        self.clock = clock
        self.policy = policy
        #: Overdue help-plan actions join the deadline list (they belong to no group).
        self.help_plans = help_plans

    @property
    def view(self) -> DeadlinesView:
        return self.followers["deadlines"].view  # type: ignore[return-value]

    def today(self) -> date:
        """Today in the policy's zone."""
        return self.clock().astimezone(self.policy.zone).date()

    def catch_up(self) -> None:
        """Let the projections apply what the log holds before a read."""
        self.projector.before_read(self.store.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]

    def list(self, actor: Actor, *, group_id: UUID | None = None, blue_card_id: UUID | None = None,
             state: str | None = None) -> dict:
        """The municipality's deadline items (or one group's or card's), earliest due first."""
        require(actor, Action.READ_DEADLINES)
        if state is not None and state not in STATES:
            raise InvalidInput.one("state", f"must be one of: {', '.join(STATES)}")
        self.catch_up()
        if group_id is not None:
            group = self.view.group(str(group_id))
            if group is None:
                raise InvalidInput.one("group_id", "no such working group in this municipality")
            require_same_municipality(actor, UUID(group["municipality_id"]))
        today = self.today()
        rows = self.view.items(municipality_id=str(actor.municipality_id),
                               group_id=str(group_id) if group_id else None,
                               card_id=str(blue_card_id) if blue_card_id else None)
        items = [item_view(r, today, self.policy) for r in rows]
        if group_id is None and blue_card_id is None:
            items += self._help_plan_items(actor, today)
        if state is not None:
            items = [i for i in items if i["state"] == state]
        groups = {g["group_id"]: g["name"] for g in self.view.groups(str(actor.municipality_id))}
        per_group: dict[str, dict] = {}
        for i in items:
            key = i["group_id"] or ""
            entry = per_group.setdefault(key, {"group_id": i["group_id"], "name": groups.get(key),
                                               **{s: 0 for s in STATES}})
            entry[i["state"]] += 1
        return {"as_of": today.isoformat(), "policy_version": self.policy.version,
                "summary": {s: sum(1 for i in items if i["state"] == s) for s in STATES},
                "per_group": list(per_group.values()), "items": items}

    def _help_plan_items(self, actor: Actor, today: date) -> list[dict]:
        """Overdue actions of help plans, as deadline items (they belong to no group)."""
        if self.help_plans is None or not may(actor, Action.READ_HELP_PLAN):
            return []
        return [{
            "id": f"help_plan_action:{a['help_plan_id']}:{a['id']}", "kind": "help_plan_action",
            "label": "help-plan action", "state": "overdue", "breached": True,
            "delay_working_days": working_days_between(date.fromisoformat(a["due"]), today),
            "blue_card_id": None, "group_id": None, "description": a["description"],
            "owner_user_id": None, "owner_agency_id": a.get("agency_id"), "start_on": None, "due_on": a["due"],
            "met_on": None, "reminded_due_soon_at": None, "reminded_overdue_at": None, "opened_position": None,
            "met_position": None, "policy_version": self.policy.version, "help_plan_id": a["help_plan_id"],
            "party": a["party"], "child_ids": a["child_ids"],
        } for a in self.help_plans.overdue_actions(actor, today=today)]

    def remind(self, now: datetime | None = None) -> dict:
        """Raise a reminder event for every item newly due soon or overdue (once per item and stage)."""
        self.catch_up()
        now = now or self.clock()
        today = now.astimezone(self.policy.zone).date()
        raised = {"due_soon": 0, "overdue": 0}
        for row in self.view.items(open_only=True):
            stage, delay = item_state(row, today, self.policy)
            if stage not in raised or row[f"{stage}_reminded_at"]:
                continue
            reminder = Reminder(
                municipality_id=UUID(row["municipality_id"]), item_id=row["item_id"], stage=stage, kind=row["kind"],
                due_on=date.fromisoformat(row["due_on"]), delay_working_days=delay,
                blue_card_id=UUID(row["card_id"]) if row["card_id"] else None,
                group_id=UUID(row["group_id"]) if row["group_id"] else None)
            try:
                self.store.save(reminder)
            except IntegrityError:
                continue  # raised already (by another runner, or before the view caught up)
            raised[stage] += 1
        if any(raised.values()):
            log.info("reminders raised: %s", raised)
        return raised



class Agendas:
    """The next meeting's agenda for a group or for the whole team, ordered by urgency."""

    def __init__(self, store: SafehubStore, deadlines: Deadlines, groups: WorkingGroups, risk_policy: RiskPolicy,
                 help_plans: HelpPlans | None = None):
        self.store = store
        self.deadlines = deadlines
        self.groups = groups
        self.risk_policy = risk_policy
        self.help_plans = help_plans
        #: Recently read families' signals (timeline rows, risk signals), each with the positions it was read at.
        self.signal_rows = _Recent(FAMILY_CACHE_SIZE)
        self.risk_rows = _Recent(FAMILY_CACHE_SIZE)

    def limit_read_cache(self, rows: int) -> None:
        """Keep at most ``rows`` rows of each kind in memory (``SAFEHUB_READ_CACHE_ROWS``)."""
        self.signal_rows = _Recent(FAMILY_CACHE_SIZE, rows)
        self.risk_rows = _Recent(FAMILY_CACHE_SIZE, rows)

    @property
    def policy(self) -> ProcedurePolicy:
        return self.deadlines.policy

    @property
    def timeline(self) -> TimelineView:
        return self.deadlines.followers["timeline"].view  # type: ignore[return-value]

    @property
    def risk(self) -> RiskView:
        return self.deadlines.followers["risk"].view  # type: ignore[return-value]

    def group_agenda(self, actor: Actor, group_id: UUID, language: str = "pl") -> dict:
        """The group's children (and its case) to discuss, most urgent first."""
        readable = self.groups.readable(actor, group_id)
        self.deadlines.catch_up()
        gate = self.groups.gate
        if gate is None:
            raise RuntimeError("Agendas reads child data through WorkingGroups.gate, wired by services.bootstrap")
        # The same grounds and audit line as ``audited`` (gate.read), after one catch-up, not two.
        gate.logged(gate.open(actor, readable.child_ids, caught_up=True), readable.child_ids, "agenda")
        group = self.deadlines.view.group(str(group_id))
        if group is None:  # the projection lags behind the store
            raise InvalidInput.one("group_id", "the group is not in the read model yet; retry shortly")
        since = group["last_held_at"]
        now, today = self.deadlines.clock(), self.deadlines.today()
        card_ids = [group["card_id"]] if group["card_id"] else []
        open_card_children = self.deadlines.view.open_card_children(str(actor.municipality_id))
        label = "the last meeting"
        known = _Known(self, actor, group["child_ids"], subjects=group["child_ids"], since=since)
        items = [self._child_item(c, since, now, language, open_card_children, label, actor, known)
                 for c in group["child_ids"]]
        since_day = from_ts(since).astimezone(self.policy.zone).date() if since else None
        items.append(self._case_item(group, card_ids, today, since_day, known))
        upcoming = [m for m in self.deadlines.view.meetings(str(group_id))
                    if m["held_on"] is None and from_ts(m["scheduled_for"]) >= now]
        return {
            "kind": "group", "group_id": str(group_id), "name": group["name"], "blue_card_id": group["card_id"],
            "next_meeting": _meeting(upcoming[0]) if upcoming else None,
            "since": _iso(since), "since_reason": "the group's last meeting" if since else "the group has not met yet",
            **self._finish(items, now),
        }

    def team_agenda(self, actor: Actor, since: datetime | None = None, language: str = "pl") -> dict:
        """The team's agenda: every case with a deadline due or breached, overdue actions, reviews
        due, and children whose risk changed or whose pieces join with no open card."""
        require(actor, Action.READ_TEAM_AGENDA)
        self.deadlines.catch_up()
        now, today = self.deadlines.clock(), self.deadlines.today()
        calendar = str(TeamCalendar.create_id(actor.municipality_id))
        last_held = self.deadlines.view.last_held_at(calendar)
        if since is not None:
            since_moment, since_reason, since_label = since, "given", "the given time"
        elif last_held is not None:
            since_moment, since_reason, since_label = from_ts(last_held), "the team's last meeting", "the last meeting"
        else:
            days = self.policy.team_lookback_days
            since_moment, since_reason = now - timedelta(days=days), f"the last {days} days (no team meeting yet)"
            since_label = f"{days} days ago"
        upcoming = [m for m in self.deadlines.view.meetings(calendar)
                    if m["held_on"] is None and from_ts(m["scheduled_for"]) >= now]
        since_day = since_moment.astimezone(self.policy.zone).date()
        municipality = str(actor.municipality_id)
        view = self.deadlines.view
        open_card_children = view.open_card_children(municipality)
        candidates = set(open_card_children)
        cards, groups = view.cards(municipality), view.groups(municipality)
        for group in groups:
            card = view.card(group["card_id"]) if group["card_id"] else None
            if card is None or card["status"] != "closed":
                candidates |= set(group["child_ids"])  # children a working group is on
        candidates |= {r["child_id"] for r in self.risk.query(
            "SELECT child_id FROM risk_children WHERE municipality_id = ? AND band <> 'low' AND child_id = root_id",
            (municipality,))}
        named = {c for card in cards for c in view.card_children(card["card_id"])}  # case labels without a group
        known = _Known(self, actor, sorted(candidates | named | {c for g in groups for c in g["child_ids"]}),
                       subjects=sorted(candidates), since=ts(since_moment))
        items = []
        for card in cards:
            group = view.group(card["group_id"]) if card["group_id"] else None
            items.append(self._case_item(group or {"group_id": None, "name": None, "card_id": card["card_id"]},
                                         [card["card_id"]], today, since_day, known))
        for group in groups:
            if not group["card_id"]:
                items.append(self._case_item(group, [], today, since_day, known))
        for child_id in sorted(candidates):
            items.append(self._child_item(child_id, ts(since_moment), now, language, open_card_children,
                                          since_label, actor, known))
        return {"kind": "team", "municipality_id": municipality, "since": since_moment.isoformat(),
                "since_reason": since_reason, "next_meeting": _meeting(upcoming[0]) if upcoming else None,
                **self._finish([i for i in items if i["reasons"]], now)}

    # --- items ---------------------------------------------------------------------------

    def _finish(self, items: list[dict], now: datetime) -> dict:
        for item in items:
            item["urgency"] = sum(r["weight"] for r in item["reasons"])
            item["reasons"].sort(key=lambda r: -r["weight"])
        items.sort(key=lambda i: (-i["urgency"], i["subject"]["type"] != "case", i["subject"]["label"] or "",
                                  i["subject"]["id"] or ""))
        for n, item in enumerate(items, start=1):
            item["rank"] = n
        return {"generated_at": now.isoformat(), "policy_version": self.policy.version,
                "risk_policy_version": self.risk_policy.version,
                "position": self.deadlines.view.position(), "items": items}

    def _child_item(self, child_id: str, since: str | None, now: datetime, language: str,
                    open_card_children: set[str], since_label: str, actor: Actor, known: _Known) -> dict:
        family = known.family(child_id)
        root, ids = family["root"], family["records"]
        weights = self.policy.weights
        reasons: list[dict] = []
        fresh = known.fresh_signals(root)
        if fresh:
            serious = [e for e in fresh if e["severity"] in _SERIOUS]
            kinds = ", ".join(sorted({_label(kind, language) for kind in {e["kind"] for e in fresh}}))
            agencies = sorted({e["kind_of_agency"] or "" for e in fresh})
            head = f"{len(fresh)} new signal(s) since {since_label}" if since else f"{len(fresh)} signal(s) on record"
            reasons.append(_reason(
                "new_signals", len(serious) * weights["new_signal_high"]
                + (len(fresh) - len(serious)) * weights["new_signal"],
                f"{head} from {', '.join(agencies)}: {kinds}"
                + (f" ({len(serious)} high or critical)" if serious else ""),
                [dict(e["ref"]) for e in fresh]))
        changes = [c for c in known.band_history(root) if since is None or c["at"] > since]
        if changes:
            start, end = changes[0]["from_band"], changes[-1]["to_band"]
            if start != end:  # a net change since then (a rise undone is not news)
                up = _BAND_ORDER.index(end) > _BAND_ORDER.index(start)
                code = "band_raised" if up else "band_lowered"
                via = " via " + ", ".join(c["from_band"] for c in changes[1:]) if len(changes) > 1 else ""
                when = f" since {since_label}" if since else ""
                reasons.append(_reason(
                    code, weights[code], f"risk band moved from {start} to {end}{via}{when} "
                                         f"(score {changes[-1]['score']}, policy {changes[-1]['policy_version']})",
                    [{"type": "risk_band_change", "id": f"{root}:{c['position']}", "position": c["position"]}
                     for c in changes]))
        signals = known.risk_signals(root)
        assessment = assess(signals.signals, now, self.risk_policy, explain=False)
        if assessment.band in ("high", "review_now"):
            code = "band_review_now" if assessment.band == "review_now" else "band_high"
            reasons.append(_reason(code, weights[code], f"current risk band: {assessment.band} "
                                                        f"(score {assessment.score:.2f})",
                                   _signal_refs(signals, counted(signals.signals, now, self.risk_policy))))
        if assessment.pieces_join is not None and not (set(ids) & open_card_children):
            pj = assessment.pieces_join
            reasons.append(_reason(
                "pieces_join_no_card", weights["pieces_join_no_card"],
                f"signals from {len(pj.agency_ids)} agencies ({', '.join(pj.agency_kinds)}) within "
                f"{pj.window_days} days and no open Blue Card",
                _signal_refs(signals, pj.signal_ids)))
        reasons.extend(self._help_plan_reasons(actor, ids, weights, known))
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
        return {child: sorted((a for p in found for a in by_plan.get(p, [])),
                              key=lambda r: (r["due"], r["help_plan_id"], r["id"]))
                for child, found in plans.items()}

    def _help_plan_reasons(self, actor: Actor, ids: list[str], weights: dict[str, int],
                           known: _Known | None = None) -> list[dict]:
        """Overdue actions of the child's help plans, for readers who may see help plans."""
        by_record = known.overdue(ids) if known is not None else self.overdue_by_record(actor, ids)
        if by_record is None:
            return []
        overdue = {a["id"]: a for i in ids for a in by_record.get(i, [])}
        if not overdue:
            return []
        actions = sorted(overdue.values(), key=lambda a: a["due"])
        parties = ", ".join(sorted({a["party"] for a in actions}))
        return [_reason("help_plan_action_overdue", weights["help_plan_action_overdue"],
                        f"{len(actions)} help-plan action(s) overdue ({parties}), the oldest due {actions[0]['due']}",
                        [{"type": "help_plan_action", "id": a["id"], "help_plan_id": a["help_plan_id"]}
                         for a in actions])]

    def _case_item(self, group: dict, card_ids: list[str], today: date, since_day: date | None,
                   known: _Known) -> dict:
        weights = self.policy.weights
        view = self.deadlines.view
        rows = {r["item_id"]: r for card in card_ids for r in view.items(card_id=card)}
        if group.get("group_id"):
            rows.update({r["item_id"]: r for r in view.items(group_id=group["group_id"])})
        reasons = []
        for row in sorted(rows.values(), key=lambda r: (r["due_on"], r["item_id"])):
            item = item_view(row, today, self.policy)
            ref = [{"type": "deadline", "id": item["id"], "position": row["opened_position"]}]
            what = item["description"] if item["kind"] == "action" else item["label"]
            if item["state"] == "overdue" and item["kind"] == "action":
                reasons.append(_reason("action_overdue", weights["action_overdue"],
                                       f"action overdue by {item['delay_working_days']} working day(s): {what} "
                                       f"(due {item['due_on']})", ref))
            elif item["state"] == "overdue":
                reasons.append(_reason("deadline_breached", weights["deadline_breached"],
                                       f"deadline breached by {item['delay_working_days']} working day(s): {what} "
                                       f"(due {item['due_on']})", ref))
            elif item["state"] == "due_soon" and item["kind"] == "monitoring_review":
                reasons.append(_reason("review_due", weights["review_due"],
                                       f"post-closure monitoring review due {item['due_on']}", ref))
            elif item["state"] == "due_soon":
                reasons.append(_reason("deadline_due", weights["deadline_due"], f"due {item['due_on']}: {what}", ref))
            elif item["state"] == "late" and (since_day is None or item["met_on"] >= since_day.isoformat()):
                reasons.append(_reason("deadline_met_late", weights["deadline_met_late"],
                                       f"done {item['delay_working_days']} working day(s) late: {what} "
                                       f"(due {item['due_on']}, done {item['met_on']})",
                                       [{**ref[0], "met_position": row["met_position"]}]))
        card = card_ids[0] if card_ids else None
        children = view.card_children(card) if card else group.get("child_ids", [])
        label = group.get("name")
        if not label:  # a card no group works on yet is named after its children
            names = ", ".join(n for n in (known.family(c)["name"] for c in children) if n)
            label = f"Blue Card: {names}" if names else f"Blue Card {card}"
        return {"subject": {"type": "case", "id": card or group.get("group_id"), "label": label,
                            "blue_card_id": card, "group_id": group.get("group_id"),
                            "child_ids": children},
                "reasons": reasons}

    @property
    def children(self) -> ChildrenView:
        return self.deadlines.followers["children"].view  # type: ignore[return-value]

    def _child_name(self, child_id: str) -> str | None:
        """The name of a child the read model does not know (yet): from its record."""
        try:
            child = self.store.repository.get(UUID(child_id))
        except (AggregateNotFoundError, ValueError):  # a name is a courtesy; the id identifies the child
            return None
        return child.display_name() if isinstance(child, Child) else None


class _Known:
    """What one agenda read knows about its children, each kind fetched once for all of them.

    An agenda asked, for each of a score (the team's: hundreds) of children, for its merge
    family, name, new signals, band changes, risk signals and help plans: a few queries per
    child. Here each is one query for all of them: the families (merge root, the root's
    name, the records merged in) from the ``children`` read model, then the fresh signals,
    band changes and risk signals of the children the agenda discusses, and, on first use,
    the overdue help-plan actions. Signal rows of families whose records have not moved
    since an earlier read come from ``Agendas.signal_rows``/``risk_rows`` (see ``_Recent``).
    """

    def __init__(self, agendas: Agendas, actor: Actor, child_ids: list[str], *, subjects: list[str],
                 since: str | None):
        self.agendas = agendas
        self.actor = actor
        self.families = agendas.children.families(child_ids)
        families = [self.family(c) for c in subjects]
        records = {f["root"]: f["records"] for f in families}
        roots = sorted(records)
        everyone = sorted({r for family in records.values() for r in family})
        self._fresh: dict[str, list[dict]] = {}  # root -> its family's fresh signals, in timeline order
        for root, rows in _family_rows(agendas.timeline, agendas.signal_rows, "timeline_children", records,
                                       everyone, _timeline_rows, _merge_timeline).items():
            self._fresh[root] = [e for e in rows if since is None or e["recorded_at"] > since]
        self._bands: dict[str, list[dict]] = {}
        for row in _chunked(agendas.risk, "SELECT * FROM risk_band_history WHERE root_id IN ({marks})"
                                          " ORDER BY root_id, position", roots):
            self._bands.setdefault(row["root_id"], []).append(row)
        self._signals = _family_rows(agendas.risk, agendas.risk_rows, "risk_children", records, everyone,
                                     _risk_rows, _merge_risk)
        self._overdue: dict[str, list[dict]] = {}
        self._asked: set[str] = set()
        self._refused = False

    def family(self, child_id: str) -> dict:
        """The child's family; a child the read model does not know stands alone, named from its record."""
        found = self.families.get(child_id)
        if found is None:
            found = {"root": child_id, "name": self.agendas._child_name(child_id), "records": [child_id]}
            self.families[child_id] = found
        return found

    def fresh_signals(self, root: str) -> list[dict]:
        """The family's live (not retracted) signals recorded after the agenda's ``since``, in timeline order."""
        return self._fresh.get(root, [])

    def band_history(self, root: str) -> list[dict]:
        """The child's band changes, oldest first."""
        return self._bands.get(root, [])

    def risk_signals(self, root: str) -> _RiskSignals:
        """Every signal of the child and the records merged into it, for a live assessment."""
        return self._signals.get(root) or _RiskSignals()

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


#: How many families' signals the agendas keep between reads (as many as the timeline view keeps).
FAMILY_CACHE_SIZE = 256
#: The live signals of some records, as the agenda tells them (``{marks}``: the records' placeholders).
_LIVE_SIGNALS = (
    "SELECT e.entry_id, e.child_id, e.kind, e.severity, e.observed_at, e.recorded_at, e.position,"
    " COALESCE(e.agency_kind, a.kind) AS kind_of_agency"
    " FROM timeline_entries e LEFT JOIN timeline_agencies a ON a.agency_id = e.agency_id"
    " WHERE e.child_id IN ({marks}) AND e.entry_type = 'signal' AND NOT e.retracted"
    " ORDER BY e.observed_at, e.recorded_at, e.entry_id")
#: Every signal of some records (``{marks}``: the records' placeholders).
_RISK_SIGNALS = (
    "SELECT signal_id, child_id, kind, severity, observed_at, agency_id, agency_kind, retracted, disputed"
    " FROM risk_signals WHERE child_id IN ({marks})")
#: Ids per query (well under every database's limit on parameters).
_CHUNK = 500


@dataclass(frozen=True)
class _RiskSignals:
    """A family's risk signals, and a reference to each (kind and observation time: what pages name it by)."""

    signals: tuple[RiskSignal, ...] = ()
    refs: dict[str, dict] = field(default_factory=dict)


class _Recent:
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
        found = self.kept.get(root)
        return None if found is None or found[0] != token else found[1]

    def put(self, root: str, token: tuple, value: Any) -> None:
        self.kept.put(root, (token, value))


def _rows_in(value: Any) -> int:
    return len(value.signals) if isinstance(value, _RiskSignals) else len(value)


def _family_rows(view: TimelineView | RiskView, cache: _Recent, table: str, records: dict[str, list[str]],
                 everyone: list[str], read: Callable[[Any, list[str]], dict[str, Any]],
                 merge: Callable[[list], Any]) -> dict:
    """Each family's rows: from ``cache`` where no record moved since, else read (one query for all of those)."""
    positions = {r["child_id"]: r["last_position"] for r in _chunked(
        view, f"SELECT child_id, last_position FROM {table} WHERE child_id IN ({{marks}})", everyone)}  # noqa: S608
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


def _merge_risk(parts: list[_RiskSignals | None]) -> _RiskSignals:
    """A family's risk signals, from its records'."""
    found = [p for p in parts if p is not None]
    if len(found) == 1:
        return found[0]
    return _RiskSignals(tuple(s for p in found for s in p.signals), {k: v for p in found for k, v in p.refs.items()})


def _timeline_rows(view: TimelineView, records: list[str]) -> dict[str, list[dict]]:
    """Each record's live signals in timeline order, with the reference the agenda gives for each."""
    out: dict[str, list] = {}
    for row in _chunked(view, _LIVE_SIGNALS, records):
        row["ref"] = {"type": "signal", "id": row["entry_id"], "child_id": row["child_id"],
                      "position": row["position"], "kind": row["kind"],
                      "observed_at": from_ts(row["observed_at"]).isoformat()}
        out.setdefault(row["child_id"], []).append(row)
    return out


def _risk_rows(view: RiskView, records: list[str]) -> dict[str, _RiskSignals]:
    """Each record's risk signals (as one ``_RiskSignals``)."""
    found: dict[str, list[RiskSignal]] = {}
    for row in _chunked(view, _RISK_SIGNALS, records):
        found.setdefault(row["child_id"], []).append(_risk_signal(row))
    return {record: _RiskSignals(tuple(signals), {s.signal_id: {
        "type": "signal", "id": s.signal_id, "kind": s.kind, "observed_at": s.observed_at.isoformat()}
        for s in signals}) for record, signals in found.items()}


def _chunked(view: TimelineView | RiskView, statement: str, ids: list[str], extra: list | None = None) -> list[dict]:
    """Run ``statement`` (``{marks}`` standing for the ids' placeholders) for the ids, a chunk at a time."""
    rows: list[dict] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows += view.query(statement.format(marks=", ".join("?" for _ in chunk)), [*chunk, *(extra or [])])
    return rows


def _signal_refs(signals: _RiskSignals, ids: Iterable[str]) -> list[dict]:
    """References to signals, each with its kind and observation time (what a page names it by)."""
    return [dict(signals.refs.get(i) or {"type": "signal", "id": i}) for i in ids]


def _reason(code: str, weight: int, text: str, refs: list[dict]) -> dict:
    return {"code": code, "weight": weight, "text": text, "refs": refs}


def _label(kind: str | None, language: str) -> str:
    row = CATALOGUE.get(kind or "")
    return row.label(language) if row else (kind or "")


def _meeting(row: dict) -> dict:
    return {"id": row["meeting_id"], "scheduled_for": from_ts(row["scheduled_for"]).isoformat(), "place": row["place"]}
