"""Erasure by crypto-shredding, decided by two people: record who asked and who approved, then destroy the keys.

The event log stays immutable and its hash chain intact; what disappears is the ability
to read the personal fields, in the store, in replays, in every rebuilt projection and
in exports. A child merged with others is erased together with every record merged in.

Erasure cannot be undone, so one person never decides it alone: a coordinator asks
(``Child.ErasureRequested``) and a second, different person who answers for the data (another
coordinator or the auditor) approves; the approver is the author of ``Child.Erased``. The
one exception is the ground ``retention_expired`` when the retention rule
(domain/retention.py) says the period has ended: then the rule is the second check and
one coordinator erases. Claimed early, that ground is refused with the day it will be due.
The administrator never erases (domain/access.py).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.access import Action, Actor, require
from domain.children import Child
from domain.errors import Conflict, Forbidden
from domain.retention import RetentionPolicy, RetentionVerdict
from services.adapters.aggregate_cache import forget_cached
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.children import ChildRecords
from services.usecases.list_reads import log_children
from services.usecases.retention import MunicipalityRecords, retention_verdict

RETENTION_EXPIRED = "retention_expired"


class Erasure(UseCase):
    """Ask for an erasure, approve it (a second person), or erase alone when retention is due."""

    def __init__(
        self,
        store: SafehubStore,
        children: ChildRecords,
        retention: RetentionPolicy,
        *,
        roots: Callable[[UUID], list[Child]] | None = None,
    ):
        super().__init__(store, children.clock, str(children.zone), gate=children.gate)
        self.children = children
        self.retention = retention
        self.roots = roots or (lambda _municipality_id: [])

    def pending(self, actor: Actor) -> list[dict]:
        """The municipality's erasure requests awaiting a second person (children only; ids, no names).

        Who may approve (a coordinator or the auditor) sees them; each child listed leaves a
        read line (view ``erasure_pending``), as the retention list does.
        """
        require(actor, Action.APPROVE_ERASURE)
        items = [
            {
                "child_id": str(child.id),
                "ground": child.erasure_request["ground"],
                "reference": child.erasure_request["reference"],
                "requested_by": str(child.erasure_request["requested_by"]),
                "mine": child.erasure_request["requested_by"] == actor.user_id,
            }
            for child in self.roots(actor.municipality_id)
            if child.erasure_request is not None
        ]
        log_children(self.gate, actor, [i["child_id"] for i in items], "erasure_pending")
        return items

    def request(self, actor: Actor, child_id: UUID, *, ground: str, reference: str) -> dict:
        """A coordinator asks to erase the child; pending until a second person approves.

        With the ground ``retention_expired`` the retention rule decides instead: due, and
        the record is erased now; not due, and the request is refused naming the due day.
        """
        require(actor, Action.ERASE_CHILD)
        root = self.children.writable_child(actor, child_id)
        family = self.children.merged_family(actor, root)
        if root.erased:
            return self._finish(actor, root, family)
        root.refuse_if_not_erasable()
        self.audited(actor, family, "erasure")
        if ground == RETENTION_EXPIRED:
            verdict = self.verdict(actor, root, family)
            if not verdict.due:
                raise Conflict(_not_due(verdict), field="ground", due_on=_day(verdict), rule=self.retention.version)
            answer = self._erase(actor, root.id, family, ground=ground, reference=reference, requested_by=None)
            return {**answer, "retention": {"due_on": _day(verdict), "rule": self.retention.version}}

        def attempt() -> Child:
            record = self.children.load_child(actor, root.id)
            record.request_erasure(ground=ground, reference=reference, requested_by=actor.user_id)
            self.store.save(record)
            return record

        record = retry_on_conflict(attempt)
        return _pending(record, family)

    def approve(self, actor: Actor, child_id: UUID) -> dict:
        """A second person approves the pending request: the record and those merged into it are erased."""
        require(actor, Action.APPROVE_ERASURE)
        root = self.children.writable_child(actor, child_id)
        if root.erased:
            return self._finish(actor, root, self.children.merged_family(actor, root))
        pending = root.erasure_request
        if pending is None:
            raise Conflict("no erasure of this record awaits approval; a coordinator must ask first")
        if pending["requested_by"] == actor.user_id:
            raise Forbidden(
                "the person who asked for an erasure cannot approve it: a second coordinator or the auditor must"
            )
        family = self.children.merged_family(actor, root)
        self.audited(actor, family, "erasure")
        return self._erase(
            actor,
            root.id,
            family,
            ground=pending["ground"],
            reference=pending["reference"],
            requested_by=pending["requested_by"],
        )

    def _finish(self, actor: Actor, root: Child, family: list[UUID]) -> dict:
        """The erasure was decided and recorded: destroy any key a crash left behind (a retry), change nothing else."""
        decided = root.erasure_decision or {}
        return self._erase(
            actor,
            root.id,
            family,
            ground=decided.get("ground", ""),
            reference=decided.get("reference", ""),
            requested_by=decided.get("requested_by"),
            approved_by=decided.get("approved_by"),
        )

    def verdict(self, actor: Actor, root: Child, family: list[UUID]) -> RetentionVerdict:
        """The retention schedule's answer for this record and every record merged into it.

        Every record naming the family counts (services/usecases/retention.py): Blue Cards,
        working groups, help plans and time cards, each by its own rule."""
        records = [root] + [self.children.load_child(actor, r) for r in family if r != root.id]
        municipality = MunicipalityRecords(self.store, root.municipality_id, self.zone, self.today())
        return retention_verdict(municipality, records, self.retention, self.today())

    def _erase(
        self,
        actor: Actor,
        root_id: UUID,
        family: list[UUID],
        *,
        ground: str,
        reference: str,
        requested_by: UUID | None,
        approved_by: UUID | None = None,
    ) -> dict:
        """Record the erasure on every record of the family (the actor is its author), then destroy the keys."""

        def attempt(record_id: UUID) -> None:
            record = self.children.load_child(actor, record_id)
            if record.erased:
                return
            if record_id == root_id and requested_by is not None:
                pending = record.erasure_request  # approved as asked, not as changed meanwhile
                if pending is None or pending["requested_by"] != requested_by:
                    raise Conflict("the erasure request changed meanwhile; look again")
            lookups = self.children.search.release(record)  # read the PESEL and birth date before they go
            record.erase(ground=ground, reference=reference, author_id=actor.user_id, author_role=actor.role)
            self.store.save(record, *lookups)

        for record_id in family:
            retry_on_conflict(lambda record_id=record_id: attempt(record_id))
        destroyed = [record_id for record_id in family if self.store.keys and self.store.keys.destroy(record_id)]
        forget_cached(self.store.repository)  # cached aggregates may hold the erased texts, decrypted
        return {
            "id": str(root_id),
            "records": [str(r) for r in family],
            "state": "erased",
            "erased": True,
            "ground": ground,
            "reference": reference,
            "requested_by": str(requested_by or actor.user_id),
            "approved_by": str(approved_by or actor.user_id),
            "keys_destroyed": len(destroyed),
        }


def _pending(record: Child, family: list[UUID]) -> dict:
    request = record.erasure_request or {}
    return {
        "id": str(record.id),
        "records": [str(r) for r in family],
        "state": "pending",
        "erased": False,
        "ground": request.get("ground"),
        "reference": request.get("reference"),
        "requested_by": str(request.get("requested_by")),
        "approved_by": None,
        "keys_destroyed": 0,
    }


def _day(verdict: RetentionVerdict) -> str | None:
    return verdict.due_on.isoformat() if verdict.due_on else None


def _not_due(verdict: RetentionVerdict) -> str:
    if verdict.due_on is None:
        return f"ground 'retention_expired' does not apply: retention has not ended ({verdict.reason})"
    return (
        f"ground 'retention_expired' does not apply before {verdict.due_on.isoformat()} "
        f"({verdict.reason}); ask with 'authorised_request' for a second person's approval"
    )
