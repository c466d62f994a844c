"""Deadlines and reminders, read from the projections and checked against the procedure policy.

Whether an item is overdue depends on today, so it is decided here on read (the
projection stores due dates and completions). Reminders are events: ``remind`` raises
one ``Reminder`` per item and stage, whose id derives from both, so running it twice (a
beat tick and the CLI at once) raises nothing twice. Projections never write events; this
service does. The agendas built on these items live in ``services.usecases.agendas``.

The list follows the detail endpoints: the coordinator and the auditor see every item of
the municipality; anyone else sees a group's items as a member of that group, and a card's
procedure items where the card's own endpoint lets them read the card (its filing agency,
its group). A filter naming a group or a card asks that group's or card's own check, so it
answers exactly as the detail endpoint does. Each answer logs a read of the children of
the cases (and help plans) it shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.access import Action, Actor, may, require
from domain.agencies import Role
from domain.calendar import working_days_between
from domain.errors import InvalidInput
from domain.groups import Reminder
from domain.procedure import ProcedurePolicy
from projections.deadlines import DeadlinesView
from projections.runner import Followers
from projections.views import from_ts
from services.adapters.event_store import SafehubStore
from services.usecases.base import Gate, UseCase
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans
from services.usecases.list_reads import log_children

log = logging.getLogger("safehub.deadlines")

#: The Celery task name beat schedules and the workers serve.
REMIND_TASK = "safehub.deadlines.remind"
STATES = ("pending", "due_soon", "overdue", "met", "late")
_LABELS = {
    "form_a_to_chair": "form A to the team chair",
    "chair_to_group": "chair to a diagnostic and support group",
    "first_group_meeting": "the group's first meeting",
    "monitoring_review": "post-closure monitoring review",
    "action": "action",
}
#: Roles that read every case of the municipality (the detail endpoints' rule).
_WHOLE_MUNICIPALITY = frozenset({Role.COORDINATOR.value, Role.AUDITOR.value})


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
        "id": row["item_id"],
        "kind": row["kind"],
        "label": _LABELS.get(row["kind"], row["kind"]),
        "state": state,
        "breached": state in ("overdue", "late"),
        "delay_working_days": delay,
        "blue_card_id": row["card_id"],
        "group_id": row["group_id"],
        "description": row["description"],
        "owner_user_id": row["owner_user_id"],
        "owner_agency_id": row["owner_agency_id"],
        "start_on": row["start_on"],
        "due_on": row["due_on"],
        "met_on": row["met_on"],
        "reminded_due_soon_at": as_iso(row["due_soon_reminded_at"]),
        "reminded_overdue_at": as_iso(row["overdue_reminded_at"]),
        "opened_position": row["opened_position"],
        "met_position": row["met_position"],
        "policy_version": row["policy_version"],
    }


def as_iso(text: str | None) -> str | None:
    """A moment as the read models store it, in ISO 8601 (None stays None)."""
    return from_ts(text).isoformat() if text else None


class _Cases:
    """Which groups and cards one reader may read, and each case's children, from one read of each table.

    The same rule as the detail endpoints (``WorkingGroups.readable``, the Blue Card's own
    check): the chair and the auditor read every case; anyone else a group they sit on, and
    a card their agency filed or whose group they sit on. A group's actions are the group's
    alone; the procedure's items (form A, the chair, the first meeting, reviews) are the card's.
    """

    def __init__(self, view: DeadlinesView, actor: Actor, municipality: str):
        groups = view.groups(municipality)
        cards = view.cards(municipality)
        self.everything = actor.role in _WHOLE_MUNICIPALITY
        user, agency = str(actor.user_id), str(actor.agency_id) if actor.agency_id else None
        self.groups = {g["group_id"] for g in groups if any(m.get("user_id") == user for m in g["members"])}
        self.cards = {c["card_id"] for c in cards if agency is not None and c["agency_id"] == agency}
        self.cards |= {c["card_id"] for c in cards if c["group_id"] in self.groups}
        self.group_children = {g["group_id"]: list(g["child_ids"]) for g in groups}
        self.card_children = view.children_of_cards(municipality)

    def shows(self, row: dict) -> bool:
        """Whether the reader may see this item."""
        if self.everything:
            return True
        if row["group_id"] in self.groups:
            return True
        return row["kind"] != "action" and row["card_id"] in self.cards

    def children(self, row: dict) -> list[str]:
        """The children of the item's case: its group's and its card's."""
        found = self.group_children.get(row["group_id"] or "", [])
        return found + self.card_children.get(row["card_id"] or "", [])


