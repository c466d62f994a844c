"""Erasure by crypto-shredding: record who erased a child and why, then destroy the keys.

The event log stays immutable and its hash chain intact; what disappears is the ability
to read the personal fields, in the store, in replays, in every rebuilt projection and
in exports. A child merged with others is erased together with every record merged in.
"""

from __future__ import annotations

from uuid import UUID

from domain.access import Action, Actor, require
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.children import ChildRecords


class Erasure(UseCase):
    """The erasure use case."""

    def __init__(self, store: SafehubStore, children: ChildRecords):
        super().__init__(store, children.clock, gate=children.gate)
        self.children = children

    def erase(self, actor: Actor, child_id: UUID, *, ground: str, reference: str) -> dict:
        """Erase the child's personal data (and that of records merged with it)."""
        require(actor, Action.ERASE_CHILD)
        root = self.children.writable_child(actor, child_id)
        family = self.children.merged_family(actor, root)

        def attempt(record_id: UUID) -> None:
            record = self.children.load_child(actor, record_id)
            if not record.erased:
                record.erase(ground=ground, reference=reference, author_id=actor.user_id, author_role=actor.role)
                self.store.save(record)

        for record_id in family:
            retry_on_conflict(lambda record_id=record_id: attempt(record_id))
        destroyed = [record_id for record_id in family if self.store.keys and self.store.keys.destroy(record_id)]
        return {
            "id": str(root.id),
            "records": [str(r) for r in family],
            "erased": True,
            "ground": ground,
            "keys_destroyed": len(destroyed),
        }
