"""The named read queries of the deadlines read model.

``projections.deadlines`` owns the tables (their DDL) and the event handlers that fill
them as the notification log is followed; this module holds what the use cases ask of
those tables (items, cards, groups, meetings and the figures drawn from them), kept
apart so the writing side and the reading side each read on their own. ``DeadlinesView``
inherits ``DeadlineQueries``: callers keep asking the view itself.
"""

from __future__ import annotations

import json

from projections.views import ViewMixin


class DeadlineQueries(ViewMixin):
    """Reads of the ``deadline_*`` tables, each one named query (mixed into ``DeadlinesView``)."""

    def items(
        self,
        *,
        municipality_id: str | None = None,
        group_id: str | None = None,
        card_id: str | None = None,
        open_only: bool = False,
    ) -> list[dict]:
        """Items, earliest due first."""
        sql, params = "SELECT * FROM deadline_items WHERE 1 = 1", []
        for column, value in (("municipality_id", municipality_id), ("group_id", group_id), ("card_id", card_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if open_only:
            sql += " AND status = 'open'"
        return self.query(sql + " ORDER BY due_on, item_id", params)

    def card(self, card_id: str) -> dict | None:
        """One card's row."""
        rows = self.query("SELECT * FROM deadline_cards WHERE card_id = ?", (card_id,))
        return rows[0] if rows else None

    def cards(self, municipality_id: str) -> list[dict]:
        """The municipality's cards, oldest first."""
        return self.query(
            "SELECT * FROM deadline_cards WHERE municipality_id = ? ORDER BY filled_on, card_id", (municipality_id,)
        )

    def open_card_children(self, municipality_id: str) -> set[str]:
        """Children named as victims on a card that is not closed."""
        rows = self.query(
            "SELECT cc.child_id FROM deadline_card_children cc JOIN deadline_cards c"
            " ON c.card_id = cc.card_id WHERE c.municipality_id = ? AND c.status <> 'closed'",
            (municipality_id,),
        )
        return {r["child_id"] for r in rows}

    def card_agencies(self, child_id: str) -> set[str]:
        """The agencies that opened a Blue Card for the child: they own its case too."""
        rows = self.query(
            "SELECT c.agency_id FROM deadline_cards c JOIN deadline_card_children k ON k.card_id = c.card_id"
            " WHERE k.child_id = ? AND c.agency_id IS NOT NULL",
            (child_id,),
        )
        return {r["agency_id"] for r in rows}

    def breaches_open(self, today: str) -> list[dict]:
        """Open deadlines past their due day, counted by kind (for the metrics)."""
        return self.query(
            "SELECT kind AS kind, COUNT(*) AS n FROM deadline_items WHERE status = 'open' AND due_on < ? GROUP BY kind",
            (today,),
        )

    def card_children(self, card_id: str) -> list[str]:
        """Children named as victims on the card."""
        return [
            r["child_id"]
            for r in self.query(
                "SELECT child_id FROM deadline_card_children WHERE card_id = ? ORDER BY child_id", (card_id,)
            )
        ]

    def children_of_cards(self, municipality_id: str) -> dict[str, list[str]]:
        """Every card of the municipality with the children it names as victims (one query for a list)."""
        rows = self.query(
            "SELECT cc.card_id, cc.child_id FROM deadline_card_children cc JOIN deadline_cards c"
            " ON c.card_id = cc.card_id WHERE c.municipality_id = ? ORDER BY cc.card_id, cc.child_id",
            (municipality_id,),
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row["card_id"], []).append(row["child_id"])
        return found

    def group(self, group_id: str) -> dict | None:
        """One group's row, with its children and members decoded."""
        rows = self.query("SELECT * FROM deadline_groups WHERE group_id = ?", (group_id,))
        return _group(rows[0]) if rows else None

    def groups(self, municipality_id: str) -> list[dict]:
        """The municipality's groups."""
        return [
            _group(r)
            for r in self.query(
                "SELECT * FROM deadline_groups WHERE municipality_id = ? ORDER BY opened_at, group_id",
                (municipality_id,),
            )
        ]

    def last_held_at(self, group_id: str) -> str | None:
        """When the minutes of the group's (or the team calendar's) latest held meeting were recorded."""
        rows = self.query("SELECT MAX(held_at) AS at FROM deadline_meetings WHERE group_id = ?", (group_id,))
        return rows[0]["at"] if rows else None

    def meetings(self, group_id: str) -> list[dict]:
        """The group's (or the team calendar's) meetings, by date."""
        return self.query(
            "SELECT * FROM deadline_meetings WHERE group_id = ? ORDER BY scheduled_for, meeting_id", (group_id,)
        )


def _group(row: dict) -> dict:
    return {**row, "child_ids": json.loads(row["child_ids"]), "members": json.loads(row["members"])}