class Deadlines(UseCase):
    """What is due and overdue, per team and per group; reminders for what became overdue."""

    def __init__(
        self,
        store: SafehubStore,
        followers: Followers,
        projector: object,
        clock: Callable[[], datetime],
        policy: ProcedurePolicy,
        help_plans: HelpPlans | None = None,
        *,
        gate: Gate | None = None,
        groups: WorkingGroups | None = None,
        card_check: Callable[[Actor, UUID], object] | None = None,
    ):
        super().__init__(store, clock, gate=gate)
        self.followers = followers
        self.projector = projector
        self.policy = policy
        #: Overdue help-plan actions join the deadline list (they belong to no group).
        self.help_plans = help_plans
        #: The group's own read check (``WorkingGroups.readable``): a ``group_id`` filter answers as it does.
        self.groups = groups
        #: The card's own read check (the Blue Card endpoint's): a ``blue_card_id`` filter answers as it does.
        self.card_check = card_check

    @property
    def view(self) -> DeadlinesView:
        return self.followers["deadlines"].view  # type: ignore[return-value]

    def today(self) -> date:
        """Today in the procedure policy's zone (the working days' calendar is the policy's)."""
        return self.clock().astimezone(self.policy.zone).date()

    def catch_up(self) -> None:
        """Let the projections apply what the log holds before a read."""
        self.projector.before_read(self.store.recorder.max_notification_id() or 0)  # type: ignore[attr-defined]

    def list(
        self, actor: Actor, *, group_id: UUID | None = None, blue_card_id: UUID | None = None, state: str | None = None
    ) -> dict:
        """The municipality's deadline items (or one group's or card's), earliest due first."""
        require(actor, Action.READ_DEADLINES)
        if state is not None and state not in STATES:
            raise InvalidInput.one("state", f"must be one of: {', '.join(STATES)}")
        self._check_filters(actor, group_id, blue_card_id)
        self.catch_up()
        today = self.today()
        municipality = str(actor.municipality_id)
        rows = self.view.items(
            municipality_id=municipality,
            group_id=str(group_id) if group_id else None,
            card_id=str(blue_card_id) if blue_card_id else None,
        )
        cases = _Cases(self.view, actor, municipality)
        shown = [(item_view(r, today, self.policy), cases.children(r)) for r in rows if cases.shows(r)]
        if group_id is None and blue_card_id is None:
            shown += [(i, i["child_ids"]) for i in self._help_plan_items(actor, today)]
        if state is not None:
            shown = [(i, children) for i, children in shown if i["state"] == state]
        items = [i for i, _ in shown]
        log_children(self.gate, actor, [c for _, children in shown for c in children], "deadlines", caught_up=True)
        return {
            "as_of": today.isoformat(),
            "policy_version": self.policy.version,
            "summary": {s: sum(1 for i in items if i["state"] == s) for s in STATES},
            "per_group": self._per_group(actor, items),
            "items": items,
        }

    def _check_filters(self, actor: Actor, group_id: UUID | None, blue_card_id: UUID | None) -> None:
        """A filter naming a group or card the caller may not read answers as that group's or card's endpoint."""
        if group_id is not None:
            if self.groups is None:
                raise RuntimeError("Deadlines.groups is wired by services.bootstrap")
            self.groups.readable(actor, group_id)
        if blue_card_id is not None:
            if self.card_check is None:
                raise RuntimeError("Deadlines.card_check is wired by services.bootstrap")
            self.card_check(actor, blue_card_id)

    def _per_group(self, actor: Actor, items: list[dict]) -> list[dict]:
        """How many items each group (and no group: ``""``) has in each state, in order of first item."""
        groups = {g["group_id"]: g["name"] for g in self.view.groups(str(actor.municipality_id))}
        per_group: dict[str, dict] = {}
        for i in items:
            key = i["group_id"] or ""
            entry = per_group.setdefault(
                key, {"group_id": i["group_id"], "name": groups.get(key), **{s: 0 for s in STATES}}
            )
            entry[i["state"]] += 1
        return list(per_group.values())

    def _help_plan_items(self, actor: Actor, today: date) -> list[dict]:
        """Overdue actions of help plans, as deadline items (they belong to no group)."""
        if self.help_plans is None or not may(actor, Action.READ_HELP_PLAN):
            return []
        return [
            {
                "id": f"help_plan_action:{a['help_plan_id']}:{a['id']}",
                "kind": "help_plan_action",
                "label": "help-plan action",
                "state": "overdue",
                "breached": True,
                "delay_working_days": working_days_between(date.fromisoformat(a["due"]), today),
                "blue_card_id": None,
                "group_id": None,
                "description": a["description"],
                "owner_user_id": None,
                "owner_agency_id": a.get("agency_id"),
                "start_on": None,
                "due_on": a["due"],
                "met_on": None,
                "reminded_due_soon_at": None,
                "reminded_overdue_at": None,
                "opened_position": None,
                "met_position": None,
                "policy_version": self.policy.version,
                "help_plan_id": a["help_plan_id"],
                "party": a["party"],
                "child_ids": a["child_ids"],
            }
            for a in self.help_plans.overdue_actions(actor, today=today, logged=False)
        ]

    def remind(self, now: datetime | None = None) -> dict:
        """Raise a reminder event for every item newly due soon or overdue (once per item and stage)."""
        self.catch_up()
        now = now or self.clock()
        today = now.astimezone(self.policy.zone).date()
        raised = {"due_soon": 0, "overdue": 0}
        for row in self.view.items(open_only=True):
            stage, delay = item_state(row, today, self.policy)
            if stage in raised and not row[f"{stage}_reminded_at"] and self._raise(row, stage, delay):
                raised[stage] += 1
        if any(raised.values()):
            log.info("reminders raised: %s", raised)
        return raised

    def _raise(self, row: dict, stage: str, delay: int) -> bool:
        """Save the item's reminder for the stage; False when it was raised already."""
        reminder = Reminder(
            municipality_id=UUID(row["municipality_id"]),
            item_id=row["item_id"],
            stage=stage,
            kind=row["kind"],
            due_on=date.fromisoformat(row["due_on"]),
            delay_working_days=delay,
            blue_card_id=UUID(row["card_id"]) if row["card_id"] else None,
            group_id=UUID(row["group_id"]) if row["group_id"] else None,
        )
        try:
            self.store.save(reminder)
        except IntegrityError:
            return False  # raised already (by another runner, or before the view caught up)
        return True
