"""One import's working set: match each row to a child and build its events, nothing saved.

Split from ``services.usecases.imports`` so the use case there reads as the transaction
(permissions, idempotency, one save) and this module as the per-row work: parsing the
e-register's fields, finding or registering the pupil, and recording the signal on the
child, with every aggregate the file touches loaded once and kept for that one save.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from domain.access import Actor
from domain.children import Child
from domain.errors import DomainError, InvalidInput
from domain.field_checks import MAX_DETAILS, check_days, check_observed_at, check_text
from domain.identity import normalise_name
from domain.indexes import Bucket, Pointer
from domain.pesel import pesel_problem
from domain.signals import CATALOGUE, SEVERITIES, check_submittable
from services.adapters.csv_import import Row
from services.adapters.event_store import SafehubStore
from services.adapters.tokens import keyed_digest
from services.usecases.children import ChildRecords
from services.usecases.loading import bucket

#: The namespace of the name-based ids signals were imported under before they were keyed.
_SIGNAL_IDS = UUID("3b0c8f0e-9a57-4c1e-8d4f-6a2f1f2d7c11")
_LABELS = {k.label_pl.lower(): k.code for k in CATALOGUE.values()} | {
    k.label_en.lower(): k.code for k in CATALOGUE.values()
}


class ImportBatch:
    """The aggregates one import touches, each loaded once."""

    def __init__(self, store: SafehubStore, records: ChildRecords, actor: Actor, now: datetime, zone: ZoneInfo):
        self.store = store
        self.records = records
        self.actor = actor
        self.zone = zone
        self.now = now
        self.today = self.now.astimezone(zone).date()
        self.children: dict[UUID, Child] = {}
        self.new_children: dict[tuple, Child] = {}
        self.buckets: dict[str, Bucket] = {}
        self.pointers: list[Pointer] = []
        self.on_file: dict[date, dict[tuple[str, str], list[UUID]]] = {}
        self.registered: set[UUID] = set()
        #: Birthday buckets known (by ``prefetch``) not to exist yet: created without asking.
        self.absent: set[str] = set()
        #: Each date of birth's bucket key (a keyed digest), computed once per import.
        self.dob_keys: dict[date, str] = {}

    def prefetch(self, rows: list[Row]) -> None:
        """Learn in one query which of the file's birthday buckets exist at all.

        A file of new pupils would otherwise ask the store once per date of birth only to
        hear "none yet"; a bucket that does not exist starts empty without asking.
        """
        keys: dict[UUID, str] = {}
        for row in rows:
            try:
                dob = _date(row.values.get("date_of_birth", ""))
            except ValueError:
                continue
            if dob is not None and dob not in self.dob_keys:
                key = self._dob_key(dob)
                keys[Bucket.create_id(key)] = key
        present = self.store.existing(list(keys))
        self.absent = {key for bucket_id, key in keys.items() if bucket_id not in present}

    def take(self, row: Row) -> dict:
        """Decide one row; on refusal nothing of the row is kept."""
        result: dict = {"row": row.line}
        try:
            if not row.complete:
                raise InvalidInput.one("_row", row.problem or "the line is incomplete (truncated or missing columns)")
            fields = self._fields(row.values)
            self._check_signal(fields)  # before a pupil is registered for it
            child, registered = self._child(fields)
            name = "|".join(
                str(x)
                for x in (
                    self.actor.agency_id,
                    child.id,
                    fields["kind"],
                    fields["observed_at"].isoformat(),
                    fields["days"],
                    fields["details"],
                )
            )
            signal_id = self._signal_id(name)
            earlier = next((i for i in (signal_id, uuid5(_SIGNAL_IDS, name)) if str(i) in child.signals), None)
            result.update(child_id=str(child.id), signal_id=str(earlier or signal_id), registered_child=registered)
            if earlier is not None:
                return {**result, "status": "duplicate"}
            child.record_signal(
                kind=fields["kind"],
                observed_at=fields["observed_at"],
                details=fields["details"],
                severity=fields["severity"],
                days=fields["days"],
                agency_id=self.actor.agency_id,
                agency_kind=self.actor.agency_kind,
                author_id=self.actor.user_id,
                author_role=self.actor.role,
                now=self.now,
                signal_id=signal_id,
            )
            return {**result, "status": "accepted"}
        except InvalidInput as e:
            return {"row": row.line, "status": "rejected", "errors": e.errors}
        except DomainError as e:
            return {"row": row.line, "status": "rejected", "errors": {"_row": [str(e)]}}

    def _signal_id(self, name: str) -> UUID:
        """The row's signal id: the same row gives the same id (a re-import finds it), nobody can compute it.

        Keyed with the deployment's secret: a name-based UUID of the agency, child, kind
        and date could be computed by anyone who knows them, and tried against another
        agency's signal. Signals imported before carry the name-based id (``_SIGNAL_IDS``),
        which ``take`` still recognises so re-importing an old file adds nothing.
        """
        return UUID(hex=keyed_digest(self.records.secret, "imported-signal", name)[:32], version=4)

    def aggregates(self) -> list:
        """Everything to save, in one transaction."""
        touched = [c for c in self.children.values() if c.pending_events]
        return [*touched, *self.buckets.values(), *self.pointers]

    # --- fields ----------------------------------------------------------------------

    def _fields(self, values: dict[str, str]) -> dict:
        errors: dict[str, list[str]] = {}
        out: dict = {"details": values.get("details", "")}
        for name, parse_one in (
            ("kind", _kind),
            ("observed_at", self._moment),
            ("days", _days),
            ("severity", _severity),
            ("pesel", _pesel),
            ("date_of_birth", _date),
        ):
            try:
                out[name] = parse_one(values.get(name, ""))
            except ValueError as e:
                errors[name] = [str(e)]
        out["given_name"], out["family_name"] = values.get("given_name", ""), values.get("family_name", "")
        if errors:
            raise InvalidInput(errors)
        return out

    def _check_signal(self, fields: dict) -> None:
        """Refuse what the child's record would refuse, before anything is created for the row."""
        kind = check_submittable(fields["kind"], self.actor.agency_kind)
        check_observed_at(fields["observed_at"], self.now)
        check_days(kind.quantity, fields["kind"], fields["days"])
        check_text("details", fields["details"], MAX_DETAILS)

    def _moment(self, text: str) -> datetime:
        if not text:
            raise ValueError("is required")
        fast = _iso(text, datetime)
        if fast is not None:
            return fast if fast.tzinfo else fast.replace(tzinfo=self.zone)
        for fmt in (
            "%Y-%m-%dT%H:%M:%S%z",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%d.%m.%Y %H:%M",
        ):
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
        return datetime.combine(_date(text), time(0, 0), tzinfo=self.zone)

    # --- children ----------------------------------------------------------------------

    def _child(self, fields: dict) -> tuple[Child, bool]:
        municipality = self.actor.municipality_id
        if fields["pesel"]:
            known = self.records.by_pesel(municipality, fields["pesel"])
            if known is not None:
                return self._loaded(known.id), False
            pending = self.new_children.get(("pesel", fields["pesel"]))
            if pending is not None:
                return pending, True
        if not (fields["given_name"] and fields["family_name"] and fields["date_of_birth"]):
            raise InvalidInput.one(
                "pesel" if fields["pesel"] else "given_name",
                "unknown pupil: give given_name, family_name and date_of_birth to register",
            )
        name_key = (
            "name",
            normalise_name(fields["given_name"]),
            normalise_name(fields["family_name"]),
            fields["date_of_birth"],
        )
        if name_key in self.new_children:
            return self.new_children[name_key], True
        exact = [
            c for c in self._on_file(fields["date_of_birth"]).get(name_key[1:3], []) if self._same_pesel(c, fields)
        ]
        if exact:  # the same pupil already on file, perhaps registered without the PESEL
            if len(exact) > 1:
                raise InvalidInput.one("given_name", "several children have this name and date of birth; add the PESEL")
            return self._loaded(exact[0]), False
        return self._register(fields, name_key), True

    def _on_file(self, dob: date) -> dict[tuple[str, str], list[UUID]]:
        """The children on file born that day (not merged away, not erased), by folded name.

        Built once per date of birth, so a file of many pupils sharing birthdays compares
        each row with its namesakes only, not with everybody born that day. Children this
        import registers are not in it: a row naming one of them finds it by its name key.
        """
        if dob not in self.on_file:
            index: dict[tuple[str, str], list[UUID]] = {}
            for ref in self._bucket(dob).refs:
                if ref in self.registered:
                    continue
                child = self._loaded(ref, follow=False)
                if child.merged_into is None and not child.erased:
                    index.setdefault((normalise_name(child.given_name), normalise_name(child.family_name)), []).append(
                        ref
                    )
            self.on_file[dob] = index
        return self.on_file[dob]

    def _same_pesel(self, child_id: UUID, fields: dict) -> bool:
        """A namesake is the same pupil unless both have a PESEL and they differ."""
        child = self._loaded(child_id, follow=False)
        return not (fields["pesel"] and child.pesel and child.pesel != fields["pesel"])

    def _register(self, fields: dict, name_key: tuple) -> Child:
        school = self.actor.agency_id if self.actor.agency_kind == "school" else None
        child = Child.register(
            municipality_id=self.actor.municipality_id,
            given_name=fields["given_name"],
            family_name=fields["family_name"],
            date_of_birth=fields["date_of_birth"],
            pesel=fields["pesel"],
            school_id=school,
            registered_by=self.actor.user_id,
            agency_id=self.actor.agency_id,
            today=self.today,
        )
        self._bucket(fields["date_of_birth"]).add(child.id)
        self.registered.add(child.id)
        if fields["pesel"]:
            self.pointers.append(
                Pointer(key=self.records.pesel_key(self.actor.municipality_id, fields["pesel"]), ref=child.id)
            )
            self.new_children[("pesel", fields["pesel"])] = child
        self.new_children[name_key] = child
        self.children[child.id] = child
        return child

    def _loaded(self, child_id: UUID, follow: bool = True) -> Child:
        if child_id not in self.children:
            child = self.records.load_child(self.actor, child_id)
            self.children[child_id] = child
        child = self.children[child_id]
        if follow and child.merged_into is not None:
            return self._loaded(child.merged_into)
        return child

    def _dob_key(self, dob: date) -> str:
        if dob not in self.dob_keys:
            self.dob_keys[dob] = self.records.dob_key(self.actor.municipality_id, dob)
        return self.dob_keys[dob]

    def _bucket(self, dob: date) -> Bucket:
        key = self._dob_key(dob)
        if key not in self.buckets:
            self.buckets[key] = Bucket(key=key) if key in self.absent else bucket(self.records.store, key)
        return self.buckets[key]


