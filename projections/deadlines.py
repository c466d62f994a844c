"""The deadlines read model: every dated duty of the Blue Card procedure and the groups.

Items are the statutory steps (form A to the chair, chair to a group, the group's first
meeting), post-closure monitoring reviews, and the actions groups give their members. Each
item's due date is counted in Polish working days under the procedure policy when the
event that starts it is applied, so a rebuild gives the same rows. An item done late is
stored as ``late`` with its delay in working days; whether an open item is overdue
depends on today and is decided on read. Reminders raised by the service are recorded
against their item. Group names, meeting places and action texts are copied here, and
blanked in the batch that erases a person they concern (``projections.deadline_erasure``).
The same tables hold what agendas need about cards, groups and meetings; the named
queries that read them are in ``projections.deadline_queries``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.blue_cards import BlueCard
from domain.calendar import working_days_between
from domain.groups import Reminder, TeamCalendar, WorkingGroup
from domain.personal_data import SUBJECTS_OF
from domain.procedure import ProcedurePolicy, load_procedure_policy
from projections.deadline_erasure import SUBJECTS_DDL, note_subjects, scrub_person
from projections.deadline_queries import DeadlineQueries
from projections.erasure import ERASURE_EVENTS, erased_person
from projections.views import as_json, topics_of, ts


class DeadlinesView(DeadlineQueries):
    """Tables: cards, card children, groups, meetings, items; the queries over them are in ``DeadlineQueries``."""

    name = "deadlines"
    personal_data = True  # shows group names, meeting places and action texts (scrubbed on erasure)
    topics = topics_of(
        BlueCard.FormAFilled,
        BlueCard.ForwardedToChair,
        BlueCard.GroupAssigned,
        BlueCard.MonitoringStarted,
        BlueCard.Closed,
        BlueCard.MonitoringReviewRecorded,
        WorkingGroup.Opened,
        WorkingGroup.BlueCardAttached,
        WorkingGroup.MeetingScheduled,
        WorkingGroup.MeetingHeld,
        WorkingGroup.ActionAssigned,
        WorkingGroup.ActionDone,
        Reminder.Raised,
        TeamCalendar.MeetingScheduled,
        TeamCalendar.MeetingHeld,
        *ERASURE_EVENTS,
    )
    tables = (
        "deadline_cards",
        "deadline_card_children",
        "deadline_groups",
        "deadline_meetings",
        "deadline_items",
        "deadline_subjects",
    )
    ddl = (
        "CREATE TABLE IF NOT EXISTS deadline_cards ("
        " card_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, status TEXT NOT NULL,"
        " filled_on TEXT NOT NULL, agency_id TEXT, forwarded_on TEXT, group_id TEXT, closed_on TEXT,"
        " closure_reason TEXT, position BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS deadline_card_children ("
        " card_id TEXT NOT NULL, child_id TEXT NOT NULL, PRIMARY KEY (card_id, child_id))",
        "CREATE INDEX IF NOT EXISTS deadline_card_children_child ON deadline_card_children (child_id)",
        "CREATE TABLE IF NOT EXISTS deadline_groups ("
        " group_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, name TEXT NOT NULL, card_id TEXT,"
        " opened_on TEXT NOT NULL, opened_at TEXT NOT NULL, child_ids TEXT NOT NULL, members TEXT NOT NULL,"
        " last_held_on TEXT, last_held_at TEXT, last_held_position BIGINT)",
        "CREATE TABLE IF NOT EXISTS deadline_meetings ("
        " meeting_id TEXT PRIMARY KEY, group_id TEXT NOT NULL, scheduled_for TEXT NOT NULL, place TEXT,"
        " held_on TEXT, held_at TEXT, position BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS deadline_items ("
        " item_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, kind TEXT NOT NULL, card_id TEXT,"
        " group_id TEXT, description TEXT, owner_user_id TEXT, owner_agency_id TEXT,"
        " start_on TEXT NOT NULL, due_on TEXT NOT NULL, status TEXT NOT NULL, met_on TEXT,"
        " delay_working_days INTEGER, opened_position BIGINT NOT NULL, met_position BIGINT,"
        " due_soon_reminded_at TEXT, overdue_reminded_at TEXT, policy_version TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS deadline_items_municipality ON deadline_items (municipality_id, status, due_on)",
        *SUBJECTS_DDL,
    )
    policy: ProcedurePolicy = load_procedure_policy()

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, cursor, event, position)
        if type(event) in _NAMING_EVENTS or type(event) in SUBJECTS_OF:
            note_subjects(self, cursor, event)
        person = erased_person(event)
        if person is not None:
            scrub_person(self, cursor, person)

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.policy.zone).date()

    # --- cards -----------------------------------------------------------------------

    def _filled(self, c: Any, e: BlueCard.FormAFilled, position: int) -> None:
        card = str(e.originator_id)
        self.run(
            c,
            "INSERT INTO deadline_cards (card_id, municipality_id, status, filled_on, agency_id, position)"
            " VALUES (?, ?, 'filled', ?, ?, ?)",
            (card, str(e.municipality_id), e.filled_on.isoformat(), _opt(e.agency_id), position),
        )
        for child in e.child_victim_ids:
            self.run(c, "INSERT INTO deadline_card_children VALUES (?, ?)", (card, str(child)))
        self._open_item(
            c,
            f"card:{card}:form_a_to_chair",
            "form_a_to_chair",
            str(e.municipality_id),
            e.filled_on,
            self.policy.due("form_a_to_chair", e.filled_on),
            position,
            card_id=card,
        )

    def _forwarded(self, c: Any, e: BlueCard.ForwardedToChair, position: int) -> None:
        card, day = str(e.originator_id), self._day(e.timestamp)
        self.run(
            c,
            "UPDATE deadline_cards SET status = 'forwarded', forwarded_on = ? WHERE card_id = ?",
            (day.isoformat(), card),
        )
        self._meet_item(c, f"card:{card}:form_a_to_chair", day, position)
        self._open_item(
            c,
            f"card:{card}:chair_to_group",
            "chair_to_group",
            self._municipality(c, card),
            day,
            self.policy.due("chair_to_group", day),
            position,
            card_id=card,
        )

    def _group_assigned(self, c: Any, e: BlueCard.GroupAssigned, position: int) -> None:
        card, day = str(e.originator_id), self._day(e.timestamp)
        self.run(
            c,
            "UPDATE deadline_cards SET status = 'group_assigned', group_id = ? WHERE card_id = ?",
            (str(e.group_id), card),
        )
        self.run(
            c, "UPDATE deadline_items SET card_id = ? WHERE group_id = ? AND card_id IS NULL", (card, str(e.group_id))
        )
        self.run(
            c, "UPDATE deadline_items SET group_id = ? WHERE card_id = ? AND group_id IS NULL", (str(e.group_id), card)
        )
        self._meet_item(c, f"card:{card}:chair_to_group", day, position)

    def _monitoring(self, c: Any, e: BlueCard.MonitoringStarted, position: int) -> None:
        self.run(c, "UPDATE deadline_cards SET status = 'monitoring' WHERE card_id = ?", (str(e.originator_id),))

    def _closed(self, c: Any, e: BlueCard.Closed, position: int) -> None:
        card, day = str(e.originator_id), self._day(e.timestamp)
        self.run(
            c,
            "UPDATE deadline_cards SET status = 'closed', closed_on = ?, closure_reason = ? WHERE card_id = ?",
            (day.isoformat(), e.reason, card),
        )
        rows = self.run(c, "SELECT municipality_id, group_id FROM deadline_cards WHERE card_id = ?", (card,))
        for n, due in enumerate(self.policy.review_dates(day), start=1):
            self._open_item(
                c,
                f"card:{card}:review:{n}",
                "monitoring_review",
                rows[0]["municipality_id"],
                day,
                due,
                position,
                card_id=card,
                group_id=rows[0]["group_id"],
            )

    def _review(self, c: Any, e: BlueCard.MonitoringReviewRecorded, position: int) -> None:
        open_reviews = self.run(
            c,
            "SELECT item_id FROM deadline_items WHERE card_id = ? AND kind = 'monitoring_review'"
            " AND status = 'open' ORDER BY due_on, item_id",
            (str(e.originator_id),),
        )
        if open_reviews:
            self._meet_item(c, open_reviews[0]["item_id"], self._day(e.timestamp), position)

    # --- groups ----------------------------------------------------------------------

    def _opened(self, c: Any, e: WorkingGroup.Opened, position: int) -> None:
        group, day = str(e.originator_id), self._day(e.timestamp)
        members = [{k: str(v) if v is not None else None for k, v in m.items()} for m in e.members]
        self.run(
            c,
            "INSERT INTO deadline_groups (group_id, municipality_id, name, card_id, opened_on, opened_at,"
            " child_ids, members) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                group,
                str(e.municipality_id),
                e.name or "",  # '' once the group's name was erased (its box no longer opens)
                _opt(e.blue_card_id),
                day.isoformat(),
                ts(e.timestamp),
                as_json([str(i) for i in e.child_ids]),
                as_json(members),
            ),
        )
        self._open_item(
            c,
            f"group:{group}:first_group_meeting",
            "first_group_meeting",
            str(e.municipality_id),
            day,
            self.policy.due("first_group_meeting", day),
            position,
            card_id=_opt(e.blue_card_id),
            group_id=group,
        )

    def _attached(self, c: Any, e: WorkingGroup.BlueCardAttached, position: int) -> None:
        self.run(
            c, "UPDATE deadline_groups SET card_id = ? WHERE group_id = ?", (str(e.blue_card_id), str(e.originator_id))
        )

    def _scheduled(self, c: Any, e: WorkingGroup.MeetingScheduled, position: int) -> None:
        self.run(
            c,
            "INSERT INTO deadline_meetings (meeting_id, group_id, scheduled_for, place, position)"
            " VALUES (?, ?, ?, ?, ?)",
            (str(e.meeting_id), str(e.originator_id), ts(e.scheduled_for), e.place, position),
        )

    def _held(self, c: Any, e: WorkingGroup.MeetingHeld, position: int) -> None:
        group = str(e.originator_id)
        self.run(
            c,
            "UPDATE deadline_meetings SET held_on = ?, held_at = ? WHERE meeting_id = ?",
            (e.held_on.isoformat(), ts(e.timestamp), str(e.meeting_id)),
        )
        self.run(
            c,
            "UPDATE deadline_groups SET last_held_on = ?, last_held_at = ?, last_held_position = ? WHERE group_id = ?",
            (e.held_on.isoformat(), ts(e.timestamp), position, group),
        )
        self._meet_item(c, f"group:{group}:first_group_meeting", e.held_on, position)

    def _team_held(self, c: Any, e: TeamCalendar.MeetingHeld, position: int) -> None:
        self.run(
            c,
            "UPDATE deadline_meetings SET held_on = ?, held_at = ? WHERE meeting_id = ?",
            (e.held_on.isoformat(), ts(e.timestamp), str(e.meeting_id)),
        )

    def _action(self, c: Any, e: WorkingGroup.ActionAssigned, position: int) -> None:
        group = str(e.originator_id)
        row = self.run(c, "SELECT municipality_id, card_id FROM deadline_groups WHERE group_id = ?", (group,))
        if not row:
            return
        self._open_item(
            c,
            f"action:{e.action_id}",
            "action",
            row[0]["municipality_id"],
            self._day(e.timestamp),
            e.due_on,
            position,
            card_id=row[0]["card_id"],
            group_id=group,
            description=e.description,
            owner_user_id=_opt(e.owner_user_id),
            owner_agency_id=_opt(e.owner_agency_id),
        )

    def _action_done(self, c: Any, e: WorkingGroup.ActionDone, position: int) -> None:
        self._meet_item(c, f"action:{e.action_id}", self._day(e.timestamp), position)

    def _reminder(self, c: Any, e: Reminder.Raised, position: int) -> None:
        column = "overdue_reminded_at" if e.stage == "overdue" else "due_soon_reminded_at"
        self.run(
            c,
            f"UPDATE deadline_items SET {column} = ? WHERE item_id = ?",  # noqa: S608 - fixed names
            (ts(e.timestamp), e.item_id),
        )

    # --- helpers ---------------------------------------------------------------------

    def _municipality(self, c: Any, card: str) -> str:
        rows = self.run(c, "SELECT municipality_id FROM deadline_cards WHERE card_id = ?", (card,))
        return rows[0]["municipality_id"]

    def _open_item(
        self,
        c: Any,
        item_id: str,
        kind: str,
        municipality_id: str,
        start: date,
        due: date,
        position: int,
        *,
        card_id: str | None = None,
        group_id: str | None = None,
        description: str | None = None,
        owner_user_id: str | None = None,
        owner_agency_id: str | None = None,
    ) -> None:
        self.run(
            c,
            "INSERT INTO deadline_items (item_id, municipality_id, kind, card_id, group_id, description,"
            " owner_user_id, owner_agency_id, start_on, due_on, status, opened_position, policy_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (item_id) DO NOTHING",
            (
                item_id,
                municipality_id,
                kind,
                card_id,
                group_id,
                description,
                owner_user_id,
                owner_agency_id,
                start.isoformat(),
                due.isoformat(),
                position,
                self.policy.version,
            ),
        )

    def _meet_item(self, c: Any, item_id: str, day: date, position: int) -> None:
        rows = self.run(c, "SELECT due_on FROM deadline_items WHERE item_id = ? AND status = 'open'", (item_id,))
        if not rows:
            return
        delay = max(0, working_days_between(date.fromisoformat(rows[0]["due_on"]), day))
        self.run(
            c,
            "UPDATE deadline_items SET status = ?, met_on = ?, delay_working_days = ?, met_position = ?"
            " WHERE item_id = ?",
            ("late" if delay else "met", day.isoformat(), delay, position, item_id),
        )


def _opt(value: Any) -> str | None:
    return str(value) if value is not None else None


#: Events that name the persons a card's or group's texts concern.
_NAMING_EVENTS = (BlueCard.FormAFilled, WorkingGroup.Opened)

_HANDLERS = {
    BlueCard.FormAFilled: DeadlinesView._filled,
    BlueCard.ForwardedToChair: DeadlinesView._forwarded,
    BlueCard.GroupAssigned: DeadlinesView._group_assigned,
    BlueCard.MonitoringStarted: DeadlinesView._monitoring,
    BlueCard.Closed: DeadlinesView._closed,
    BlueCard.MonitoringReviewRecorded: DeadlinesView._review,
    WorkingGroup.Opened: DeadlinesView._opened,
    WorkingGroup.BlueCardAttached: DeadlinesView._attached,
    WorkingGroup.MeetingScheduled: DeadlinesView._scheduled,
    WorkingGroup.MeetingHeld: DeadlinesView._held,
    WorkingGroup.ActionAssigned: DeadlinesView._action,
    WorkingGroup.ActionDone: DeadlinesView._action_done,
    Reminder.Raised: DeadlinesView._reminder,
    TeamCalendar.MeetingScheduled: DeadlinesView._scheduled,
    TeamCalendar.MeetingHeld: DeadlinesView._team_held,
}
