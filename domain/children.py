"""The Child aggregate: a child's identity and every signal any agency raised about them.

Nothing is ever edited: a correction or a retraction is a new event that points at the
signal it changes, and a merge of two records is a pair of events, so the history of
what each agency said, and when, survives intact.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.erasure_rules import ErasableByTwo
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.field_checks import MAX_DETAILS, MAX_REASON, check_days, check_identity, check_observed_at, check_text
from domain.signals import check_severity, check_submittable, signal_kind

#: Why a child's personal data may be destroyed: the retention period ended, or an
#: authorised request (a court order, a data subject's request granted by the controller).


#: Values that are never changed in place: a copy of a child may share them.
_SHARED = frozenset({UUID, str, int, float, bool, type(None), date, datetime})


class Child(ErasableByTwo, Aggregate):
    """One child's record in one municipality."""

    class Registered(Aggregate.Created):
        municipality_id: UUID
        given_name: str
        family_name: str
        date_of_birth: date
        pesel: str | None
        school_id: UUID | None
        registered_by: UUID
        agency_id: UUID | None

    class SignalRecorded(Aggregate.Event):
        signal_id: UUID
        kind: str
        severity: str
        observed_at: datetime
        details: str
        days: int | None
        agency_id: UUID
        agency_kind: str
        author_id: UUID
        author_role: str

    class SignalCorrected(Aggregate.Event):
        signal_id: UUID
        kind: str | None
        severity: str | None
        observed_at: datetime | None
        details: str | None
        days: int | None
        reason: str
        agency_id: UUID
        author_id: UUID
        author_role: str

    class SignalRetracted(Aggregate.Event):
        signal_id: UUID
        reason: str
        agency_id: UUID
        author_id: UUID
        author_role: str

    class MergedInto(Aggregate.Event):
        target_id: UUID
        reason: str
        author_id: UUID

    class Absorbed(Aggregate.Event):
        source_id: UUID
        reason: str
        author_id: UUID

    class Erased(Aggregate.Event):
        """The child's personal data was erased (its key destroyed); the skeleton stays."""

        ground: str
        reference: str
        author_id: UUID
        author_role: str

    class ErasureRequested(Aggregate.Event):
        """A coordinator asked to erase; a second person approves (the author of the ``Erased`` that follows)."""

        requested_by: UUID
        ground: str
        reference: str

    @event(Registered)
    def __init__(
        self,
        municipality_id: UUID,
        given_name: str,
        family_name: str,
        date_of_birth: date,
        pesel: str | None,
        school_id: UUID | None,
        registered_by: UUID,
        agency_id: UUID | None,
    ):
        self.municipality_id = municipality_id
        self.given_name = given_name
        self.family_name = family_name
        self.date_of_birth = date_of_birth
        self.pesel = pesel
        self.school_id = school_id
        self.registered_by = registered_by
        self.agency_id = agency_id
        self.signals: dict[str, dict[str, object]] = {}
        self.merged_into: UUID | None = None
        self.merged_from: list[UUID] = []
        self.erased = False

    def __deepcopy__(self, memo: dict) -> Child:
        """A copy that one request may change while the store keeps the original cached.

        The store copies a cached child for every write; the generic deep copy walked every
        signal of the history object by object. Here the values that are never changed in
        place (ids, text, dates, numbers) are shared, the signal index is copied one entry
        at a time, lists are copied, and anything else is deep-copied as before.
        """
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        state = {}
        for name, value in self.__dict__.items():
            kind = type(value)
            if kind in _SHARED:
                state[name] = value
            elif name == "signals" and kind is dict:
                state[name] = {key: dict(entry) for key, entry in value.items()}  # str -> {str: str | bool}
            elif kind is list and all(type(item) in _SHARED or isinstance(item, Aggregate.Event) for item in value):
                state[name] = list(value)  # ids, or pending events (frozen)
            else:
                state[name] = copy.deepcopy(value, memo)
        clone.__dict__.update(state)
        return clone

    @classmethod
    def register(
        cls,
        *,
        municipality_id: UUID,
        given_name: str,
        family_name: str,
        date_of_birth: date,
        pesel: str | None,
        school_id: UUID | None,
        registered_by: UUID,
        agency_id: UUID | None,
        today: date,
    ) -> Child:
        """Validate the identity and open a new record."""
        names = check_identity(given_name, family_name, date_of_birth, pesel, today)
        return cls(
            municipality_id=municipality_id,
            given_name=names["given_name"],
            family_name=names["family_name"],
            date_of_birth=date_of_birth,
            pesel=pesel,
            school_id=school_id,
            registered_by=registered_by,
            agency_id=agency_id,
        )

    # --- signals -------------------------------------------------------------------

    def record_signal(
        self,
        *,
        kind: str,
        observed_at: datetime,
        details: str,
        severity: str | None,
        days: int | None,
        agency_id: UUID,
        agency_kind: str,
        author_id: UUID,
        author_role: str,
        now: datetime,
        signal_id: UUID | None = None,
    ) -> UUID:
        """Record what an agency saw; the agency is the author's own, never chosen."""
        self._refuse_if_merged()
        catalogue_row = check_submittable(kind, agency_kind)
        signal_id = signal_id or uuid4()
        self._signal_recorded(
            signal_id=signal_id,
            kind=kind,
            severity=check_severity(severity) if severity else catalogue_row.default_severity,
            observed_at=check_observed_at(observed_at, now),
            details=check_text("details", details, MAX_DETAILS),
            days=check_days(catalogue_row.quantity, kind, days),
            agency_id=agency_id,
            agency_kind=agency_kind,
            author_id=author_id,
            author_role=author_role,
        )
        return signal_id

    @event(SignalRecorded)
    def _signal_recorded(
        self,
        signal_id: UUID,
        kind: str,
        severity: str,
        observed_at: datetime,
        details: str,
        days: int | None,
        agency_id: UUID,
        agency_kind: str,
        author_id: UUID,
        author_role: str,
    ) -> None:
        self.signals[str(signal_id)] = {
            "agency_id": str(agency_id),
            "agency_kind": agency_kind,
            "kind": kind,
            "retracted": False,
        }

    def correct_signal(
        self,
        *,
        signal_id: UUID,
        agency_id: UUID,
        author_id: UUID,
        author_role: str,
        now: datetime,
        reason: str,
        kind: str | None = None,
        severity: str | None = None,
        observed_at: datetime | None = None,
        details: str | None = None,
        days: int | None = None,
    ) -> None:
        """Record a correction of one's own agency's signal; the original stays."""
        signal = self._own_live_signal(signal_id, agency_id)
        if all(v is None for v in (kind, severity, observed_at, details, days)):
            raise InvalidInput.one("corrections", "name at least one field to correct")
        effective_kind = kind or str(signal["kind"])
        row = check_submittable(effective_kind, str(signal["agency_kind"]))
        if row.quantity != signal_kind(str(signal["kind"])).quantity:
            # A correction cannot clear or invent a count; the fold would keep a stale one.
            raise InvalidInput.one(
                "kind",
                f"'{effective_kind}' does not count the same quantity as "
                f"'{signal['kind']}'; retract the signal and submit a new one",
            )
        self._signal_corrected(
            signal_id=signal_id,
            kind=kind,
            severity=check_severity(severity) if severity else None,
            observed_at=check_observed_at(observed_at, now) if observed_at else None,
            details=check_text("details", details, MAX_DETAILS) if details is not None else None,
            days=check_days(row.quantity, effective_kind, days) if days is not None else None,
            reason=check_text("reason", reason, MAX_REASON),
            agency_id=agency_id,
            author_id=author_id,
            author_role=author_role,
        )

    @event(SignalCorrected)
    def _signal_corrected(
        self,
        signal_id: UUID,
        kind: str | None,
        severity: str | None,
        observed_at: datetime | None,
        details: str | None,
        days: int | None,
        reason: str,
        agency_id: UUID,
        author_id: UUID,
        author_role: str,
    ) -> None:
        if kind:
            self.signals[str(signal_id)]["kind"] = kind

    def retract_signal(
        self, *, signal_id: UUID, reason: str, agency_id: UUID, author_id: UUID, author_role: str
    ) -> None:
        """Withdraw one's own agency's signal, saying why; it stays visible as retracted."""
        self._own_live_signal(signal_id, agency_id)
        self._signal_retracted(
            signal_id=signal_id,
            reason=check_text("reason", reason, MAX_REASON, required=True),
            agency_id=agency_id,
            author_id=author_id,
            author_role=author_role,
        )

    @event(SignalRetracted)
    def _signal_retracted(
        self, signal_id: UUID, reason: str, agency_id: UUID, author_id: UUID, author_role: str
    ) -> None:
        self.signals[str(signal_id)]["retracted"] = True

    def _own_live_signal(self, signal_id: UUID, agency_id: UUID) -> dict[str, object]:
        signal = self.signals.get(str(signal_id))
        if signal is None:
            raise NotFound(f"signal {signal_id} is not on this child's record")
        if signal["agency_id"] != str(agency_id):
            raise Forbidden("only the agency that submitted a signal may correct or retract it")
        if signal["retracted"]:
            raise Conflict("the signal has been retracted")
        return signal

    # --- merging -------------------------------------------------------------------

    def merge_into(self, target: Child, *, reason: str, author_id: UUID) -> None:
        """Fold this record into ``target``: both sides record the fact, nothing is copied."""
        if target.id == self.id:
            raise InvalidInput.one("target_id", "a record cannot be merged into itself")
        if target.municipality_id != self.municipality_id:
            raise NotFound("no such child in this municipality")
        self._refuse_if_merged()
        target._refuse_if_merged()
        if self.pesel and target.pesel and self.pesel != target.pesel:
            raise Conflict("the two records carry different PESEL numbers")
        reason = check_text("reason", reason, MAX_REASON, required=True)
        self._merged_into(target_id=target.id, reason=reason, author_id=author_id)
        target._absorbed(source_id=self.id, reason=reason, author_id=author_id)

    @event(MergedInto)
    def _merged_into(self, target_id: UUID, reason: str, author_id: UUID) -> None:
        self.merged_into = target_id

    @event(Absorbed)
    def _absorbed(self, source_id: UUID, reason: str, author_id: UUID) -> None:
        self.merged_from.append(source_id)

    def display_name(self) -> str | None:
        """The name to show people, or None once the record was erased."""
        if self.erased or not self.given_name:
            return None
        return f"{self.given_name} {self.family_name}"

    # --- erasure (the checks and the state: domain/erasure_rules.py) -------------------

    @event(ErasureRequested)
    def _erasure_requested(self, requested_by: UUID, ground: str, reference: str) -> None:
        self._note_request(requested_by, ground, reference)

    @event(Erased)
    def _erased(self, ground: str, reference: str, author_id: UUID, author_role: str) -> None:
        self._note_decision(ground, reference, author_id)
        self.given_name = self.family_name = self.pesel = None
        self.date_of_birth = None

    def _refuse_if_merged(self) -> None:
        if getattr(self, "erased", False):
            raise Conflict("this record was erased; nothing more can be recorded on it")
        if self.merged_into is not None:
            raise Conflict("this record was merged into another", merged_into=str(self.merged_into))
