"""The subject-access export (RODO art. 15): everything held about one child, who read it, and its erasures.

For the coordinator and the auditor only (the people who answer the data subject's
request for the controller). The export gathers, for the child's record and every record
merged into it:

* ``held``: every entry of every record about the child, with which agency recorded it
  and when: the child's own record (registration, signals, corrections, retractions,
  erasure steps), police notices about its signals, each Blue Card naming it, each working
  group on its case (meetings, minutes, decisions, actions), each help plan naming it, and
  the time-card entries about its family (not the assistant's other families);
* ``read_log``: the read-audit lines of the record (as ``GET /audit/reads`` shows them to
  the caller: whole lines for the auditor, who looked for the coordinator);
* ``erasures``: erasure requests and decisions; ``retention``: the schedule's answer today.

Others named in a shared record are not this subject's to learn (art. 15(4)): a sibling on
the same card appears only as "another child", other persons in a step's list as "another
person", and a step about one other person (form B or C about a sibling, form D about a
perpetrator) shows that it happened, when and by whom, with its texts withheld (named in
``withheld``). Texts sealed under an erased person's key come back empty, as everywhere.
The export itself is a read of the record and leaves one read-audit line per record (view
``subject_access``) before anything is answered.

Adults named in a case (``domain/persons.py``) get the same export (``export_person``):
their own record and every record whose entries carry their id; the retention schedule
is the children's, so an adult's export says so instead of giving a day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.access import Action, Actor, require
from domain.agencies import Agency, User
from domain.children import Child
from domain.notifications import Notification
from domain.personal_data import PERSONAL_FIELDS
from domain.persons import Person
from projections.views import from_ts
from services.adapters.event_store import SafehubStore
from services.usecases.base import Gate, UseCase
from services.usecases.children import ChildRecords
from services.usecases.loading import find, listed, load
from services.usecases.read_audit import ReadAudit
from services.usecases.retention import RetentionSchedule, retention_verdict

VIEW = "subject_access"
OTHER_CHILD = "another child"
#: Event fields that are the event store's own bookkeeping, not data about the person.
_BOOKKEEPING = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})
#: Fields that name who acted: their user's agency is the agency that recorded the entry.
_ACTORS = ("author_id", "registered_by", "filled_by", "recorded_by", "requested_by", "closed_by", "assigned_by")
#: Lists of children in a shared record: the subject's own ids stay, others become OTHER_CHILD.
_CHILD_LISTS = frozenset({"child_ids", "child_victim_ids"})
OTHER_PERSON = "another person"
#: Lists of persons (children and adults) a shared record's texts concern: others become OTHER_PERSON.
_PERSON_LISTS = frozenset({"subject_ids", "person_ids", "adult_victim_ids", "perpetrator_ids"})
#: A step about one named person (form B/C's victim, form D's perpetrator): about another, its texts are theirs.
_NAMED_ONE = ("victim", "perpetrator")
#: Read-log lines per record in one export (the newest; the read log's own listing pages further).
READ_LOG_LINES = 500
_ERASURE_EVENTS = frozenset({"Child.ErasureRequested", "Child.Erased", "Person.ErasureRequested", "Person.Erased"})


class SubjectAccess(UseCase):
    """Build the art. 15 export of one child's record for the coordinator or the auditor."""

    def __init__(
        self,
        store: SafehubStore,
        children: ChildRecords,
        read_audit: ReadAudit,
        retention: RetentionSchedule,
        clock: Callable[[], datetime],
        timezone: str,
        *,
        gate: Gate | None = None,
    ):
        super().__init__(store, clock, timezone, gate=gate)
        self.children = children
        self.read_audit = read_audit
        self.retention = retention

    def export(self, actor: Actor, child_id: UUID) -> dict:
        """Everything held about the child, its read log and its erasures; audited before it is built."""
        require(actor, Action.APPROVE_ERASURE)  # the coordinator and the auditor answer for the data
        root = self.children.writable_child(actor, child_id)
        family = self.retention.family(root)
        ids = [c.id for c in family]
        self.audited(actor, ids, VIEW)  # the export is a read of the record: its line comes first
        members = {str(i) for i in ids}
        people = _People(self.store, root.municipality_id)
        records = self.retention.records(root.municipality_id)
        held: list[dict] = []
        for child in family:
            held += self._entries("child", child.id, members, people)
            held += self._notices(child, members, people)
        cards = [c for c in records.cards if members & {str(v) for v in c.child_victim_ids}]
        card_ids = {c.id for c in cards}
        for card in cards:
            held += self._entries("blue_card", card.id, members, people)
        for group in records.groups:
            if members & {str(c) for c in group.child_ids} or group.blue_card_id in card_ids:
                held += self._entries("working_group", group.id, members, people)
        plan_ids = set()
        for plan in records.plans:
            if members & {str(c) for c in plan.child_ids}:
                plan_ids.add(str(plan.id))
                held += self._entries("help_plan", plan.id, members, people)
        for card in records.time_cards:
            held += self._time_card_entries(card.id, members, plan_ids, people)
        held.sort(key=lambda e: (e["at"], e["record_type"], e["record_id"]))
        verdict = retention_verdict(records, family, self.retention.policy, self.today())
        return {
            "subject": _subject(root, family),
            "generated_at": self.clock().isoformat(),
            "generated_by": {"user_id": str(actor.user_id), "role": actor.role},
            "held": held,
            "read_log": self._read_log(actor, ids),
            "erasures": [e for e in held if e["record_type"] == "child" and e["event"] in _ERASURE_EVENTS],
            "retention": {
                "due": verdict.due,
                "due_on": verdict.due_on.isoformat() if verdict.due_on else None,
                "reason": verdict.reason,
                "kind": verdict.kind,
                "rule": self.retention.policy.version,
                "legal_basis": verdict.legal_basis,
            },
        }

    def export_person(self, actor: Actor, person_id: UUID) -> dict:
        """The same for an adult named in a case (domain/persons.py): their record and every record naming them.

        A record names the person when any of its entries carries the person's id (a Blue Card's
        victims and perpetrators, a help plan's adults); the children of those records are read
        too (the texts concern them), so each gets a read-audit line beside the person's.
        """
        require(actor, Action.APPROVE_ERASURE)
        person = load(self.store, Person, person_id, actor, "person")
        members = {str(person.id)}
        people = _People(self.store, person.municipality_id)
        records = self.retention.records(person.municipality_id)
        held = self._entries_about("person", person.id, members, people, whole=True)
        children: set[str] = set()
        for record_type, found in (
            ("blue_card", records.cards),
            ("working_group", records.groups),
            ("help_plan", records.plans),
        ):
            for record in found:
                entries = self._entries_about(record_type, record.id, members, people, whole=True)
                if entries:
                    held += entries
                    children |= {str(c) for c in getattr(record, "child_victim_ids", getattr(record, "child_ids", []))}
        for card in records.time_cards:
            held += self._entries_about("time_card", card.id, members, people, whole=False)
        self.audited(actor, [person.id, *sorted(children)], VIEW)
        held.sort(key=lambda e: (e["at"], e["record_type"], e["record_id"]))
        return {
            "subject": {
                "type": "person",
                "id": str(person.id),
                "records": [str(person.id)],
                "name": person.name,
                "role": person.role,
                "relation": person.relation,
                "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
                "address": person.address,
                "erased": person.erased,
            },
            "generated_at": self.clock().isoformat(),
            "generated_by": {"user_id": str(actor.user_id), "role": actor.role},
            "held": held,
            "read_log": self._person_reads(person),
            "erasures": [e for e in held if e["record_type"] == "person" and e["event"] in _ERASURE_EVENTS],
            "retention": None,  # the schedule is per child (domain/retention.py); an adult is erased on request
        }

    def _entries_about(
        self, record_type: str, record_id: UUID, members: set[str], people: _People, *, whole: bool
    ) -> list[dict]:
        """A record's entries when one names the person: all of them (``whole``), or only those that do."""
        entries = [_entry(record_type, record_id, e, members, people) for e in self.store.events.get(record_id)]
        naming = [e for e in entries if _names_any(e["data"], members)]
        if record_type == "person":
            return entries
        return (entries if naming else []) if whole else naming

    def _person_reads(self, person: Person) -> list[dict]:
        rows = self.read_audit.table.newest(person.municipality_id, child_id=person.id, limit=READ_LOG_LINES)
        keep = ("user_id", "role", "agency_id", "view", "grounds")
        return [
            {"record_id": str(person.id), "at": from_ts(r["at"]).isoformat(), **{k: r.get(k) for k in keep}}
            for r in rows
        ]

    def _entries(self, record_type: str, record_id: UUID, members: set[str], people: _People) -> list[dict]:
        return [_entry(record_type, record_id, e, members, people) for e in self.store.events.get(record_id)]

    def _time_card_entries(self, card_id: UUID, members: set[str], plans: set[str], people: _People) -> list[dict]:
        """Only the entries about the subject's family: the assistant's other families are not theirs."""
        out = []
        for event in self.store.events.get(card_id):
            child_ids = {str(c) for c in getattr(event, "child_ids", None) or []}
            plan = getattr(event, "help_plan_id", None)
            if members & child_ids or (plan is not None and str(plan) in plans):
                out.append(_entry("time_card", card_id, event, members, people))
        return out

    def _notices(self, child: Child, members: set[str], people: _People) -> list[dict]:
        """Police notices about the child's signals (one per signal and recipient agency)."""
        out = []
        for signal_id in child.signals:
            for agency_id in people.agencies:
                notice_id = Notification.create_id(UUID(str(signal_id)), agency_id)
                if find(self.store, notice_id, Notification) is not None:
                    out += self._entries("notice", notice_id, members, people)
        return out

    def _read_log(self, actor: Actor, ids: list[UUID]) -> list[dict]:
        lines: list[dict] = []
        for record_id in ids:
            found = self.read_audit.list(actor, child_id=record_id, limit=READ_LOG_LINES)["reads"]
            lines += [{"record_id": str(record_id), **line} for line in found]
        return lines


