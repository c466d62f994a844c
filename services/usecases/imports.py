"""Bulk import of signals from a school e-register export, all accepted rows in one save.

Every row gets a result: accepted (and on which child), duplicate (already on file, from
an earlier export or earlier in the same file), or rejected with the reason per field.
The accepted rows are saved together in one transaction, so a crash imports nothing and
a retry with the same Idempotency-Key imports them exactly once. An unknown pupil is
registered (the school knows its pupils); a known one is found by PESEL or by name and
date of birth. The per-row work (parsing, matching, recording) is ``import_batch``'s.

A row matched to a pupil already on file tells the importer that record's id: every
report (a dry run, an import, a replayed report) logs an ``import_match`` read of each
such child, with the grounds the gate gives the importer for it. Pupils the file itself
registers are the importer's own new records and are not logged as reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from domain.access import Action, Actor, require
from domain.errors import Conflict, Forbidden
from domain.indexes import IdempotencyRecord
from projections.collector import collector_paused
from services.adapters.csv_import import MAX_ROWS, parse
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.adapters.rate_limits import RateLimits
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
        *,
        rates: RateLimits | None = None,
        per_minute: int = 10,
        max_rows: int = MAX_ROWS,
    ):
        super().__init__(store, clock, timezone, gate=children.gate)
        self.children = children
        #: Hard limits (finding 9): imports per user a minute, dry runs too, and data rows per file.
        self.rates = rates
        self.per_minute = per_minute
        self.max_rows = max_rows

    def import_csv(
        self, actor: Actor, data: bytes, *, idempotency_key: str | None = None, dry_run: bool = False
    ) -> dict:
        """Import the file; return the per-row report (the first one again on a retry)."""
        require(actor, Action.SUBMIT_SIGNAL)
        require(actor, Action.REGISTER_CHILD)
        if actor.agency_id is None or actor.agency_kind is None:
            raise Forbidden("only a user of an agency can import signals")
        if self.rates is not None:  # before the file is parsed: a refused import costs nothing
            self.rates.take("imports", str(actor.user_id), self.per_minute, self.clock())
        rows = parse(data, self.max_rows)
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

        report = retry_on_conflict(attempt)
        self._log_matches(actor, report, "dry_run" if dry_run else "replayed" if report.get("replayed") else "")
        return report

    def _log_matches(self, actor: Actor, report: dict, detail: str) -> None:
        """Log a read of every child on file the report names (one line each, with its own grounds)."""
        if self.gate is None:
            raise RuntimeError("SignalImports.gate is wired by services.bootstrap")
        matched = list(
            dict.fromkeys(
                r["child_id"] for r in report["results"] if r.get("child_id") and not r.get("registered_child")
            )
        )
        by_grounds: dict[object, tuple] = {}
        for n, child_id in enumerate(matched):
            access = self.gate.open(actor, [child_id], caught_up=n > 0)  # the first one catches the views up
            by_grounds.setdefault(access.grounds, (access, []))[1].append(child_id)
        for access, ids in by_grounds.values():
            self.gate.logged(access, ids, "import_match", detail=detail)

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
