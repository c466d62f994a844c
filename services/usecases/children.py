"""Use cases for children and their signals: register, find, record, correct, merge, read.

Every method takes the calling Actor, asks the access policy first, and returns plain
values, so the HTTP layer and the CLI never touch an aggregate. The keys and the
likely-duplicate search behind ``register`` and ``find`` are in ``services.usecases.child_search``.

Every answer that tells the caller something it did not write itself leaves a read-audit
line: a search (``search``), the record a registration collides with or nearly matches
(``duplicate_check``), a merge's surviving record (``identity``, detail ``merge``). A
signal written, corrected or retracted answers with the caller's own agency's signal only,
so it logs nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

from domain.access import Action, Actor, require
from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.history import fold_signals
from domain.indexes import IdempotencyRecord
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.child_search import ChildSearch, recognisable
from services.usecases.directory import Directory
from services.usecases.gate import ChildGate
from services.usecases.loading import bucket, find, load
from services.usecases.presenters import child_view, guarded_signal, readable_history, signal_view

MAX_MERGE_HOPS = 10
#: A hook run inside a signal's save: (actor, child, recorded event, intervention) -> (aggregates, fields).
SignalHook = Callable[[Actor, Child, Child.SignalRecorded, "dict | None"], tuple[list, dict]]


class ChildRecords(UseCase):
    """Children and the signals agencies raise about them."""

    def __init__(
        self,
        store: SafehubStore,
        directory: Directory,
        secret: bytes,
        clock: Callable[[], datetime],
        timezone: str = "Europe/Warsaw",
        *,
        gate: ChildGate | None = None,
    ):
        super().__init__(store, clock, timezone, gate=gate)
        self.directory = directory
        self.secret = secret
        #: The PESEL and birth-date keys and the likely-duplicate search (services.usecases.child_search).
        self.search = ChildSearch(store, secret)
        #: Called inside a signal's save with (actor, child, the recorded event, intervention);
        #: each returns aggregates to save atomically with the signal and fields for the answer.
        self.signal_hooks: list[SignalHook] = []

    # --- registering and finding ----------------------------------------------------

    def register(
        self,
        actor: Actor,
        *,
        given_name: str,
        family_name: str,
        date_of_birth: date,
        pesel: str | None = None,
        school_id: UUID | None = None,
    ) -> dict:
        """Open a child's record; a PESEL already on file is refused with the existing id.

        What the registrant learns of other records is a read and is logged
        (``duplicate_check``): the id of the record that holds the PESEL (it needs it to add
        its signal there instead), and of each likely duplicate only what recognises it (the
        name and the date of birth, which it has just typed nearly the same), never its
        PESEL, school or history (``child_search.recognisable``). The new record itself
        is what the registrant just typed: echoing it back is no read.
        """
        require(actor, Action.REGISTER_CHILD)
        if school_id is None and actor.agency_kind == "school":
            school_id = actor.agency_id
        if school_id is not None:
            self.directory.school_of(actor.municipality_id, school_id)
        today = self.clock().astimezone(self.zone).date()

        def build() -> Child:
            return Child.register(
                municipality_id=actor.municipality_id,
                given_name=given_name,
                family_name=family_name,
                date_of_birth=date_of_birth,
                pesel=pesel,
                school_id=school_id,
                registered_by=actor.user_id,
                agency_id=actor.agency_id,
                today=today,
            )

        build()  # validate every field before touching the store

        def attempt() -> Child:
            if pesel:
                self.search.refuse_known_pesel(actor.municipality_id, pesel)
            child = build()
            listing = bucket(self.store, self.dob_key(actor.municipality_id, date_of_birth))
            listing.add(child.id)
            extra = [self.search.claim_pesel(actor.municipality_id, pesel, child.id)] if pesel else []
            self.store.save(child, listing, *extra)
            return child

        try:
            child = retry_on_conflict(attempt)
        except Conflict as refused:
            if refused.details.get("existing_id"):
                self._gate.read(actor, [str(refused.details["existing_id"])], "duplicate_check")
            raise
        duplicates = [recognisable(d) for d in self.search.similar(child) if d["id"] != str(child.id)]
        for duplicate in duplicates:
            self._gate.read(actor, [duplicate["id"]], "duplicate_check")
        return {**child_view(child), "likely_duplicates": duplicates}

    def find(
        self,
        actor: Actor,
        *,
        pesel: str | None = None,
        given_name: str | None = None,
        family_name: str | None = None,
        date_of_birth: date | None = None,
    ) -> dict:
        """Look a child up by PESEL, or by name and date of birth with likely duplicates."""
        require(actor, Action.FIND_CHILD)
        if pesel:
            child = self.by_pesel(actor.municipality_id, pesel)
            if child is not None:
                child = self.writable_child(actor, child.id)  # a merged record answers with its survivor
                self._gate.read(actor, [child.id], "search")
            return {"matches": [child_view(child)] if child else [], "likely_duplicates": []}
        if not (given_name and family_name and date_of_birth):
            raise InvalidInput({"query": ["give either pesel, or given_name, family_name and date_of_birth together"]})
        candidates = self.search.matching(actor.municipality_id, given_name, family_name, date_of_birth)
        for found in candidates:
            self._gate.read(actor, [found["id"]], "search")
        exact = [c for c in candidates if c["match"] == "exact"]
        likely = [recognisable(c) for c in candidates if c["match"] != "exact"]
        return {"matches": exact, "likely_duplicates": likely}

    def get(self, actor: Actor, child_id: UUID) -> dict:
        """Return a child's identity record."""
        require(actor, Action.READ_CHILD)
        child = self.load_child(actor, child_id)
        self._gate.read(actor, [child.id], "identity")
        return child_view(child)

    # --- signals ----------------------------------------------------------------------

    def record_signal(
        self,
        actor: Actor,
        child_id: UUID,
        *,
        kind: str,
        observed_at: datetime,
        details: str = "",
        severity: str | None = None,
        days: int | None = None,
        idempotency_key: str | None = None,
        intervention: dict | None = None,
    ) -> tuple[dict, bool]:
        """Record a signal once; a retry with the same key returns the first result.

        Returns the signal and whether it was a replay of an earlier request. A domestic
        intervention may carry the police's ``intervention`` details (for the notices).
        """
        require(actor, Action.SUBMIT_SIGNAL)
        if actor.agency_id is None or actor.agency_kind is None:
            raise Forbidden("only a user of an agency can submit signals")
        key = f"signal:{actor.user_id}:{idempotency_key}" if idempotency_key else None
        fingerprint = _fingerprint(child_id, kind, observed_at, details, severity, days, intervention)

        def attempt() -> tuple[dict, bool]:
            if key:
                earlier = self._replay(actor, key, fingerprint)
                if earlier is not None:
                    return earlier, True
            child = self.writable_child(actor, child_id)
            signal_id = child.record_signal(
                kind=kind,
                observed_at=observed_at,
                details=details,
                severity=severity,
                days=days,
                agency_id=actor.agency_id,
                agency_kind=actor.agency_kind,
                author_id=actor.user_id,
                author_role=actor.role,
                now=self.clock(),
            )
            recorded = child.pending_events[-1]
            extra: list = []
            answer: dict = {}
            for hook in self.signal_hooks:
                aggregates, fields = hook(actor, child, recorded, intervention)
                extra.extend(aggregates)
                answer.update(fields)
            if key:  # the hooks' answer is kept too, so a retry gets exactly the first answer
                outcome = {"child_id": str(child.id), "signal_id": str(signal_id), **answer}
                extra.append(IdempotencyRecord(key=key, fingerprint=fingerprint, outcome=outcome))
            self.store.save(child, *extra)
            return {**signal_view(fold_signals([recorded])[signal_id]), **answer}, False

        return retry_on_conflict(attempt)

    def list_signals(self, actor: Actor, child_id: UUID) -> list[dict]:
        """List the signals the caller may see, as they read now, oldest observation first."""
        require(actor, Action.READ_SIGNALS)
        child = self.load_child(actor, child_id)
        family = self.merged_family(actor, child)
        access = self._gate.open(actor, family)
        states: dict = {}
        for record_id in family:
            states.update(fold_signals(self.store.events.get(record_id)))
        visible = [s for s in states.values() if access.sees_entry(s.agency_id)]
        answer = [guarded_signal(access, s) for s in sorted(visible, key=lambda s: (s.observed_at, s.version))]
        self._gate.logged(
            access, family, "signals", withheld=[a["withheld_category"] for a in answer if a.get("withheld_category")]
        )
        return answer

    def correct_signal(
        self, actor: Actor, child_id: UUID, signal_id: UUID, *, reason: str = "", **changes: object
    ) -> dict:
        """Record a correction by the signal's own agency; the original stays in history.

        Another agency's signal answers exactly like no signal (404 "signal not found"), so
        a guessed id confirms nothing about what other agencies recorded.
        """
        require(actor, Action.SUBMIT_SIGNAL)

        def attempt() -> None:
            child = self.load_child(actor, child_id)
            _require_own_signal(actor, child, signal_id)
            child.correct_signal(
                signal_id=signal_id,
                agency_id=actor.agency_id,
                author_id=actor.user_id,
                author_role=actor.role,
                now=self.clock(),
                reason=reason,
                **changes,
            )
            self.store.save(child)

        retry_on_conflict(attempt)
        return self._signal_now(child_id, signal_id)

    def retract_signal(self, actor: Actor, child_id: UUID, signal_id: UUID, *, reason: str) -> dict:
        """Withdraw a signal with a reason; it stays visible as retracted (404 alike for another agency's)."""
        require(actor, Action.SUBMIT_SIGNAL)

        def attempt() -> None:
            child = self.load_child(actor, child_id)
            _require_own_signal(actor, child, signal_id)
            child.retract_signal(
                signal_id=signal_id,
                reason=reason,
                agency_id=actor.agency_id,
                author_id=actor.user_id,
                author_role=actor.role,
            )
            self.store.save(child)

        retry_on_conflict(attempt)
        return self._signal_now(child_id, signal_id)

    # --- merging and history -----------------------------------------------------------

    def merge(self, actor: Actor, source_id: UUID, target_id: UUID, *, reason: str) -> dict:
        """Merge a duplicate record into the one that stays; both records keep their history."""
        require(actor, Action.MERGE_CHILDREN)

        def attempt() -> Child:
            source = self.load_child(actor, source_id)
            try:
                target = self.load_child(actor, target_id)
            except NotFound:
                raise InvalidInput.one("target_id", "no such child in this municipality") from None
            source.merge_into(target, reason=reason, author_id=actor.user_id)
            self.store.save(source, target)
            return target

        target = retry_on_conflict(attempt)
        self._answered(actor, [source_id, target.id], "identity", detail="merge")
        return child_view(target)

    def events(self, actor: Actor, child_id: UUID, as_of: datetime | None = None) -> list[dict]:
        """Return the raw stored history the caller may see, optionally as it stood at ``as_of``.

        Each signal's events are judged by its current category (``presenters.readable_history``).
        """
        require(actor, Action.READ_HISTORY)
        child = self.load_child(actor, child_id)
        access = self._gate.open(actor, [child.id])
        visible, withheld = readable_history(list(self.store.events.get(child.id)), access, as_of)
        self._gate.logged(
            access, [child.id], "events", withheld=withheld, detail=f"as_of={as_of.isoformat()}" if as_of else ""
        )
        return visible

    # --- helpers -------------------------------------------------------------------------

    @property
    def _gate(self) -> ChildGate:
        if self.gate is None:
            raise RuntimeError("ChildRecords.gate is wired by services.bootstrap")
        return self.gate

    def load_child(self, actor: Actor, child_id: UUID) -> Child:
        """The child's aggregate for another use case (erasure, imports): 404 outside the municipality."""
        return load(self.store, Child, child_id, actor, "child")

    def writable_child(self, actor: Actor, child_id: UUID) -> Child:
        """Follow merges so a school system still using an old id loses nothing."""
        child = self.load_child(actor, child_id)
        for _ in range(MAX_MERGE_HOPS):
            if child.merged_into is None:
                return child
            child = self.load_child(actor, child.merged_into)
        raise Conflict("the record's merge chain is too long")

    def merged_family(self, actor: Actor, child: Child) -> list[UUID]:
        """The record and every record merged into it (directly or through others)."""
        family, pending = [child.id], list(child.merged_from)
        while pending and len(family) < 1000:
            record = self.load_child(actor, pending.pop())
            family.append(record.id)
            pending.extend(record.merged_from)
        return family

    def _answered(self, actor: Actor, child_ids: list, view: str, *, detail: str = "") -> None:
        """Log the record a write answers with: grounds from the views as they stand (a write waits for no catch-up)."""
        access = self._gate.open(actor, child_ids, caught_up=True)
        self._gate.logged(access, child_ids, view, detail=detail)

    def _replay(self, actor: Actor, key: str, fingerprint: str) -> dict | None:
        record = find(self.store, IdempotencyRecord.create_id(key), IdempotencyRecord)
        if record is None:
            return None
        if record.fingerprint != fingerprint:
            raise Conflict("this Idempotency-Key was already used for a different request")
        child_id, signal_id = UUID(record.outcome["child_id"]), UUID(record.outcome["signal_id"])
        for e in self.store.events.get(child_id):
            if isinstance(e, Child.SignalRecorded) and e.signal_id == signal_id:
                extras = {k: v for k, v in record.outcome.items() if k not in ("child_id", "signal_id")}
                return {**signal_view(fold_signals([e])[signal_id]), **extras}
        raise NotFound("the earlier result of this Idempotency-Key is gone")

    def _signal_now(self, child_id: UUID, signal_id: UUID) -> dict:
        return signal_view(fold_signals(self.store.events.get(child_id))[signal_id])

    def pesel_key(self, municipality_id: UUID, pesel: str) -> str:
        """The pointer key of a PESEL: a keyed digest, so the store never holds the number in clear."""
        return self.search.pesel_key(municipality_id, pesel)

    def dob_key(self, municipality_id: UUID, dob: date) -> str:
        """The listing key of children born on a day (for likely-duplicate checks), keyed like the PESEL."""
        return self.search.dob_key(municipality_id, dob)

    def by_pesel(self, municipality_id: UUID, pesel: str) -> Child | None:
        """The child registered with this PESEL in the municipality, if any."""
        return self.search.by_pesel(municipality_id, pesel)


def _require_own_signal(actor: Actor, child: Child, signal_id: UUID) -> None:
    """Another agency's signal and a made-up id answer alike, naming neither."""
    signal = child.signals.get(str(signal_id))
    if signal is None or actor.agency_id is None or signal["agency_id"] != str(actor.agency_id):
        raise NotFound("signal not found")


def _fingerprint(
    child_id: UUID,
    kind: str,
    observed_at: datetime,
    details: str,
    severity: str | None,
    days: int | None,
    intervention: dict | None = None,
) -> str:
    # The same instant written in another zone is the same request.
    body = [str(child_id), kind, observed_at.astimezone(UTC).isoformat(), details, severity, days]
    if intervention is not None:  # keys used before interventions existed keep their fingerprint
        body.append(json.dumps(intervention, sort_keys=True, default=str))
    return hashlib.sha256(json.dumps(body).encode()).hexdigest()
