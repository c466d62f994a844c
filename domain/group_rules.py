"""The rules a working group's (and the team's) meetings follow, and the upcaster of their texts' events.

Split from ``domain.groups`` so that module holds the aggregates and their events.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from domain.errors import Conflict, InvalidInput, NotFound
from domain.field_checks import check_text

MAX_TEXT = 20_000
MAX_MEMBERS = 40
MAX_CHILDREN = 20


def no_subjects(state: dict) -> None:
    """Upcasting: a version-1 event of a group's work named no persons; it was stored unsealed."""
    state["subject_ids"] = []


def no_persons(state: dict) -> None:
    """Upcasting: a version-1 group was opened naming no adults."""
    state["person_ids"] = []


def check_opening(members: list[dict], child_ids: list[UUID]) -> None:
    """A group's members are different users, its children different children, both bounded; it has its core."""
    if len(members) > MAX_MEMBERS:
        raise InvalidInput.one("members", f"at most {MAX_MEMBERS} members")
    if len({m["user_id"] for m in members}) != len(members):
        raise InvalidInput.one("members", "lists the same user twice")
    if len(child_ids) > MAX_CHILDREN or len(set(child_ids)) != len(child_ids):
        raise InvalidInput.one("child_ids", f"must list different children, at most {MAX_CHILDREN}")
    check_core(members)


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


def check_decision(meeting: dict, text: str) -> str:
    """A decision belongs to a meeting that was held (its minutes recorded)."""
    if meeting["held_on"] is None:
        raise Conflict("record the meeting as held (attendees and minutes) before its decisions")
    return check_text("text", text, MAX_TEXT, required=True)


def check_owner(owner_user_id: UUID | None, owner_agency_id: UUID | None) -> None:
    """An action has exactly one owner: a person or an agency."""
    if (owner_user_id is None) == (owner_agency_id is None):
        raise InvalidInput.one("owner", "name exactly one owner: owner_user_id or owner_agency_id")


def find_meeting(meetings: dict[str, dict], meeting_id: UUID) -> dict:
    """The meeting, or NotFound."""
    meeting = meetings.get(str(meeting_id))
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} is not on this calendar")
    return meeting
