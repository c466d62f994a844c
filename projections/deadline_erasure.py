"""The deadlines view's part of an erasure: whom its rows concern, and scrubbing their texts.

The deadline list shows a group's name (often the family's), a meeting's place and an
action's text; all three are about the children of the group and of its Blue Card, and
about the adults the sealing rules name for the card (``projections.erasure``). When any
one of those persons is erased, the erasure's batch blanks those texts (the name to '',
as the column holds text; place and description to NULL), exactly what a rebuild gives
once the texts' sealed boxes no longer open. Dates, kinds, owners and statuses remain,
so counts and lateness are unchanged.
"""

from __future__ import annotations

from typing import Any

from projections.erasure import subjects_of

#: The table naming, per card or group (its ``scope_id``), the persons its texts concern.
SUBJECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS deadline_subjects ("
    " scope_id TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (person_id, scope_id))",
)


def note_subjects(view: Any, cursor: Any, event: Any) -> None:
    """Remember whom this card's or group's texts concern (its originator is the scope)."""
    scope = str(event.originator_id)
    for person in sorted(subjects_of(event)):
        view.defer(
            cursor,
            "INSERT INTO deadline_subjects (scope_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (scope, person),
        )


def scrub_person(view: Any, cursor: Any, person: str) -> None:
    """Blank every text of the cards and groups concerning ``person`` (in the erasure's batch)."""
    scopes = {
        r["scope_id"] for r in view.run(cursor, "SELECT scope_id FROM deadline_subjects WHERE person_id = ?", (person,))
    }
    cards = scopes | {
        r["card_id"]
        for r in view.run(cursor, "SELECT card_id FROM deadline_card_children WHERE child_id = ?", (person,))
    }
    groups = set(scopes)
    for row in view.run(cursor, "SELECT group_id, card_id, child_ids FROM deadline_groups", ()):
        if row["card_id"] in cards or person in row["child_ids"]:  # child_ids: a JSON list of ids
            groups.add(row["group_id"])
    for row in _in(view, cursor, "SELECT group_id FROM deadline_cards WHERE card_id IN ({marks})", cards):
        if row["group_id"]:
            groups.add(row["group_id"])
    _update_in(view, cursor, "UPDATE deadline_groups SET name = '' WHERE group_id IN ({marks})", groups)
    _update_in(view, cursor, "UPDATE deadline_meetings SET place = NULL WHERE group_id IN ({marks})", groups)
    _update_in(view, cursor, "UPDATE deadline_items SET description = NULL WHERE group_id IN ({marks})", groups)
    _update_in(view, cursor, "UPDATE deadline_items SET description = NULL WHERE card_id IN ({marks})", cards)
    view.scrubbed("deadline_groups", "deadline_meetings", "deadline_items")


def _in(view: Any, cursor: Any, statement: str, ids: set[str]) -> list[dict]:
    rows: list[dict] = []
    chosen = sorted(ids)
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        rows += view.run(cursor, statement.format(marks=", ".join("?" for _ in chunk)), chunk)
    return rows


def _update_in(view: Any, cursor: Any, statement: str, ids: set[str]) -> None:
    if ids:
        _in(view, cursor, statement, ids)
