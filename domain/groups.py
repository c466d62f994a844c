"""Working groups (diagnostic and support groups) and their meetings, decisions and actions.

A group works on one family (usually one Blue Card); since 22.06.2023 its core is a social
worker and a police officer. Meetings live inside the group, so its history reads in one
line: scheduled, held (who came, minutes), decisions (each with the log position it was
made on: what the group could know), and actions with an owner and a due date.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agencies import require_name
from domain.errors import Conflict, NotFound
from domain.field_checks import check_text
from domain.group_rules import (
    MAX_CHILDREN,
    MAX_TEXT,
    check_decision,
    check_minutes,
    check_opening,
    check_owner,
    check_schedule,
    find_meeting,
    no_persons,
    no_subjects,
)

__all__ = ["MAX_CHILDREN", "Reminder", "TeamCalendar", "WorkingGroup"]
_REMINDER_NAMESPACE = UUID("3b0f3c55-4a8e-4c51-9d3b-7b7f1d2f8a10")
_TEAM_NAMESPACE = UUID("6c1e2a4b-8f3d-4e7a-9b2c-1d5e7f9a3b60")


class WorkingGroup(Aggregate):
    """A diagnostic and support group in one municipality."""

    # Version 2 events name the persons whose keys seal their text: ``subject_ids`` (Opened: ``child_ids`` and
    # ``person_ids``, the card's adults). Version 1 named none and was stored unsealed: upcast to [].

    class Opened(Aggregate.Created):
        class_version = 2
        municipality_id: UUID
        name: str | None
        blue_card_id: UUID | None
        child_ids: list[UUID]
        person_ids: list[UUID]
        members: list[dict]
        opened_by: UUID
        upcast_v1_v2 = staticmethod(no_persons)

    class BlueCardAttached(Aggregate.Event):
        class_version = 2
        blue_card_id: UUID
        attached_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    class MeetingScheduled(Aggregate.Event):
        class_version = 2
        meeting_id: UUID
        scheduled_for: datetime
        place: str | None
        scheduled_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    class MeetingHeld(Aggregate.Event):
        class_version = 2
        meeting_id: UUID
        held_on: date
        attendees: list[dict]
        minutes: str | None
        recorded_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    class DecisionRecorded(Aggregate.Event):
        class_version = 2
        meeting_id: UUID
        decision_id: UUID
        text: str | None
        knowledge_position: int
        recorded_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    class ActionAssigned(Aggregate.Event):
        class_version = 2
        meeting_id: UUID | None
        action_id: UUID
        description: str | None
        owner_user_id: UUID | None
        owner_agency_id: UUID | None
        due_on: date
        assigned_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    class ActionDone(Aggregate.Event):
        class_version = 2
        action_id: UUID
        note: str | None
        done_by: UUID
        subject_ids: list[UUID]
        upcast_v1_v2 = staticmethod(no_subjects)

    @event(Opened)
    def __init__(
        self,
        municipality_id: UUID,
        name: str,
        blue_card_id: UUID | None,
        child_ids: list[UUID],
        person_ids: list[UUID],
        members: list[dict],
        opened_by: UUID,
    ):
        self.municipality_id = municipality_id
        self.name = name
        self.blue_card_id = blue_card_id
        self.child_ids = list(child_ids)
        self.person_ids = [UUID(str(p)) for p in person_ids]
        self.card_subject_ids: list[UUID] = []
        self.members = [dict(m) for m in members]
        self.meetings: dict[str, dict] = {}
        self.actions: dict[str, dict] = {}

    @classmethod
    def open(
        cls,
        *,
        municipality_id: UUID,
        name: str,
        blue_card_id: UUID | None,
        child_ids: list[UUID],
        members: list[dict],
        opened_by: UUID,
        person_ids: list[UUID] | None = None,
    ) -> WorkingGroup:
        """Open a group; ``members`` carry user_id, agency_id, agency_kind, role, function; ``person_ids``: adults."""
        check_opening(members, child_ids)
        return cls(
            municipality_id=municipality_id,
            name=require_name("name", name),
            blue_card_id=blue_card_id,
            child_ids=list(child_ids),
            person_ids=list(person_ids or []),
            members=members,
            opened_by=opened_by,
        )

    def is_member(self, user_id: UUID) -> bool:
        """True when the user sits on this group."""
        return any(str(m["user_id"]) == str(user_id) for m in self.members)

    @property
    def subject_ids(self) -> list[UUID]:
        """The persons the group's work concerns (its children, its card's children and adults): their keys seal it."""
        return list(dict.fromkeys([*self.child_ids, *self.person_ids, *self.card_subject_ids]))

    def attach_card(self, *, blue_card_id: UUID, attached_by: UUID, subject_ids: list[UUID] | None = None) -> None:
        """Make the group the one working on a card (``subject_ids``: the card's children and adults)."""
        if self.blue_card_id is not None:
            raise Conflict("the group already works on a Blue Card", blue_card_id=str(self.blue_card_id))
        self._card_attached(blue_card_id=blue_card_id, attached_by=attached_by, subject_ids=list(subject_ids or []))

    @event(BlueCardAttached)
    def _card_attached(self, blue_card_id: UUID, attached_by: UUID, subject_ids: list[UUID]) -> None:
        self.blue_card_id = blue_card_id
        self.card_subject_ids = [UUID(str(c)) for c in subject_ids]

    def schedule_meeting(
        self, *, meeting_id: UUID, scheduled_for: datetime, place: str, scheduled_by: UUID, now: datetime
    ) -> None:
        """Put a meeting in the calendar."""
        moment, place = check_schedule(scheduled_for, place, now)
        self._scheduled(
            meeting_id=meeting_id,
            scheduled_for=moment,
            place=place,
            scheduled_by=scheduled_by,
            subject_ids=self.subject_ids,
        )

    @event(MeetingScheduled)
    def _scheduled(
        self, meeting_id: UUID, scheduled_for: datetime, place: str | None, scheduled_by: UUID, subject_ids: list
    ) -> None:
        self.meetings[str(meeting_id)] = {"scheduled_for": scheduled_for, "held_on": None}

    def hold_meeting(
        self, *, meeting_id: UUID, held_on: date, attendees: list[dict], minutes: str, recorded_by: UUID, today: date
    ) -> None:
        """Record that the meeting took place: who came (by agency) and the minutes."""
        minutes = check_minutes(find_meeting(self.meetings, meeting_id), held_on, attendees, minutes, today)
        self._held(
            meeting_id=meeting_id,
            held_on=held_on,
            attendees=attendees,
            minutes=minutes,
            recorded_by=recorded_by,
            subject_ids=self.subject_ids,
        )

    @event(MeetingHeld)
    def _held(
        self,
        meeting_id: UUID,
        held_on: date,
        attendees: list[dict],
        minutes: str | None,
        recorded_by: UUID,
        subject_ids: list[UUID],
    ) -> None:
        self.meetings[str(meeting_id)]["held_on"] = held_on

    def record_decision(
        self, *, meeting_id: UUID, decision_id: UUID, text: str, knowledge_position: int, recorded_by: UUID
    ) -> None:
        """A decision of a held meeting, with the log position of what was known when it was made."""
        self.trigger_event(  # a decision changes no state: the event's own (empty) apply is enough
            self.DecisionRecorded,
            meeting_id=meeting_id,
            decision_id=decision_id,
            text=check_decision(find_meeting(self.meetings, meeting_id), text),
            knowledge_position=knowledge_position,
            recorded_by=recorded_by,
            subject_ids=self.subject_ids,
        )

    def assign_action(
        self,
        *,
        meeting_id: UUID | None,
        action_id: UUID,
        description: str,
        owner_user_id: UUID | None,
        owner_agency_id: UUID | None,
        due_on: date,
        assigned_by: UUID,
    ) -> None:
        """Give someone (a person or an agency) a task with a due date."""
        if meeting_id is not None:
            find_meeting(self.meetings, meeting_id)
        check_owner(owner_user_id, owner_agency_id)
        self._action(
            meeting_id=meeting_id,
            action_id=action_id,
            description=check_text("description", description, MAX_TEXT, required=True),
            owner_user_id=owner_user_id,
            owner_agency_id=owner_agency_id,
            due_on=due_on,
            assigned_by=assigned_by,
            subject_ids=self.subject_ids,
        )

    @event(ActionAssigned)
    def _action(
        self,
        meeting_id: UUID | None,
        action_id: UUID,
        description: str | None,
        owner_user_id: UUID | None,
        owner_agency_id: UUID | None,
        due_on: date,
        assigned_by: UUID,
        subject_ids: list[UUID],
    ) -> None:
        self.actions[str(action_id)] = {"done": False}

    def mark_action_done(self, *, action_id: UUID, note: str, done_by: UUID) -> None:
        """Record that an action was carried out."""
        action = self.actions.get(str(action_id))
        if action is None:
            raise NotFound(f"action {action_id} is not on this group")
        if action["done"]:
            raise Conflict("the action is already marked done")
        self._action_done(
            action_id=action_id, note=check_text("note", note, MAX_TEXT), done_by=done_by, subject_ids=self.subject_ids
        )

    @event(ActionDone)
    def _action_done(self, action_id: UUID, note: str | None, done_by: UUID, subject_ids: list[UUID]) -> None:
        self.actions[str(action_id)]["done"] = True


class TeamCalendar(Aggregate):
    """The interdisciplinary team's own meetings: one calendar per municipality, chaired by the coordinator."""

    class Opened(Aggregate.Created):
        municipality_id: UUID

    class MeetingScheduled(Aggregate.Event):
        meeting_id: UUID
        scheduled_for: datetime
        place: str
        scheduled_by: UUID

    class MeetingHeld(Aggregate.Event):
        meeting_id: UUID
        held_on: date
        attendees: list[dict]
        minutes: str
        recorded_by: UUID

    class DecisionRecorded(Aggregate.Event):
        meeting_id: UUID
        decision_id: UUID
        text: str
        knowledge_position: int
        recorded_by: UUID

    @staticmethod
    def create_id(municipality_id: UUID) -> UUID:
        """One calendar per municipality."""
        return uuid5(_TEAM_NAMESPACE, f"team:{municipality_id}")

    @event(Opened)
    def __init__(self, municipality_id: UUID):
        self.municipality_id = municipality_id
        self.meetings: dict[str, dict] = {}

    def schedule_meeting(
        self, *, meeting_id: UUID, scheduled_for: datetime, place: str, scheduled_by: UUID, now: datetime
    ) -> None:
        """Put a team meeting in the calendar."""
        moment, place = check_schedule(scheduled_for, place, now)
        self._scheduled(meeting_id=meeting_id, scheduled_for=moment, place=place, scheduled_by=scheduled_by)

    @event(MeetingScheduled)
    def _scheduled(self, meeting_id: UUID, scheduled_for: datetime, place: str, scheduled_by: UUID) -> None:
        self.meetings[str(meeting_id)] = {"scheduled_for": scheduled_for, "held_on": None}

    def hold_meeting(
        self, *, meeting_id: UUID, held_on: date, attendees: list[dict], minutes: str, recorded_by: UUID, today: date
    ) -> None:
        """Record the team meeting as held."""
        minutes = check_minutes(find_meeting(self.meetings, meeting_id), held_on, attendees, minutes, today)
        self._held(
            meeting_id=meeting_id, held_on=held_on, attendees=attendees, minutes=minutes, recorded_by=recorded_by
        )

    @event(MeetingHeld)
    def _held(self, meeting_id: UUID, held_on: date, attendees: list[dict], minutes: str, recorded_by: UUID) -> None:
        self.meetings[str(meeting_id)]["held_on"] = held_on

    def record_decision(
        self, *, meeting_id: UUID, decision_id: UUID, text: str, knowledge_position: int, recorded_by: UUID
    ) -> None:
        """A decision of a held team meeting, with its knowledge snapshot."""
        self.trigger_event(  # a decision changes no state: the event's own (empty) apply is enough
            self.DecisionRecorded,
            meeting_id=meeting_id,
            decision_id=decision_id,
            text=check_decision(find_meeting(self.meetings, meeting_id), text),
            knowledge_position=knowledge_position,
            recorded_by=recorded_by,
        )


class Reminder(Aggregate):
    """A reminder raised once for one deadline item at one stage (its id derives from both)."""

    class Raised(Aggregate.Created):
        municipality_id: UUID
        item_id: str
        stage: str
        kind: str
        due_on: date
        delay_working_days: int
        blue_card_id: UUID | None
        group_id: UUID | None

    @staticmethod
    def create_id(item_id: str, stage: str) -> UUID:
        """One id per item and stage, so a second raise conflicts instead of doubling."""
        return uuid5(_REMINDER_NAMESPACE, f"reminder:{item_id}:{stage}")

    @event(Raised)
    def __init__(
        self,
        municipality_id: UUID,
        item_id: str,
        stage: str,
        kind: str,
        due_on: date,
        delay_working_days: int,
        blue_card_id: UUID | None,
        group_id: UUID | None,
    ):
        self.municipality_id = municipality_id
        self.item_id = item_id
        self.stage = stage
        self.kind = kind
        self.due_on = due_on
