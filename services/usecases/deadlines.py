"""Deadlines and reminders, read from the projections and checked against the procedure policy.

Whether an item is overdue depends on today, so it is decided here on read (the
projection stores due dates and completions). Reminders are events: ``remind`` raises
one ``Reminder`` per item and stage, whose id derives from both, so running it twice (a
beat tick and the CLI at once) raises nothing twice. Projections never write events; this
service does. The agendas built on these items live in ``services.usecases.agendas``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.access import Action, Actor, may, require, require_same_municipality
from domain.calendar import working_days_between
from domain.errors import InvalidInput
from domain.groups import Reminder
from domain.procedure import ProcedurePolicy
from projections.deadlines import DeadlinesView
from projections.runner import Followers
from projections.views import from_ts
from services.adapters.event_store import SafehubStore
from services.usecases.base import UseCase
from services.usecases.help_plans import HelpPlans

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
    ):
        super().__init__(store, clock)
        self.followers = followers
        self.projector = projector
        self.policy = policy
        #: Overdue help-plan actions join the deadline list (they belong to no group).
        self.help_plans = help_plans

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
        self.catch_up()
        if group_id is not None:
            self._check_group(actor, group_id)
        today = self.today()
        rows = self.view.items(
            municipality_id=str(actor.municipality_id),
            group_id=str(group_id) if group_id else None,
            card_id=str(blue_card_id) if blue_card_id else None,
        )
        items = [item_view(r, today, self.policy) for r in rows]
        if group_id is None and blue_card_id is None:
            items += self._help_plan_items(actor, today)
        if state is not None:
            items = [i for i in items if i["state"] == state]
        return {
            "as_of": today.isoformat(),
            "policy_version": self.policy.version,
            "summary": {s: sum(1 for i in items if i["state"] == s) for s in STATES},
            "per_group": self._per_group(actor, items),
            "items": items,
        }

    def _check_group(self, actor: Actor, group_id: UUID) -> None:
        """Refuse a group the read model does not know, or one of another municipality."""
        group = self.view.group(str(group_id))
        if group is None:
            raise InvalidInput.one("group_id", "no such working group in this municipality")
        require_same_municipality(actor, UUID(group["municipality_id"]))

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
            for a in self.help_plans.overdue_actions(actor, today=today)
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
