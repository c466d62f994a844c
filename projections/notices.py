"""The police notices read model: who received or sent which notice, its state and due time.

Listing an agency's notices and finding the overdue ones used to read shared index
aggregates that every domestic intervention in the municipality also wrote, so concurrent
interventions conflicted on them and retried. Here the write path saves only the notices;
this view files them by recipient, sender, status and due time. The notice aggregate stays
the truth: an escalation checks it again before it acts, so a view a moment behind can only
delay an escalation to the next scan, never cause a wrong one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.children import Child
from domain.notifications import Notification
from projections.views import ViewMixin, topics_of, ts

#: Notices still waiting for someone at the recipient agency to read them.
UNACKNOWLEDGED = ("pending", "delivered", "escalated")
#: Of those, the ones not escalated yet: what the escalation scan looks at.
_ESCALATABLE = ("pending", "delivered")


class NoticesView(ViewMixin):
    """Table: one row per notice."""

    name = "notices"
    personal_data = False  # never reads a sealed field (what the police saw stays sealed)
    topics = topics_of(
        Notification.Issued,
        Notification.Delivered,
        Notification.Acknowledged,
        Notification.Escalated,
        Child.SignalRetracted,
    )
    tables = ("notices",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS notices ("
        " notice_id TEXT PRIMARY KEY, municipality_id TEXT NOT NULL, child_id TEXT NOT NULL,"
        " signal_id TEXT NOT NULL, recipient_agency_id TEXT NOT NULL, sender_agency_id TEXT NOT NULL,"
        " due_at TEXT NOT NULL, status TEXT NOT NULL, escalated_at TEXT, withdrawn INTEGER NOT NULL,"
        " position BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS notices_recipient ON notices (recipient_agency_id, due_at)",
        "CREATE INDEX IF NOT EXISTS notices_sender ON notices (sender_agency_id, due_at)",
        "CREATE INDEX IF NOT EXISTS notices_escalated ON notices (municipality_id, escalated_at)",
        "CREATE INDEX IF NOT EXISTS notices_open ON notices (status, due_at)",
        "CREATE INDEX IF NOT EXISTS notices_signal ON notices (signal_id)",
    )

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        notice = str(event.originator_id)
        if isinstance(event, Notification.Issued):
            self.run(
                cursor,
                "INSERT INTO notices VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', NULL, 0, ?) ON CONFLICT DO NOTHING",
                (
                    notice,
                    str(event.municipality_id),
                    str(event.child_id),
                    str(event.signal_id),
                    str(event.recipient_agency_id),
                    str(event.sender_agency_id),
                    ts(event.due_at),
                    position,
                ),
            )
        elif isinstance(event, Notification.Delivered):
            self.run(
                cursor, "UPDATE notices SET status = 'delivered' WHERE notice_id = ? AND status = 'pending'", (notice,)
            )
        elif isinstance(event, Notification.Acknowledged):
            self.run(cursor, "UPDATE notices SET status = 'acknowledged' WHERE notice_id = ?", (notice,))
        elif isinstance(event, Notification.Escalated):
            self.run(
                cursor,
                "UPDATE notices SET escalated_at = ?,"
                " status = CASE WHEN status = 'acknowledged' THEN status ELSE 'escalated' END"
                " WHERE notice_id = ?",
                (ts(event.timestamp), notice),
            )
        elif isinstance(event, Child.SignalRetracted):
            self.run(cursor, "UPDATE notices SET withdrawn = 1 WHERE signal_id = ?", (str(event.signal_id),))

    # --- reading ---------------------------------------------------------------------

    def listed(
        self,
        *,
        recipient: str | None = None,
        sender: str | None = None,
        escalated_in: str | None = None,
        statuses: tuple[str, ...] = (),
    ) -> list[dict]:
        """Notices addressed to an agency, sent by one, or escalated in a municipality (one of the
        three), in the given statuses (any when empty), earliest due first."""
        column, value = next(
            (c, v)
            for c, v in (
                ("recipient_agency_id", recipient),
                ("sender_agency_id", sender),
                ("municipality_id", escalated_in),
            )
            if v is not None
        )
        where = [f"{column} = ?"]
        params: list[Any] = [value]
        if escalated_in is not None:
            where.append("escalated_at IS NOT NULL")
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            params.extend(statuses)
        return self.query(
            "SELECT notice_id, status, due_at FROM notices"  # noqa: S608 - constants and marks only
            f" WHERE {' AND '.join(where)} ORDER BY due_at, notice_id",
            params,
        )

    def overdue_open(self, now: datetime) -> list[str]:
        """Notices past due, neither acknowledged nor escalated, whose signal stands."""
        marks = ", ".join("?" for _ in _ESCALATABLE)
        rows = self.query(
            f"SELECT notice_id FROM notices WHERE status IN ({marks}) AND due_at < ?"  # noqa: S608
            " AND withdrawn = 0 ORDER BY due_at, notice_id",
            (*_ESCALATABLE, ts(now)),
        )
        return [r["notice_id"] for r in rows]

    def overdue_counts(self, now: datetime) -> tuple[int, int]:
        """How many notices are past due and unacknowledged, and how many of those were escalated."""
        rows = self.query(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'escalated' THEN 1 ELSE 0 END) AS e"
            " FROM notices WHERE status <> 'acknowledged' AND due_at < ?",
            (ts(now),),
        )
        return int(rows[0]["n"] or 0), int(rows[0]["e"] or 0)
