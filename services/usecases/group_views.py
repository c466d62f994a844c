"""The answers of the working-group use case: a group, its meetings and its actions as plain dicts.

Split from ``services.usecases.groups`` so that module holds what the group's people do
(open, schedule, minute, decide, assign) and this one how it reads back: meetings,
minutes, decisions and actions are folded from the group's (or the team calendar's)
events, so every answer shows each entry with the moment it was recorded.
"""

from __future__ import annotations

from domain.groups import TeamCalendar, WorkingGroup
from services.adapters.event_store import SafehubStore
from services.usecases.presenters import plain


def group_view(store: SafehubStore, group: WorkingGroup) -> dict:
    """Present a group."""
    return {
        "id": str(group.id),
        "municipality_id": str(group.municipality_id),
        "name": group.name,
        "blue_card_id": str(group.blue_card_id) if group.blue_card_id else None,
        "child_ids": [str(c) for c in group.child_ids],
        "members": plain(group.members),
        "opened_at": group.created_on.isoformat(),
        "meetings": len(group.meetings),
        "version": group.version,
    }


def meeting_views(store: SafehubStore, group: WorkingGroup | TeamCalendar) -> list[dict]:
    """The meetings of a group or of the team calendar, with their actions, by date."""
    meetings: dict[str, dict] = {}
    for e in store.events.get(group.id):
        if isinstance(e, (WorkingGroup.MeetingScheduled, TeamCalendar.MeetingScheduled)):
            meetings[str(e.meeting_id)] = {
                "id": str(e.meeting_id),
                "group_id": str(group.id),
                "scheduled_for": e.scheduled_for.isoformat(),
                "place": e.place,
                "scheduled_by": str(e.scheduled_by),
                "held": False,
                "held_on": None,
                "attendees": [],
                "minutes": None,
                "decisions": [],
                "actions": [],
            }
        elif isinstance(e, (WorkingGroup.MeetingHeld, TeamCalendar.MeetingHeld)):
            meetings[str(e.meeting_id)].update(
                held=True,
                held_on=e.held_on.isoformat(),
                attendees=plain(e.attendees),
                minutes=e.minutes,
                minutes_recorded_at=e.timestamp.isoformat(),
            )
        elif isinstance(e, (WorkingGroup.DecisionRecorded, TeamCalendar.DecisionRecorded)):
            meetings[str(e.meeting_id)]["decisions"].append(
                {
                    "id": str(e.decision_id),
                    "text": e.text,
                    "knowledge_position": e.knowledge_position,
                    "recorded_at": e.timestamp.isoformat(),
                    "recorded_by": str(e.recorded_by),
                }
            )
    for action in action_views(store, group) if isinstance(group, WorkingGroup) else []:
        if action["meeting_id"] in meetings:
            meetings[action["meeting_id"]]["actions"].append(action)
    return sorted(meetings.values(), key=lambda m: (m["scheduled_for"], m["id"]))


def action_views(store: SafehubStore, group: WorkingGroup) -> list[dict]:
    """Every action the group gave, with whether (and when) it was done."""
    actions: dict[str, dict] = {}
    for e in store.events.get(group.id):
        if isinstance(e, WorkingGroup.ActionAssigned):
            actions[str(e.action_id)] = {
                "id": str(e.action_id),
                "meeting_id": str(e.meeting_id) if e.meeting_id else None,
                "description": e.description,
                "owner_user_id": str(e.owner_user_id) if e.owner_user_id else None,
                "owner_agency_id": str(e.owner_agency_id) if e.owner_agency_id else None,
                "due_on": e.due_on.isoformat(),
                "assigned_at": e.timestamp.isoformat(),
                "done": False,
                "done_at": None,
                "note": None,
            }
        elif isinstance(e, WorkingGroup.ActionDone):
            actions[str(e.action_id)].update(done=True, done_at=e.timestamp.isoformat(), note=e.note)
    return list(actions.values())
