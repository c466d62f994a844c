"""Bulk import of signals from a school e-register export, all accepted rows in one save.

Every row gets a result: accepted (and on which child), duplicate (already on file, from
an earlier export or earlier in the same file), or rejected with the reason per field.
The accepted rows are saved together in one transaction, so a crash imports nothing and
a retry with the same Idempotency-Key imports them exactly once. An unknown pupil is
registered (the school knows its pupils); a known one is found by PESEL or by name and
date of birth. The per-row work (parsing, matching, recording) is ``import_batch``'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from domain.access import Action, Actor, require
from domain.errors import Conflict, Forbidden
from domain.indexes import IdempotencyRecord
from projections.collector import collector_paused
from services.adapters.csv_import import parse
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.children import ChildRecords
from services.usecases.import_batch import ImportBatch
from services.usecases.loading import find


class SignalImports(UseCase):
    """The CSV import use case."""

    def __init__(
        self,
        store: SafehubStore,
        children: ChildRecords,
        clock: Callable[[], datetime],
        timezone: str = "Europe/Warsaw",
    ):
        super().__init__(store, clock, timezone, gate=children.gate)
        self.children = children

    def import_csv(
        self, actor: Actor, data: bytes, *, idempotency_key: str | None = None, dry_run: bool = False
    ) -> dict:
        """Import the file; return the per-row report (the first one again on a retry)."""
        require(actor, Action.SUBMIT_SIGNAL)
        require(actor, Action.REGISTER_CHILD)
        if actor.agency_id is None or actor.agency_kind is None:
            raise Forbidden("only a user of an agency can import signals")
        rows = parse(data)
        key = f"import:{actor.user_id}:{idempotency_key}" if idempotency_key and not dry_run else None
        fingerprint = hashlib.sha256(data).hexdigest()

        def attempt() -> dict:
            if key:
                earlier = self._replay(key, fingerprint)
                if earlier is not None:
                    return earlier
            # A large file builds hundreds of thousands of aggregates and events, none of them in a
            # cycle: the collector would walk them all again and again (projections/collector.py).
            with collector_paused():
                batch = ImportBatch(self.store, self.children, actor, self.clock(), self.zone)
                batch.prefetch(rows)
                results = [batch.take(row) for row in rows]
                report = _report(results, dry_run)
                if not dry_run:
                    extra = [IdempotencyRecord(key=key, fingerprint=fingerprint, outcome=report)] if key else []
                    self.store.save(*batch.aggregates(), *extra)
            return {**report, "replayed": False}

        return retry_on_conflict(attempt)

    def _replay(self, key: str, fingerprint: str) -> dict | None:
        record = find(self.store, IdempotencyRecord.create_id(key), IdempotencyRecord)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different file")
        return {**record.outcome, "replayed": True}


def _report(results: list[dict], dry_run: bool) -> dict:
    counts = {
        status: sum(1 for r in results if r["status"] == status) for status in ("accepted", "duplicate", "rejected")
    }
    return {
        "rows": len(results),
        **counts,
        "registered_children": len(
            {r["child_id"] for r in results if r.get("registered_child") and r["status"] == "accepted"}
        ),
        "dry_run": dry_run,
        "results": results,
    }
