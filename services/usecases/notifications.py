"""Police notices to the child's school and OPS: issue (inside the signal's save), list,
deliver, acknowledge, and escalate the unacknowledged ones past their due time.

An intervention saves its notices and nothing shared, so interventions recorded at the same
moment never conflict. Listings and the escalation scan read the ``notices`` read model
(``projections.notices``), caught up first; each notice shown or escalated is then read
from its aggregate, the truth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.access import Action, Actor, require, require_same_municipality
from domain.agencies import Agency, AgencyKind, Role
from domain.children import Child
from domain.errors import Forbidden, NotFound
from domain.notifications import INTERVENTION_KIND, Notification, check_intervention, load_school_days
from projections.notices import UNACKNOWLEDGED, NoticesView
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.loading import find, listed

if TYPE_CHECKING:
    from projections.runner import Followers
    from services.usecases.gate import ChildGate

log = logging.getLogger("safehub.notifications")
#: The Celery task beat sends to escalate overdue notices (production mode).
ESCALATE_TASK = "safehub.escalate_notifications"


class Notifications(UseCase):
    """Operation Encompass: the school and OPS hear of a domestic intervention before school.

    Its ``gate`` audits every read: a notice names a child and what the police saw.
    """

    def __init__(
        self,
        store: SafehubStore,
        followers: Followers,
        projector: Any,
        clock: Callable[[], datetime],
        policy_path: str | None = None,
        *,
        gate: ChildGate | None = None,
    ):
        super().__init__(store, clock, gate=gate)
        self.followers = followers
        #: Lets the read model catch up before a listing (in-process, or waiting for the workers).
        self.projector = projector
        self.policy = load_school_days(policy_path)

    # --- issuing (a hook of ChildRecords.record_signal, inside the same save) ------------

    def on_signal(
        self, actor: Actor, child: Child, recorded: Child.SignalRecorded, intervention: dict | None
    ) -> tuple[list, dict]:
        """Build the notices of a police domestic intervention, to save with the signal."""
        details = check_intervention(recorded.kind, intervention)
        if recorded.kind != INTERVENTION_KIND or actor.agency_kind != AgencyKind.POLICE.value:
            return [], {}
        now = self.clock()
        notices = [
            Notification.issue(
                municipality_id=child.municipality_id,
                child_id=child.id,
                signal_id=recorded.signal_id,
                recipient_agency_id=agency.id,
                recipient_kind=agency.kind,
                sender_agency_id=actor.agency_id,
                author_id=actor.user_id,
                observed_at=recorded.observed_at,
                recorded_at=now,
                intervention=details,
                details=recorded.details,
                policy=self.policy,
            )
            for agency in self._recipients(child)
        ]
        notified = [
            {
                "id": str(n.id),
                "recipient_agency_id": str(n.recipient_agency_id),
                "recipient_kind": n.recipient_kind,
                "due_at": n.due_at.isoformat(),
            }
            for n in notices
        ]
        return notices, {"notified": notified}

    # --- reading and acknowledging ---------------------------------------------------------

    @property
    def view(self) -> NoticesView:
        return self.followers["notices"].view  # type: ignore[return-value]

    def list_notices(
        self, actor: Actor, status: str | None = None, *, open_only: bool = False, limit: int | None = None
    ) -> list[dict]:
        """What the caller's agency received or sent; for the coordinator, the escalations.

        ``open_only`` keeps the notices not yet acknowledged; ``limit`` the earliest due.
        """
        if actor.role == Role.COORDINATOR.value:
            require(actor, Action.READ_ESCALATIONS)
            filed = [("escalated", {"escalated_in": str(actor.municipality_id)})]
        else:
            require(actor, Action.READ_NOTIFICATIONS)
            if actor.agency_id is None:
                raise Forbidden("notices are addressed to agencies")
            filed = [("received", {"recipient": str(actor.agency_id)}), ("sent", {"sender": str(actor.agency_id)})]
        statuses = (status,) if status else UNACKNOWLEDGED if open_only else ()
        self.projector.before_read(self.store.recorder.max_notification_id() or 0, ["notices"])
        found = sorted(
            (row["due_at"], row["notice_id"], direction)
            for direction, where in filed
            for row in self.view.listed(**where, statuses=statuses)
        )
        answer = [self._view(self._notice(actor, UUID(ref)), direction) for _, ref, direction in found[:limit]]
        return self._audited(actor, answer)

    def get(self, actor: Actor, notice_id: UUID) -> dict:
        """Return a notice; the recipient's first read records its delivery."""

        def attempt() -> dict:
            notice, direction = self._visible(actor, notice_id)
            if direction == "received" and notice.deliver(actor.user_id, "api"):
                self.store.save(notice)
            return self._view(notice, direction)

        return self._audited(actor, [retry_on_conflict(attempt)])[0]

    def deliver(self, actor: Actor, notice_id: UUID, channel: str = "api") -> dict:
        """Record delivery to the recipient's system (once; later calls change nothing)."""
        require(actor, Action.ACKNOWLEDGE_NOTIFICATION)

        def attempt() -> dict:
            notice = self._received(actor, notice_id)
            if notice.deliver(actor.user_id, channel):
                self.store.save(notice)
            return self._view(notice, "received")

        return self._audited(actor, [retry_on_conflict(attempt)])[0]

    def acknowledge(self, actor: Actor, notice_id: UUID, note: str = "") -> dict:
        """A person at the recipient agency confirms they have read the notice."""
        require(actor, Action.ACKNOWLEDGE_NOTIFICATION)

        def attempt() -> dict:
            notice = self._received(actor, notice_id)
            notice.acknowledge(actor.user_id, note)
            self.store.save(notice)
            return self._view(notice, "received")

        return self._audited(actor, [retry_on_conflict(attempt)])[0]

    # --- escalation (Celery beat, the CLI, or the embedded loop) ---------------------------

    def escalate_overdue(self) -> list[str]:
        """Escalate every unacknowledged notice past its due time to the team coordinator, once.

        The scan first applies the log to the read model itself (it runs in a worker, beat's
        task, the CLI or the embedded loop, none of which should wait on another process);
        each candidate is then checked against its aggregate before it is escalated.
        """
        self.followers["notices"].catch_up()
        now = self.clock()
        escalated = [ref for ref in self.view.overdue_open(now) if self._escalate_one(UUID(ref), now)]
        if escalated:
            log.info("escalated %d unacknowledged notices", len(escalated))
        return escalated

    def _escalate_one(self, notice_id: UUID, now: datetime) -> bool:
        def attempt() -> bool:
            notice = self.store.repository.get(notice_id)
            teams = [a.id for a in self._agencies(notice.municipality_id) if a.kind == AgencyKind.TEAM.value]
            if not notice.escalate(now, teams, withdrawn=_retracted(self._get(notice.child_id), notice.signal_id)):
                return False
            self.store.save(notice)
            return True

        return retry_on_conflict(attempt)

    # --- helpers -----------------------------------------------------------------------------

    def _audited(self, actor: Actor, answer: list[dict]) -> list[dict]:
        """Log the read of each child the notices name (a notice says what the police saw)."""
        if self.gate is None:
            raise RuntimeError("Notifications.gate is wired by services.bootstrap")
        for n, child_id in enumerate(dict.fromkeys(notice["child"]["id"] for notice in answer)):
            access = self.gate.open(actor, [child_id], caught_up=n > 0)  # the projections catch up once
            self.gate.logged(access, [child_id], "notification")
        return answer

    def _recipients(self, child: Child) -> list[Agency]:
        """The child's school (when known) and every OPS of the municipality."""
        agencies = self._agencies(child.municipality_id)
        return [a for a in agencies if a.id == child.school_id or a.kind == AgencyKind.OPS.value]

    def _agencies(self, municipality_id: UUID) -> list[Agency]:
        return [a for a in (self._get(r) for r in self._listed(f"agencies:{municipality_id}")) if isinstance(a, Agency)]

    def _notice(self, actor: Actor, notice_id: UUID) -> Notification:
        notice = self._get(notice_id)
        if not isinstance(notice, Notification):
            raise NotFound(f"notification {notice_id} not found")
        require_same_municipality(actor, notice.municipality_id)
        return notice

    def _visible(self, actor: Actor, notice_id: UUID) -> tuple[Notification, str]:
        """The notice and how the caller sees it; anyone else is told it does not exist."""
        if actor.role == Role.COORDINATOR.value:
            require(actor, Action.READ_ESCALATIONS)
            notice = self._notice(actor, notice_id)
            if notice.escalated:
                return notice, "escalated"
        else:
            require(actor, Action.READ_NOTIFICATIONS)
            notice = self._notice(actor, notice_id)
            if actor.agency_id == notice.recipient_agency_id:
                return notice, "received"
            if actor.agency_id == notice.sender_agency_id:
                return notice, "sent"
        raise NotFound(f"notification {notice_id} not found")

    def _received(self, actor: Actor, notice_id: UUID) -> Notification:
        notice, direction = self._visible(actor, notice_id)
        if direction != "received":
            raise Forbidden("only the agency the notice is addressed to may record its delivery or acknowledge it")
        return notice

    def _get(self, aggregate_id: UUID) -> object | None:
        return find(self.store, aggregate_id)

    def _listed(self, key: str) -> list[UUID]:
        return listed(self.store, key)

    def _view(self, notice: Notification, direction: str) -> dict:
        stamps = {type(e).__name__: e for e in self.store.events.get(notice.id)}
        issued = stamps["Issued"]  # a notice always starts with it
        child = self._get(notice.child_id)
        acknowledged = stamps.get("Acknowledged")
        escalated = stamps.get("Escalated")
        return {
            "id": str(notice.id),
            "direction": direction,
            "status": notice.status,
            "child": _child(child, notice.child_id),
            "signal_id": str(notice.signal_id),
            "sender": self._agency_ref(notice.sender_agency_id),
            "recipient": self._agency_ref(notice.recipient_agency_id),
            "observed_at": issued.observed_at.isoformat(),
            "recorded_at": issued.timestamp.isoformat(),
            "due_at": notice.due_at.isoformat(),
            "due_by_observation": issued.due_by_observation.isoformat(),
            "recorded_late": issued.due_by_observation < notice.due_at,
            "overdue": not notice.acknowledged and self.clock() > notice.due_at,
            "signal_retracted": _retracted(child, notice.signal_id),
            # None once the child's personal data was erased (crypto-shredded).
            "intervention": dict(issued.intervention) if issued.intervention is not None else None,
            "details": issued.details,
            "delivered_at": stamps["Delivered"].timestamp.isoformat() if "Delivered" in stamps else None,
            "acknowledged_at": acknowledged.timestamp.isoformat() if acknowledged else None,
            "acknowledged_by": str(acknowledged.user_id) if acknowledged else None,
            "note": acknowledged.note if acknowledged else None,
            "escalated_at": escalated.timestamp.isoformat() if escalated else None,
            "policy_version": issued.policy_version,
        }

    def _agency_ref(self, agency_id: UUID) -> dict:
        agency = self._get(agency_id)
        if not isinstance(agency, Agency):
            return {"id": str(agency_id), "name": None, "kind": None}
        return {"id": str(agency.id), "name": agency.name, "kind": agency.kind}


def _retracted(child: object, signal_id: UUID) -> bool:
    """Whether the police withdrew the signal behind a notice (then it is not escalated)."""
    if not isinstance(child, Child):
        return False
    return bool(child.signals.get(str(signal_id), {}).get("retracted"))


def _child(child: object, child_id: UUID) -> dict:
    if not isinstance(child, Child):
        return {"id": str(child_id)}
    return {
        "id": str(child.id),
        "given_name": child.given_name,
        "family_name": child.family_name,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "school_id": str(child.school_id) if child.school_id else None,
        "erased": child.erased,
    }
