"""Use cases of working groups: open, meet (schedule, minutes, decisions), actions.

The chair opens a group with its members (the core: an OPS social worker and a police
officer); members and the chair schedule and minute its meetings. A decision stores the
event-store position at the moment it was recorded: what the group could know then.
The answers (a group, its meetings, its actions) are built in ``group_views``. A group
reads as not found to anyone but its members, the chair and the auditor, and every answer
showing its work (writes' answers too) logs a read of its children: the work is about them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID, uuid4

from domain.access import Action, Actor, require
from domain.agencies import Agency, Role, User
from domain.blue_cards import BlueCard
from domain.children import Child
from domain.errors import InvalidInput, NotFound
from domain.groups import TeamCalendar, WorkingGroup
from services.adapters.event_store import retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.blue_cards import is_chair
from services.usecases.group_views import action_views, group_view, meeting_views
from services.usecases.list_reads import log_children
from services.usecases.loading import bucket, find, listed, load


class WorkingGroups(UseCase):
    """Working groups and their meetings."""

    # --- groups ----------------------------------------------------------------------

    def open(
        self,
        actor: Actor,
        *,
        name: str,
        members: list[dict],
        child_ids: list[UUID] | None = None,
        blue_card_id: UUID | None = None,
    ) -> dict:
        """Open a group (and, given a card, assign it to the card in the same save)."""
        require(actor, Action.MANAGE_PROCEDURE)
        resolved = [self._member(actor, i, m) for i, m in enumerate(members)]
        children = list(child_ids or [])
        for i, child_id in enumerate(children):
            try:
                load(self.store, Child, child_id, actor, "child")
            except NotFound:
                raise InvalidInput.one(f"child_ids[{i}]", "no such child in this municipality") from None

        def attempt() -> WorkingGroup:
            card = None
            all_children, adults = list(children), []
            if blue_card_id is not None:
                try:
                    card = load(self.store, BlueCard, blue_card_id, actor, "blue card")
                except NotFound:
                    raise InvalidInput.one("blue_card_id", "no such blue card in this municipality") from None
                all_children += [c for c in card.child_victim_ids if c not in all_children]
                adults = list(dict.fromkeys([*card.adult_victim_ids, *card.perpetrator_ids]))
            group = WorkingGroup.open(
                municipality_id=actor.municipality_id,
                name=name,
                blue_card_id=blue_card_id,
                child_ids=all_children,
                members=resolved,
                opened_by=actor.user_id,
                person_ids=adults,  # the card's adults: their keys seal the group's texts too
            )
            if card is not None:
                card.assign_group(group_id=group.id, assigned_by=actor.user_id)
            listing = bucket(self.store, f"groups:{actor.municipality_id}")
            listing.add(group.id)
            self.store.save(group, *([card] if card else []), listing)
            return group

        group = retry_on_conflict(attempt)
        log_children(self.gate, actor, group.child_ids, "working_group")
        return group_view(self.store, group)

    def get(self, actor: Actor, group_id: UUID) -> dict:
        """One group, to its members, the chair and the auditor."""
        group = self.readable(actor, group_id)
        self.audited(actor, group.child_ids, "working_group")
        return group_view(self.store, group)

    def list(self, actor: Actor) -> list[dict]:
        """The groups the caller sits on (all of them for the chair and the auditor)."""
        require(actor, Action.READ_PROCEDURE)
        groups = (self.store.repository.get(i) for i in listed(self.store, f"groups:{actor.municipality_id}"))
        shown = [g for g in groups if self._may_read(actor, g)]
        log_children(self.gate, actor, [c for g in shown for c in g.child_ids], "working_groups")
        return [group_view(self.store, g) for g in shown]

    # --- meetings --------------------------------------------------------------------

    def schedule_meeting(self, actor: Actor, group_id: UUID, *, scheduled_for: datetime, place: str = "") -> dict:
        """Put a meeting in the group's calendar."""
        meeting_id = uuid4()
        self._change(
            actor,
            group_id,
            lambda g: g.schedule_meeting(
                meeting_id=meeting_id,
                scheduled_for=scheduled_for,
                place=place,
                scheduled_by=actor.user_id,
                now=self.clock(),
            ),
        )
        return self.meeting(actor, group_id, meeting_id)

    def hold_meeting(
        self,
        actor: Actor,
        group_id: UUID,
        meeting_id: UUID,
        *,
        attendees: list[dict],
        minutes: str,
        held_on: date | None = None,
    ) -> dict:
        """Record the meeting as held: attendees by agency, and the minutes."""
        self._existing(actor, group_id)
        people = [self._attendee(actor, i, a) for i, a in enumerate(attendees)]
        self._change(
            actor,
            group_id,
            lambda g: g.hold_meeting(
                meeting_id=meeting_id,
                held_on=held_on or self.today(),
                attendees=people,
                minutes=minutes,
                recorded_by=actor.user_id,
                today=self.today(),
            ),
        )
        return self.meeting(actor, group_id, meeting_id)

    def record_decision(self, actor: Actor, group_id: UUID, meeting_id: UUID, *, text: str) -> dict:
        """A decision, with the log position it was made on (its knowledge snapshot)."""
        decision_id = uuid4()

        def change(group: WorkingGroup) -> None:
            position = self.store.recorder.max_notification_id() or 0
            group.record_decision(
                meeting_id=meeting_id,
                decision_id=decision_id,
                text=text,
                knowledge_position=position,
                recorded_by=actor.user_id,
            )

        self._change(actor, group_id, change)
        meeting = self.meeting(actor, group_id, meeting_id)
        return next(d for d in meeting["decisions"] if d["id"] == str(decision_id))

    def assign_action(
        self,
        actor: Actor,
        group_id: UUID,
        *,
        description: str,
        due_on: date,
        owner_user_id: UUID | None = None,
        owner_agency_id: UUID | None = None,
        meeting_id: UUID | None = None,
    ) -> dict:
        """Give a person or an agency a task with a due date."""
        self._existing(actor, group_id)
        if owner_user_id is not None:
            self._user(actor, owner_user_id, "owner_user_id")
        if owner_agency_id is not None:
            self._agency(actor, owner_agency_id, "owner_agency_id")
        action_id = uuid4()
        self._change(
            actor,
            group_id,
            lambda g: g.assign_action(
                meeting_id=meeting_id,
                action_id=action_id,
                description=description,
                owner_user_id=owner_user_id,
                owner_agency_id=owner_agency_id,
                due_on=due_on,
                assigned_by=actor.user_id,
            ),
        )
        return self._action(actor, group_id, action_id)

    def mark_action_done(self, actor: Actor, group_id: UUID, action_id: UUID, *, note: str = "") -> dict:
        """Record an action as carried out."""
        self._change(
            actor, group_id, lambda g: g.mark_action_done(action_id=action_id, note=note, done_by=actor.user_id)
        )
        return self._action(actor, group_id, action_id)

    def meetings(self, actor: Actor, group_id: UUID) -> list[dict]:
        """The group's meetings with attendance, minutes, decisions and actions, by date."""
        group = self.readable(actor, group_id)
        found = meeting_views(self.store, group)
        if found:  # a group that never met shows nothing about its children
            self.audited(actor, group.child_ids, "group_meetings")
        return found

    def meeting(self, actor: Actor, group_id: UUID, meeting_id: UUID) -> dict:
        """One meeting (also the answer to scheduling, minuting and deciding)."""
        group = self.readable(actor, group_id)
        for m in meeting_views(self.store, group):
            if m["id"] == str(meeting_id):
                self.audited(actor, group.child_ids, "group_meeting")
                return m
        raise NotFound("meeting not found")

    def actions(self, actor: Actor, group_id: UUID) -> list[dict]:
        """Every action the group gave, with whether it is done."""
        group = self.readable(actor, group_id)
        found = action_views(self.store, group)
        if found:
            self.audited(actor, group.child_ids, "group_actions")
        return found

    def _action(self, actor: Actor, group_id: UUID, action_id: UUID) -> dict:
        """One action, as the answer to assigning it or marking it done."""
        group = self.readable(actor, group_id)
        self.audited(actor, group.child_ids, "group_action")
        return next(a for a in action_views(self.store, group) if a["id"] == str(action_id))

    # --- the team's own meetings ------------------------------------------------------------

    def team_meetings(self, actor: Actor) -> list[dict]:
        """The interdisciplinary team's meetings, by date."""
        require(actor, Action.READ_TEAM_AGENDA)
        calendar = self._team_calendar(actor)
        return meeting_views(self.store, calendar) if calendar else []

    def schedule_team_meeting(self, actor: Actor, *, scheduled_for: datetime, place: str = "") -> dict:
        """The chair puts a team meeting in the calendar."""
        meeting_id = uuid4()
        self._change_team(
            actor,
            lambda t: t.schedule_meeting(
                meeting_id=meeting_id,
                scheduled_for=scheduled_for,
                place=place,
                scheduled_by=actor.user_id,
                now=self.clock(),
            ),
            create=True,
        )
        return self._team_meeting(actor, meeting_id)

    def hold_team_meeting(
        self, actor: Actor, meeting_id: UUID, *, attendees: list[dict], minutes: str, held_on: date | None = None
    ) -> dict:
        """Record a team meeting as held."""
        require(actor, Action.MANAGE_PROCEDURE)
        self._team_meeting(actor, meeting_id)  # another municipality's meeting is not found, whatever the body
        people = [self._attendee(actor, i, a) for i, a in enumerate(attendees)]
        self._change_team(
            actor,
            lambda t: t.hold_meeting(
                meeting_id=meeting_id,
                held_on=held_on or self.today(),
                attendees=people,
                minutes=minutes,
                recorded_by=actor.user_id,
                today=self.today(),
            ),
        )
        return self._team_meeting(actor, meeting_id)

    def record_team_decision(self, actor: Actor, meeting_id: UUID, *, text: str) -> dict:
        """A team decision with its knowledge snapshot."""
        decision_id = uuid4()

        def change(team: TeamCalendar) -> None:
            team.record_decision(
                meeting_id=meeting_id,
                decision_id=decision_id,
                text=text,
                knowledge_position=self.store.recorder.max_notification_id() or 0,
                recorded_by=actor.user_id,
            )

        self._change_team(actor, change)
        meeting = self._team_meeting(actor, meeting_id)
        return next(d for d in meeting["decisions"] if d["id"] == str(decision_id))

    def _team_calendar(self, actor: Actor) -> TeamCalendar | None:
        return find(self.store, TeamCalendar.create_id(actor.municipality_id), TeamCalendar)

    def _team_meeting(self, actor: Actor, meeting_id: UUID) -> dict:
        for m in self.team_meetings(actor):
            if m["id"] == str(meeting_id):
                return m
        raise NotFound(f"meeting {meeting_id} is not on the team's calendar")

    def _change_team(self, actor: Actor, change: Callable[[TeamCalendar], None], create: bool = False) -> None:
        require(actor, Action.MANAGE_PROCEDURE)

        def attempt() -> None:
            team = self._team_calendar(actor)
            if team is None:
                if not create:
                    raise NotFound("the team has no meetings yet")
                team = TeamCalendar(municipality_id=actor.municipality_id)
            change(team)
            self.store.save(team)

        retry_on_conflict(attempt)

    # --- helpers -------------------------------------------------------------------------

    def readable(self, actor: Actor, group_id: UUID) -> WorkingGroup:
        """The group, if the caller may read it; a group the caller may not read is not found.

        Every list filtered by a group (the deadlines, the agenda) asks this, so it answers
        exactly as the group's own endpoint does, and never tells whether the group exists.
        """
        require(actor, Action.READ_PROCEDURE)
        group = load(self.store, WorkingGroup, group_id, actor, "working group")
        if not self._may_read(actor, group):
            raise NotFound("working group not found")
        return group

    def _existing(self, actor: Actor, group_id: UUID) -> None:
        """Answer 404 for a group the caller does not work on before looking at the request's other ids."""
        require(actor, Action.RECORD_GROUP_WORK)
        self._workable(actor, load(self.store, WorkingGroup, group_id, actor, "working group"))

    @staticmethod
    def _workable(actor: Actor, group: WorkingGroup) -> None:
        """The group's members and the chair record its work; to others it is not found, as when reading."""
        if not (is_chair(actor) or group.is_member(actor.user_id)):
            raise NotFound("working group not found")

    @staticmethod
    def _may_read(actor: Actor, group: WorkingGroup) -> bool:
        return actor.role in (Role.COORDINATOR.value, Role.AUDITOR.value) or group.is_member(actor.user_id)

    def _change(self, actor: Actor, group_id: UUID, change: Callable[[WorkingGroup], None]) -> None:
        require(actor, Action.RECORD_GROUP_WORK)

        def attempt() -> None:
            group = load(self.store, WorkingGroup, group_id, actor, "working group")
            self._workable(actor, group)
            change(group)
            self.store.save(group)

        retry_on_conflict(attempt)

    def _user(self, actor: Actor, user_id: UUID, field: str) -> User:
        try:
            user = load(self.store, User, user_id, actor, "user")
        except NotFound:
            raise InvalidInput.one(field, "no such user in this municipality") from None
        return user

    def _agency(self, actor: Actor, agency_id: UUID, field: str) -> Agency:
        try:
            return load(self.store, Agency, agency_id, actor, "agency")
        except NotFound:
            raise InvalidInput.one(field, "no such agency in this municipality") from None

    def _member(self, actor: Actor, index: int, given: dict) -> dict:
        field = f"members[{index}].user_id"
        user = self._user(actor, given["user_id"], field)
        if not user.active:
            raise InvalidInput.one(field, "the user is deactivated")
        if user.agency_id is None:
            raise InvalidInput.one(field, f"a user with role '{user.role}' belongs to no agency")
        agency = self.store.repository.get(user.agency_id)
        return {
            "user_id": str(user.id),
            "name": user.name,
            "role": user.role,
            "agency_id": str(agency.id),
            "agency_kind": agency.kind,
            "agency_name": agency.name,
            "function": given.get("function") or "",
        }

    def _attendee(self, actor: Actor, index: int, given: dict) -> dict:
        agency = self._agency(actor, given["agency_id"], f"attendees[{index}].agency_id")
        user_id = given.get("user_id")
        if user_id is not None:
            self._user(actor, user_id, f"attendees[{index}].user_id")
        return {
            "agency_id": str(agency.id),
            "agency_kind": agency.kind,
            "agency_name": agency.name,
            "user_id": str(user_id) if user_id else None,
            "name": given.get("name") or "",
        }
