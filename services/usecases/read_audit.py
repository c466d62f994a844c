"""The read audit: who read which child's record, when, through which view, on what grounds.

Every use case that hands out child data writes here before it answers, and a failed
write fails the read (no unlogged read). The log is append-only and lives beside the read
models (its own SQLite file, or a table in the same PostgreSQL), not in the event store:
reads are far more frequent than writes and must not queue behind the store's write lock.
Nothing personal is stored: ids, roles, the view's name and the grounds.

Who may list it: the auditor (everything in the municipality); the coordinator and the
agencies that own a child's case (the one that registered the child, the child's school,
and any that opened a Blue Card for it) for that one child, so an agency sees who looked
at its child.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain.access import Action, Actor, ChildAccess, require
from domain.agencies import Role
from domain.children import Child
from domain.errors import Forbidden, InvalidInput
from projections.views import from_ts, ts
from services.adapters.event_store import SafehubStore
from services.adapters.read_log import MAX_PAGE, ReadLogTable
from services.usecases.base import UseCase
from services.usecases.loading import load


class ReadAudit(UseCase):
    """Write a line per child for every read of child data; list them for those allowed."""

    def __init__(
        self,
        table: ReadLogTable,
        store: SafehubStore,
        clock: Callable[[], datetime],
        case_agencies: Callable[[str], set[str]] | None = None,
    ):
        super().__init__(store, clock)
        self.table = table
        #: child id -> agencies that opened a Blue Card for the child (wired from the deadlines view).
        self.case_agencies = case_agencies or (lambda child_id: set())

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
        """The reads the caller may see, newest first."""
        require(actor, Action.READ_READ_AUDIT)
        if actor.role != Role.AUDITOR.value:
            if child_id is None:
                raise InvalidInput.one("child_id", "name the child whose reads you want to see")
            self._require_case_owner(actor, child_id)
        limit = max(1, min(limit, MAX_PAGE))
        rows = self.table.newest(
            actor.municipality_id, child_id=child_id, user_id=user_id, since=since, until=until, limit=limit
        )
        return {"reads": [_read_view(r) for r in rows], "limit": limit}

    def _require_case_owner(self, actor: Actor, child_id: UUID) -> None:
        """The coordinator, or the agency that registered the child, its school, or one that opened its card."""
        child = load(self.store, Child, child_id, actor, "child")
        if actor.role == Role.COORDINATOR.value:
            return
        owners = {str(a) for a in (child.agency_id, child.school_id) if a}
        owners |= self.case_agencies(str(child_id))
        if actor.agency_id is None or str(actor.agency_id) not in owners:
            raise Forbidden(
                "only the agency that owns the child's case, the coordinator and the auditor "
                "see who read the child's record"
            )


def _read_id() -> str:
    """Unique, and in the order reads happened even when the clock stands still (as in tests)."""
    return f"{time.time_ns():020d}-{uuid4().hex[:12]}"


def _read_view(row: dict[str, Any]) -> dict:
    return {
        "id": row["read_id"],
        "at": from_ts(row["at"]).isoformat(),
        "user_id": row["user_id"],
        "role": row["role"],
        "agency_id": row["agency_id"],
        "agency_kind": row["agency_kind"],
        "child_id": row["child_id"],
        "view": row["view"],
        "grounds": row["grounds"],
        "withheld_categories": [c for c in row["withheld"].split(",") if c],
        "detail": row["detail"],
    }
