"""The one gate every read of a child's record passes: grounds first, then the read audit.

Use cases ask ``open(actor, child_ids)`` after they have checked the role and the
municipality; the answer says what the reader may receive. Once they have built the
answer they call ``logged(...)``, which writes the read audit before the data leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from uuid import UUID

from domain.access import Actor, CategoryPolicy, ChildAccess, child_access
from domain.agencies import Role
from projections.memberships import MembershipsView
from services.usecases.read_audit import ReadAudit

#: Roles whose grounds do not depend on group membership (no projection read needed).
_GROUNDS_BY_ROLE = frozenset({Role.ADMIN.value, Role.AUDITOR.value, Role.COORDINATOR.value})


class ChildGate:
    """Grounds for a child's record and the audit line for each read."""

    def __init__(
        self,
        memberships: Callable[[], MembershipsView],
        catch_up: Callable[[], object],
        policy: CategoryPolicy,
        audit: ReadAudit,
    ):
        self.memberships = memberships
        self.catch_up = catch_up
        self.policy = policy
        self.audit = audit

    def open(self, actor: Actor, child_ids: Iterable[UUID | str], *, caught_up: bool = False) -> ChildAccess:
        """The grounds on which ``actor`` reads these records of one child (same municipality).

        ``caught_up``: the caller has just let the projections catch up (no second round trip).
        """
        member = False
        if actor.role not in _GROUNDS_BY_ROLE:
            if not caught_up:
                self.catch_up()  # a group opened a moment ago counts
            member = self.memberships().is_member(str(actor.user_id), [str(c) for c in child_ids])
        return child_access(actor, group_member=member, policy=self.policy)

    def logged(
        self,
        access: ChildAccess,
        child_ids: Iterable[UUID | str],
        view: str,
        *,
        withheld: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        """Write the read to the audit; raising here refuses the read."""
        self.audit.record(access, child_ids, view, withheld=withheld, detail=detail)

    def read(self, actor: Actor, child_ids: Iterable[UUID | str], view: str, *, detail: str = "") -> ChildAccess:
        """Open and log in one step, for views whose content does not depend on the grounds."""
        ids = list(child_ids)
        access = self.open(actor, ids)
        self.logged(access, ids, view, detail=detail)
        return access
