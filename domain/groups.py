"""Working groups (diagnostic and support groups) and their meetings, decisions and actions.

A group works on one family (usually one Blue Card). Since 22.06.2023 its core is a social
worker and a police officer; other agencies join as the case needs. Meetings live inside
the group, so the group's history reads in one line: scheduled, held (who came, minutes),
decisions (each with the event-store position it was made on: what the group could know),
and actions with an owner and a due date, marked done later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.agencies import require_name
from domain.errors import Conflict, InvalidInput, NotFound
from domain.field_checks import check_text

MAX_TEXT = 20_000
MAX_MEMBERS = 40
MAX_CHILDREN = 20
_REMINDER_NAMESPACE = UUID("3b0f3c55-4a8e-4c51-9d3b-7b7f1d2f8a10")
_TEAM_NAMESPACE = UUID("6c1e2a4b-8f3d-4e7a-9b2c-1d5e7f9a3b60")


def check_core(members: list[dict]) -> None:
    """The core of a group: an OPS social worker and a police officer."""
    has_social_worker = any(m["agency_kind"] == "ops" and m["role"] == "case_worker" for m in members)
    has_police = any(m["agency_kind"] == "police" for m in members)
    missing = [
        name
        for name, ok in (("a social worker (OPS case worker)", has_social_worker), ("a police officer", has_police))
        if not ok
    ]
    if missing:
        raise InvalidInput.one("members", "the group's core must include " + " and ".join(missing))


def check_schedule(scheduled_for: datetime, place: str, now: datetime) -> tuple[datetime, str]:
    """A meeting is scheduled for a real future moment."""
    if scheduled_for.tzinfo is None:
        raise InvalidInput.one("scheduled_for", "must include a time zone")
    if scheduled_for < now:
        raise InvalidInput.one("scheduled_for", "must not be in the past")
    return scheduled_for.astimezone(UTC), check_text("place", place, 500)


def check_minutes(meeting: dict, held_on: date, attendees: list[dict], minutes: str, today: date) -> str:
    """Minutes are recorded once, for a meeting that happened, with who came."""
    if meeting["held_on"] is not None:
        raise Conflict("the meeting's minutes are already recorded")
    if held_on > today:
        raise InvalidInput.one("held_on", "must not be in the future")
    if not attendees:
        raise InvalidInput.one("attendees", "name at least one attendee")
    return check_text("minutes", minutes, MAX_TEXT, required=True)


def find_meeting(meetings: dict[str, dict], meeting_id: UUID) -> dict:
    """The meeting, or NotFound."""
    meeting = meetings.get(str(meeting_id))
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} is not on this calendar")
    return meeting


class WorkingGroup(Aggregate):
    """A diagnostic and support group in one municipality."""

    class Opened(Aggregate.Created):
        municipality_id: UUID
        name: str
        blue_card_id: UUID | None
        child_ids: list[UUID]
        members: list[dict]
        opened_by: UUID

    class BlueCardAttached(Aggregate.Event):
        blue_card_id: UUID
        attached_by: UUID

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

    class ActionAssigned(Aggregate.Event):
        meeting_id: UUID | None
        action_id: UUID
        description: str
        owner_user_id: UUID | None
        owner_agency_id: UUID | None
        due_on: date
        assigned_by: UUID

    class ActionDone(Aggregate.Event):
        action_id: UUID
        note: str
        done_by: UUID

    @event(Opened)
    def __init__(
        self,
        municipality_id: UUID,
        name: str,
        blue_card_id: UUID | None,
        child_ids: list[UUID],
        members: list[dict],
        opened_by: UUID,
    ):
        self.municipality_id = municipality_id
        self.name = name
        self.blue_card_id = blue_card_id
        self.child_ids = list(child_ids)
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
    ) -> WorkingGroup:
        """Open a group; ``members`` carry user_id, agency_id, agency_kind, role and function."""
        if len(members) > MAX_MEMBERS:
            raise InvalidInput.one("members", f"at most {MAX_MEMBERS} members")
        if len({m["user_id"] for m in members}) != len(members):
            raise InvalidInput.one("members", "lists the same user twice")
        if len(child_ids) > MAX_CHILDREN or len(set(child_ids)) != len(child_ids):
            raise InvalidInput.one("child_ids", f"must list different children, at most {MAX_CHILDREN}")
        check_core(members)
        return cls(
            municipality_id=municipality_id,
            name=require_name("name", name),
            blue_card_id=blue_card_id,
            child_ids=list(child_ids),
            members=members,
            opened_by=opened_by,
        )

    # --- membership and card ---------------------------------------------------------

    def is_member(self, user_id: UUID) -> bool:
        """True when the user sits on this group."""
        return any(str(m["user_id"]) == str(user_id) for m in self.members)

    def attach_card(self, *, blue_card_id: UUID, attached_by: UUID) -> None:
        """Make the group the one working on a card."""
        if self.blue_card_id is not None:
            raise Conflict("the group already works on a Blue Card", blue_card_id=str(self.blue_card_id))
        self._card_attached(blue_card_id=blue_card_id, attached_by=attached_by)

    @event(BlueCardAttached)
    def _card_attached(self, blue_card_id: UUID, attached_by: UUID) -> None:
        self.blue_card_id = blue_card_id

    # --- meetings --------------------------------------------------------------------

    def schedule_meeting(
        self, *, meeting_id: UUID, scheduled_for: datetime, place: str, scheduled_by: UUID, now: datetime
    ) -> None:
        """Put a meeting in the calendar."""
        moment, place = check_schedule(scheduled_for, place, now)
        self._scheduled(meeting_id=meeting_id, scheduled_for=moment, place=place, scheduled_by=scheduled_by)

    @event(MeetingScheduled)
    def _scheduled(self, meeting_id: UUID, scheduled_for: datetime, place: str, scheduled_by: UUID) -> None:
        self.meetings[str(meeting_id)] = {"scheduled_for": scheduled_for, "held_on": None}

    def hold_meeting(
        self, *, meeting_id: UUID, held_on: date, attendees: list[dict], minutes: str, recorded_by: UUID, today: date
    ) -> None:
        """Record that the meeting took place: who came (by agency) and the minutes."""
        minutes = check_minutes(self._meeting(meeting_id), held_on, attendees, minutes, today)
        self._held(
            meeting_id=meeting_id, held_on=held_on, attendees=attendees, minutes=minutes, recorded_by=recorded_by
        )

    @event(MeetingHeld)
    def _held(self, meeting_id: UUID, held_on: date, attendees: list[dict], minutes: str, recorded_by: UUID) -> None:
        self.meetings[str(meeting_id)]["held_on"] = held_on

    def record_decision(
        self, *, meeting_id: UUID, decision_id: UUID, text: str, knowledge_position: int, recorded_by: UUID
    ) -> None:
        """A decision of a held meeting, with the log position of what was known when it was made."""
        meeting = self._meeting(meeting_id)
        if meeting["held_on"] is None:
            raise Conflict("record the meeting as held (attendees and minutes) before its decisions")
        self._decision(
            meeting_id=meeting_id,
            decision_id=decision_id,
            text=check_text("text", text, MAX_TEXT, required=True),
            knowledge_position=knowledge_position,
            recorded_by=recorded_by,
        )

    @event(DecisionRecorded)
    def _decision(
        self, meeting_id: UUID, decision_id: UUID, text: str, knowledge_position: int, recorded_by: UUID
    ) -> None:
        pass

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
            self._meeting(meeting_id)
        if (owner_user_id is None) == (owner_agency_id is None):
            raise InvalidInput.one("owner", "name exactly one owner: owner_user_id or owner_agency_id")
        self._action(
            meeting_id=meeting_id,
            action_id=action_id,
            description=check_text("description", description, MAX_TEXT, required=True),
            owner_user_id=owner_user_id,
            owner_agency_id=owner_agency_id,
            due_on=due_on,
            assigned_by=assigned_by,
        )

    @event(ActionAssigned)
    def _action(
        self,
        meeting_id: UUID | None,
        action_id: UUID,
        description: str,
        owner_user_id: UUID | None,
        owner_agency_id: UUID | None,
        due_on: date,
        assigned_by: UUID,
    ) -> None:
        self.actions[str(action_id)] = {"done": False}

    def mark_action_done(self, *, action_id: UUID, note: str, done_by: UUID) -> None:
        """Record that an action was carried out."""
        action = self.actions.get(str(action_id))
        if action is None:
            raise NotFound(f"action {action_id} is not on this group")
        if action["done"]:
            raise Conflict("the action is already marked done")
        self._action_done(action_id=action_id, note=check_text("note", note, MAX_TEXT), done_by=done_by)

    @event(ActionDone)
    def _action_done(self, action_id: UUID, note: str, done_by: UUID) -> None:
        self.actions[str(action_id)]["done"] = True

    def _meeting(self, meeting_id: UUID) -> dict:
        return find_meeting(self.meetings, meeting_id)


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
        if find_meeting(self.meetings, meeting_id)["held_on"] is None:
            raise Conflict("record the meeting as held (attendees and minutes) before its decisions")
        self._decision(
            meeting_id=meeting_id,
            decision_id=decision_id,
            text=check_text("text", text, MAX_TEXT, required=True),
            knowledge_position=knowledge_position,
            recorded_by=recorded_by,
        )

    @event(DecisionRecorded)
    def _decision(
        self, meeting_id: UUID, decision_id: UUID, text: str, knowledge_position: int, recorded_by: UUID
    ) -> None:
        pass


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
