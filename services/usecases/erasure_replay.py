"""Erase again, after a restore, whoever the erasure ledger says was erased after the backup.

A restored store is the store as it was when the backup was taken: a child or an adult
erased since is back in it, readable. The erasure ledger (services/adapters/ledger.py),
kept outside the data and carried into every backup, names them by id and time. For each,
this does what the live erasure did (services/usecases/erasure.py, persons.py): the
erasure is recorded in the log (so the record says ``erased``, every read model built
from the log follows, and an ``as_of`` replay after this point shows it erased), the
look-ups of a child (PESEL pointer, birth-date listing) are released so they find nothing,
and then the key is destroyed. The two-person decision is not taken again: it was taken,
and the ledger is its trace; the recorded event says so in its reference, with the time
of the original erasure. The author is no person (the nil id, role ``system``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.children import Child
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.children import ChildRecords
from services.usecases.loading import find

#: The author of an erasure re-applied from the ledger: no person decided it again.
SYSTEM_AUTHOR = UUID(int=0)
SYSTEM_ROLE = "system"
GROUND = "authorised_request"


class ErasureReplay:
    """Re-apply the ledger's erasures to the store as it now is (after a restore, or a ``pg_restore``)."""

    def __init__(self, store: SafehubStore, children: ChildRecords):
        self.store = store
        self.children = children

    def replay(self, entries: dict[str, str]) -> dict[str, list[str]]:
        """Erase each ``subject -> erased_at`` not erased yet, then destroy its key; say what was done.

        Safe to run again: an erased record is left alone and a destroyed key stays destroyed.
        """
        recorded: list[str] = []
        destroyed: list[str] = []
        for subject, erased_at in sorted(entries.items(), key=lambda e: e[1]):
            try:
                subject_id = UUID(subject)
            except ValueError:
                continue
            if retry_on_conflict(lambda subject_id=subject_id, at=erased_at: self._record(subject_id, at)):
                recorded.append(subject)
            keys = self.store.keys
            if keys is not None and keys.destroy(subject_id, at=erased_at, record=False):
                destroyed.append(subject)
        return {"recorded": recorded, "keys_destroyed": destroyed}

    def _record(self, subject_id: UUID, erased_at: str) -> bool:
        record: Any = find(self.store, subject_id)
        if record is None or not hasattr(record, "erase") or getattr(record, "erased", True):
            return False
        lookups = self.children.search.release(record) if isinstance(record, Child) else []
        record.erase(
            ground=GROUND,
            reference=f"re-applied from the erasure ledger after a restore; erased {erased_at}"[:200],
            author_id=SYSTEM_AUTHOR,
            author_role=SYSTEM_ROLE,
        )
        self.store.save(record, *lookups)
        return True