class _People:
    """The municipality's agencies (by id, with names) and each user's agency: who recorded an entry."""

    def __init__(self, store: SafehubStore, municipality_id: UUID):
        self.agencies: dict[UUID, str] = {}
        for ref in listed(store, f"agencies:{municipality_id}"):
            agency = find(store, ref, Agency)
            if agency is not None:
                self.agencies[agency.id] = agency.name
        self.user_agency: dict[str, str | None] = {}
        for ref in listed(store, f"users:{municipality_id}"):
            user = find(store, ref, User)
            if user is not None:
                self.user_agency[str(user.id)] = str(user.agency_id) if user.agency_id else None

    def name(self, agency_id: str | None) -> str | None:
        return self.agencies.get(UUID(agency_id)) if agency_id else None


def _entry(record_type: str, record_id: UUID, event: Any, members: set[str], people: _People) -> dict:
    data = {k: _plain(v, k, members) for k, v in vars(event).items() if k not in _BOOKKEEPING and k[:1] != "_"}
    data = {k: v for k, v in data.items() if not k.endswith("_hash")}
    named = [data[k] for k in _NAMED_ONE if isinstance(data.get(k), str) and _is_id(data[k])]
    if named and not members & set(named):  # a form about another person: the skeleton, not their texts
        withheld = [f for f in PERSONAL_FIELDS.get(type(event), ()) if data.get(f) is not None]
        data = {**{k: v for k, v in data.items() if k not in withheld and k not in _NAMED_ONE}, "withheld": withheld}
    agency = data.get("agency_id") or data.get("sender_agency_id")
    if not agency:
        actor = next((data[k] for k in _ACTORS if data.get(k)), None)
        agency = people.user_agency.get(str(actor)) if actor else None
    return {
        "record_type": record_type,
        "record_id": str(record_id),
        "event": type(event).__qualname__,
        "at": event.timestamp.isoformat(),
        "agency_id": agency,
        "agency_name": people.name(agency),
        "data": data,
    }


def _plain(value: Any, key: str, members: set[str]) -> Any:
    """A JSON value; other children's ids in shared lists become OTHER_CHILD."""
    if key in _CHILD_LISTS and isinstance(value, list | tuple):
        return [str(v) if str(v) in members else OTHER_CHILD for v in value]
    if key in _PERSON_LISTS and isinstance(value, list | tuple):
        return [str(v) if str(v) in members else OTHER_PERSON for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v, str(k), members) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v, "", members) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _is_id(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _names_any(value: Any, ids: set[str]) -> bool:
    """Whether a plain JSON value carries one of these ids anywhere."""
    if isinstance(value, str):
        return value in ids
    if isinstance(value, dict):
        return any(_names_any(v, ids) for v in value.values())
    if isinstance(value, list):
        return any(_names_any(v, ids) for v in value)
    return False


def _subject(root: Child, family: list[Child]) -> dict:
    return {
        "type": "child",
        "id": str(root.id),
        "records": [str(c.id) for c in family],
        "given_name": root.given_name,
        "family_name": root.family_name,
        "date_of_birth": root.date_of_birth.isoformat() if root.date_of_birth else None,
        "pesel": root.pesel,
        "erased": root.erased,
    }
