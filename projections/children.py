"""What lists of children (agendas) show about each child, without loading its aggregate.

An agenda names a score of children and asks, for each, which records make it up (itself
and anything merged into it), the name to show (the merge root's) and which help plans
name it. Loading every child's aggregate, and every child's help-plan bucket, one by one
cost most of an agenda's time; these tables answer it in one query for the whole group.

The name follows ``Child.display_name``: the registered name, and nothing once the record
is erased. Erasure clears it here when ``Child.Erased`` is applied, and a rebuild after
the key was destroyed reads no name from the sealed ``Registered`` event, so live and
rebuilt rows are the same and an erased child never reappears by name (the erasure's batch then
truncates the view's write-ahead log, see ``projections.erasure``). Reading these
rows is not an access decision: the services check the grounds and write the read audit
before anything read here leaves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.children import Child
from domain.help_plans import HelpPlan
from projections.erasure import ERASURE_EVENTS, erased_person
from projections.views import ViewMixin, topics_of


class ChildrenView(ViewMixin):
    """Tables: each child record (merge root, display name), and the help plans naming it."""

    name = "children"
    topics = topics_of(Child.Registered, Child.MergedInto, HelpPlan.Drawn, *ERASURE_EVENTS)
    tables = ("children_records", "children_help_plans")
    ddl = (
        "CREATE TABLE IF NOT EXISTS children_records ("
        " child_id TEXT PRIMARY KEY, root_id TEXT NOT NULL, municipality_id TEXT NOT NULL, display_name TEXT)",
        "CREATE INDEX IF NOT EXISTS children_records_root ON children_records (root_id)",
        "CREATE TABLE IF NOT EXISTS children_help_plans ("
        " child_id TEXT NOT NULL, plan_id TEXT NOT NULL, PRIMARY KEY (child_id, plan_id))",
    )

    def apply(self, cursor: Any, event: Any, position: int) -> None:
        """Dispatch one event to its handler."""
        if isinstance(event, Child.Registered):
            # After erasure the sealed fields come back as None: no name, as display_name() says.
            name = f"{event.given_name} {event.family_name}" if event.given_name else None
            child = str(event.originator_id)
            self.defer(
                cursor,
                "INSERT INTO children_records VALUES (?, ?, ?, ?) ON CONFLICT (child_id) DO NOTHING",
                (child, child, str(event.municipality_id), name),
            )
        elif isinstance(event, Child.MergedInto):
            source, target = str(event.originator_id), str(event.target_id)
            root = self.run(cursor, "SELECT root_id FROM children_records WHERE child_id = ?", (target,))
            self.run(
                cursor,
                "UPDATE children_records SET root_id = ? WHERE root_id = ?",
                (root[0]["root_id"] if root else target, source),
            )
        elif erased_person(event) is not None:
            self.run(
                cursor,
                "UPDATE children_records SET display_name = NULL WHERE child_id = ?",
                (erased_person(event),),
            )
            self.scrubbed("children_records")
        elif isinstance(event, HelpPlan.Drawn):
            for child in event.child_ids:
                self.defer(
                    cursor,
                    "INSERT INTO children_help_plans VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (str(child), str(event.originator_id)),
                )

    # --- reading ---------------------------------------------------------------------

    def families(self, child_ids: Iterable[str]) -> dict[str, dict]:
        """For each known child: its merge ``root``, the root's ``name`` and the ``records`` of the family.

        One query for all the children; a child the view does not know is left out.
        """
        asked = list(dict.fromkeys(child_ids))
        if not asked:
            return {}
        marks = ", ".join("?" for _ in asked)
        rows = self.query(
            "SELECT a.child_id AS asked, a.root_id, r.display_name, m.child_id AS record"  # noqa: S608
            " FROM children_records a LEFT JOIN children_records r ON r.child_id = a.root_id"
            " JOIN children_records m ON m.root_id = a.root_id"
            f" WHERE a.child_id IN ({marks}) ORDER BY a.child_id, m.child_id",
            asked,
        )  # only placeholders joined in
        out: dict[str, dict] = {}
        for row in rows:
            entry = out.setdefault(row["asked"], {"root": row["root_id"], "name": row["display_name"], "records": []})
            entry["records"].append(row["record"])
        return out

    def help_plans_of(self, child_ids: Iterable[str]) -> dict[str, list[str]]:
        """The help plans naming each of these records (one query), plan ids in order."""
        asked = list(dict.fromkeys(child_ids))
        if not asked:
            return {}
        marks = ", ".join("?" for _ in asked)
        rows = self.query(
            f"SELECT child_id, plan_id FROM children_help_plans WHERE child_id IN ({marks})"  # noqa: S608
            " ORDER BY child_id, plan_id",
            asked,
        )
        out: dict[str, list[str]] = {}
        for row in rows:
            out.setdefault(row["child_id"], []).append(row["plan_id"])
        return out