def _kind(text: str) -> str:
    code = text.strip()
    if code in CATALOGUE:
        return code
    if code.lower() in _LABELS:
        return _LABELS[code.lower()]
    raise ValueError(f"unknown signal kind '{code}'" if code else "is required")


def _days(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):  # isdigit alone takes "²", which int() refuses
        raise ValueError("must be a whole number of days")
    if len(text.lstrip("0")) > 3:  # past 366 whatever it is: never convert thousands of digits
        raise ValueError("must be between 1 and 366")
    return int(text)


def _severity(text: str) -> str | None:
    if not text:
        return None
    if text.lower() not in SEVERITIES:
        raise ValueError(f"must be one of: {', '.join(SEVERITIES)}")
    return text.lower()


def _pesel(text: str) -> str | None:
    if not text:
        return None
    problem = pesel_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def _iso(text: str, kind: type) -> Any:
    """The common ISO forms (2026-03-01, 2026-03-01T08:00[:00][+01:00]) without trying every format."""
    if (
        len(text) not in (10, 16, 19, 25)
        or text[4] != "-"
        or text[7] != "-"
        or (len(text) > 10 and text[10] not in "T ")
        or (len(text) == 25 and text[19] not in "+-")
    ):
        return None
    try:
        value = kind.fromisoformat(text)
    except ValueError:
        return None  # the slow path below names the problem
    return value


def _date(text: str) -> date | None:
    if not text:
        return None
    if len(text) == 10:
        fast = _iso(text, date)
        if fast is not None:
            return fast
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("is not a date (use YYYY-MM-DD or DD.MM.YYYY)")
