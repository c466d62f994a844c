"""The read audit: who read which child's record, when, through which view, on what grounds.

Every use case that hands out child data writes here before it answers, and a failed
write fails the read (no unlogged read). The log is append-only, hash-chained per
municipality (services/adapters/read_log.py: a deleted, edited or reordered line is found
by ``safehub audit verify``) and lives beside the read models, not in the event store:
reads are far more frequent than writes and must not queue behind the store's write lock.
Nothing personal is stored: ids, roles, the view's name and the grounds.

Who may list it, and what: the auditor lists everything in the municipality, each line
whole, with the reader's and the agency's names. Those who answer for one child's case
(its standing) list that child's reads, and see who looked (name, agency, role, time,
grounds) but nothing of what the record holds: no view names, no withheld categories, no
detail, which would tell a school outside the group that a Blue Card, a help plan or a
health entry exists. Standing is narrow, so no agency can grant it to itself about any
child: the coordinator (who chairs the team), the agency that registered the child, the
child's school (named at registration by that agency, changed by nobody afterwards), and
the members of the child's working group (who answer for the case). Filing a form A or a
signal about a child gives none: an agency cannot make itself the owner of a child's case.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain.access import Action, Actor, ChildAccess, require
from domain.agencies import Agency, Role, User
from domain.children import Child
from domain.errors import Forbidden, InvalidInput
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.adapters.read_log import MAX_PAGE, ReadLogTable
from services.usecases.base import UseCase
from services.usecases.loading import find, load

#: Whether a user sits on a working group covering a child: (user id, child id) -> bool.
GroupMember = Callable[[UUID, UUID], bool]


class ReadAudit(UseCase):
    """Write a line per child for every read of child data; list them for those allowed."""

    def __init__(
        self,
        table: ReadLogTable,
        store: SafehubStore,
        clock: Callable[[], datetime],
        group_member: GroupMember | None = None,
    ):
        super().__init__(store, clock)
        self.table = table
        #: Wired by bootstrap to the memberships view (after the projections caught up).
        self.group_member = group_member or (lambda user_id, child_id: False)

    def record(
        self,
        access: ChildAccess,
        child_ids: Iterable[UUID | str],
        view: str,
        *,
        withheld: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        """Log the read of each child's record; raises (and so refuses the read) if it cannot."""
        actor = access.actor
        at = ts(self.clock())
        categories = ",".join(sorted(set(withheld)))
        rows = [
            (
                _read_id(),
                at,
                str(actor.municipality_id),
                str(actor.user_id),
                actor.role,
                str(actor.agency_id) if actor.agency_id else None,
                actor.agency_kind,
                str(child),
                view,
                access.grounds.value,
                categories,
                detail[:500],
            )
            for child in dict.fromkeys(str(c) for c in child_ids)
        ]
        if rows:
            self.table.append(rows)

    def list(
        self,
        actor: Actor,
        *,
        child_id: UUID | None = None,
        user_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> dict:
        """The reads the caller may see, newest first: whole lines for the auditor, who looked for an owner."""
        require(actor, Action.READ_READ_AUDIT)
        auditor = actor.role == Role.AUDITOR.value
        if not auditor:
            if child_id is None:
                raise InvalidInput.one("child_id", "name the child whose reads you want to see")
            self._require_standing(actor, child_id)
        limit = max(1, min(limit, MAX_PAGE))
        rows = self.table.newest(
            actor.municipality_id, child_id=child_id, user_id=user_id, since=since, until=until, limit=limit
        )
        names = _Names(self.store)
        present = _audit_view if auditor else _owner_view
        return {"reads": [present(r, names) for r in rows], "limit": limit}

    def verify(self, actor: Actor, expect_head: str | None = None) -> dict:
        """Recompute the chain of the auditor's municipality's read lines (see services/adapters/read_log.py)."""
        require(actor, Action.VERIFY_HISTORY)
        return self.table.verify_chain(actor.municipality_id, expect_head)

    def verify_all(self) -> list[dict]:
        """Every municipality's chain, for the operator's ``safehub audit verify``."""
        return [self.table.verify_chain(m) for m in self.table.municipalities()]

    def _require_standing(self, actor: Actor, child_id: UUID) -> None:
        """The coordinator, the agency that registered the child, its school, or a member of its working group."""
        child = load(self.store, Child, child_id, actor, "child")
        if actor.role == Role.COORDINATOR.value:
            return
        if actor.agency_id is not None and actor.agency_id in {child.agency_id, child.school_id}:
            return
        if self.group_member(actor.user_id, child_id):
            return
        raise Forbidden(
            "only the coordinator, the agency that registered the child, its school, the members of its "
            "working group and the auditor see who read the child's record"
        )


class _Names:
    """The names of readers and agencies, each looked up once per listing."""

    def __init__(self, store: SafehubStore):
        self.store = store
        self.known: dict[str, str | None] = {}

    def of(self, cls: type, aggregate_id: str | None) -> str | None:
        if not aggregate_id:
            return None
        if aggregate_id not in self.known:
            found = find(self.store, UUID(aggregate_id), cls)
            self.known[aggregate_id] = found.name if found is not None else None
        return self.known[aggregate_id]


def _read_id() -> str:
    """Unique, and in the order reads happened even when the clock stands still (as in tests)."""
    return f"{time.time_ns():020d}-{uuid4().hex[:12]}"


def _owner_view(row: dict[str, Any], names: _Names) -> dict:
    """Who looked, from where, when and on what grounds: nothing of what the record holds."""
    return {
        "id": row["read_id"],
        "at": from_ts(row["at"]).isoformat(),
        "child_id": row["child_id"],
        "user_id": row["user_id"],
        "reader_name": names.of(User, row["user_id"]),
        "role": row["role"],
        "agency_id": row["agency_id"],
        "agency_name": names.of(Agency, row["agency_id"]),
        "grounds": row["grounds"],
    }


def _audit_view(row: dict[str, Any], names: _Names) -> dict:
    return {
        **_owner_view(row, names),
        "agency_kind": row["agency_kind"],
        "view": row["view"],
        "withheld_categories": [c for c in row["withheld"].split(",") if c],
        "detail": row["detail"],
    }
