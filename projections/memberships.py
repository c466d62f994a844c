"""Who sits on which child's working group: the grounds for reading a child's full record.

A group covers the children named when it was opened and the child victims on the Blue
Card it works on (a card attached later brings its children in). Each read of a child's
record asks one indexed question of these tables, so membership costs the same whatever
the size of the store. A rebuild gives the same rows, and a member added by a new group
appears as soon as the group's event is applied (reads wait for the projection first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.blue_cards import BlueCard
from domain.groups import WorkingGroup
from projections.views import ViewMixin, topics_of


class MembershipsView(ViewMixin):
    """Tables: group members, the children a group covers, and each card's child victims."""

    name = "memberships"
    personal_data = False  # never reads a sealed field: boxes stay shut
    topics = topics_of(BlueCard.FormAFilled, BlueCard.GroupAssigned, WorkingGroup.Opened, WorkingGroup.BlueCardAttached)
    tables = ("membership_members", "membership_children", "membership_card_children", "membership_card_groups")
    ddl = (
        "CREATE TABLE IF NOT EXISTS membership_members ("
        " group_id TEXT NOT NULL, user_id TEXT NOT NULL, agency_id TEXT, PRIMARY KEY (group_id, user_id))",
        "CREATE INDEX IF NOT EXISTS membership_members_user ON membership_members (user_id)",
        "CREATE TABLE IF NOT EXISTS membership_children ("
        " group_id TEXT NOT NULL, child_id TEXT NOT NULL, PRIMARY KEY (child_id, group_id))",
        "CREATE TABLE IF NOT EXISTS membership_card_children ("
        " card_id TEXT NOT NULL, child_id TEXT NOT NULL, PRIMARY KEY (card_id, child_id))",
        "CREATE TABLE IF NOT EXISTS membership_card_groups ("
        " card_id TEXT NOT NULL, group_id TEXT NOT NULL, PRIMARY KEY (card_id, group_id))",
    )

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        if isinstance(event, WorkingGroup.Opened):
            self._opened(cursor, event)
        elif isinstance(event, BlueCard.FormAFilled):
            card = str(event.originator_id)
            for child in event.child_victim_ids:
                self._insert(cursor, "membership_card_children", card, str(child))
        elif isinstance(event, BlueCard.GroupAssigned):
            self._cover_card(cursor, str(event.originator_id), str(event.group_id))
        elif isinstance(event, WorkingGroup.BlueCardAttached):
            self._cover_card(cursor, str(event.blue_card_id), str(event.originator_id))

    def _opened(self, c: Any, e: WorkingGroup.Opened) -> None:
        group = str(e.originator_id)
        for member in e.members:
            agency = member.get("agency_id")
            self.run(
                c,
                "INSERT INTO membership_members VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (group, str(member["user_id"]), str(agency) if agency else None),
            )
        for child in e.child_ids:
            self._insert(c, "membership_children", group, str(child))
        if e.blue_card_id is not None:
            self._cover_card(c, str(e.blue_card_id), group)

    def _cover_card(self, c: Any, card: str, group: str) -> None:
        """The group works on the card: its child victims are the group's children too."""
        self._insert(c, "membership_card_groups", card, group)
        for row in self.run(c, "SELECT child_id FROM membership_card_children WHERE card_id = ?", (card,)):
            self._insert(c, "membership_children", group, row["child_id"])

    def _insert(self, c: Any, table: str, first: str, second: str) -> None:
        self.run(c, f"INSERT INTO {table} VALUES (?, ?) ON CONFLICT DO NOTHING", (first, second))  # noqa: S608

    # --- reading ---------------------------------------------------------------------

    def is_member(self, user_id: str, child_ids: Sequence[str]) -> bool:
        """True when the user sits on a group covering any of the child's records."""
        if not child_ids:
            return False
        marks = ", ".join("?" for _ in child_ids)
        statement = (
            "SELECT 1 FROM membership_children c JOIN membership_members m ON m.group_id = c.group_id"  # noqa: S608
            f" WHERE m.user_id = ? AND c.child_id IN ({marks}) LIMIT 1"
        )  # only placeholders joined in
        return bool(self.query(statement, (user_id, *child_ids)))

    def children_of_member(self, user_id: str) -> list[str]:
        """The children of every group the user sits on (for a member's start page)."""
        rows = self.query(
            "SELECT DISTINCT c.child_id FROM membership_children c"
            " JOIN membership_members m ON m.group_id = c.group_id WHERE m.user_id = ? ORDER BY c.child_id",
            (user_id,),
        )
        return [r["child_id"] for r in rows]
