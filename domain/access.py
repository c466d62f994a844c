"""The need-to-know policy: one table that every endpoint asks before it acts.

Kept pure so the same answers hold in the API, the pages, the CLI and in replay. An
administrator runs the directory (agencies, users) and is never given child data.

Two questions, asked in order: may this role do this at all (``require``), and, for a
child's record, on what grounds does this person read it (``child_access``): the child's
working group, the coordinator's municipality-wide duty, the auditor's read-only review,
or only as the agency that submitted something. The grounds decide which entries and
which data categories the reader receives, and they are written to the read audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from uuid import UUID

from domain.agencies import AgencyKind, Role
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.policy_files import read_policy
from domain.signals import CATALOGUE, CATEGORIES


@dataclass(frozen=True)
class Actor:
    """Who is asking: enough to decide, nothing more."""

    user_id: UUID
    municipality_id: UUID
    agency_id: UUID | None
    agency_kind: str | None
    role: str


class Action(str, Enum):
    """Everything the policy has an answer for."""

    MANAGE_DIRECTORY = "manage_directory"
    READ_DIRECTORY = "read_directory"
    REGISTER_CHILD = "register_child"
    FIND_CHILD = "find_child"
    READ_CHILD = "read_child"
    SUBMIT_SIGNAL = "submit_signal"
    READ_SIGNALS = "read_signals"
    READ_HISTORY = "read_history"
    READ_TIMELINE = "read_timeline"
    READ_RISK = "read_risk"
    VERIFY_HISTORY = "verify_history"
    ERASE_CHILD = "erase_child"
    APPROVE_ERASURE = "approve_erasure"
    MERGE_CHILDREN = "merge_children"
    FILL_FORM_A = "fill_form_a"
    READ_PROCEDURE = "read_procedure"
    MANAGE_PROCEDURE = "manage_procedure"
    RECORD_GROUP_WORK = "record_group_work"
    READ_DEADLINES = "read_deadlines"
    WRITE_HELP_PLAN = "write_help_plan"
    READ_HELP_PLAN = "read_help_plan"
    KEEP_TIME_CARD = "keep_time_card"
    ACCEPT_TIME_CARD = "accept_time_card"
    READ_TIME_CARDS = "read_time_cards"
    READ_NOTIFICATIONS = "read_notifications"
    ACKNOWLEDGE_NOTIFICATION = "acknowledge_notification"
    READ_ESCALATIONS = "read_escalations"
    READ_READ_AUDIT = "read_read_audit"
    READ_TEAM_AGENDA = "read_team_agenda"
    READ_PROGRAMME_REPORT = "read_programme_report"
    READ_PROGRAMME_CASES = "read_programme_cases"


_FIELD_ROLES = frozenset({Role.SUBMITTER, Role.CASE_WORKER, Role.FAMILY_ASSISTANT, Role.COORDINATOR})
_CHILD_READERS = _FIELD_ROLES | {Role.AUDITOR}

_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.MANAGE_DIRECTORY: frozenset({Role.ADMIN}),
    Action.READ_DIRECTORY: frozenset(Role),
    Action.REGISTER_CHILD: _FIELD_ROLES,
    Action.FIND_CHILD: _CHILD_READERS,
    Action.READ_CHILD: _CHILD_READERS,
    Action.SUBMIT_SIGNAL: _FIELD_ROLES,
    Action.READ_SIGNALS: _CHILD_READERS,
    Action.READ_HISTORY: _CHILD_READERS,
    Action.READ_TIMELINE: _CHILD_READERS,
    # A score sums every agency's signals, so it also needs full grounds (see child_access).
    Action.READ_RISK: _CHILD_READERS,
    # Verifying the chain reads no personal data; it is the auditor's (and the DPO's) job.
    Action.VERIFY_HISTORY: frozenset({Role.AUDITOR}),
    # Erasure is irreversible: the coordinator asks for the team, and a second, different
    # person who answers for the data (another coordinator, the auditor) approves it, unless
    # retention is due by the policy (domain/retention.py). The administrator never erases:
    # managing keys is not deciding about a child's record.
    Action.ERASE_CHILD: frozenset({Role.COORDINATOR}),
    Action.APPROVE_ERASURE: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    Action.MERGE_CHILDREN: frozenset({Role.COORDINATOR}),
    # Blue Card procedure: the agency kind (initiating services) is checked by the domain,
    # group membership by the use case; the coordinator (team chair) runs the procedure.
    Action.FILL_FORM_A: _FIELD_ROLES,
    Action.READ_PROCEDURE: _CHILD_READERS,
    Action.MANAGE_PROCEDURE: frozenset({Role.COORDINATOR}),
    Action.RECORD_GROUP_WORK: _FIELD_ROLES,
    Action.READ_DEADLINES: frozenset({Role.CASE_WORKER, Role.FAMILY_ASSISTANT, Role.COORDINATOR, Role.AUDITOR}),
    # Help plans and time cards are OPS family work (the Milanówek forms).
    Action.WRITE_HELP_PLAN: frozenset({Role.CASE_WORKER, Role.FAMILY_ASSISTANT}),
    Action.READ_HELP_PLAN: frozenset({Role.CASE_WORKER, Role.FAMILY_ASSISTANT, Role.COORDINATOR, Role.AUDITOR}),
    Action.KEEP_TIME_CARD: frozenset({Role.FAMILY_ASSISTANT}),
    Action.ACCEPT_TIME_CARD: frozenset({Role.COORDINATOR}),
    Action.READ_TIME_CARDS: frozenset({Role.FAMILY_ASSISTANT, Role.COORDINATOR, Role.AUDITOR}),
    # Police notices: each agency sees what it sent or received; the coordinator, the escalations.
    Action.READ_NOTIFICATIONS: frozenset({Role.SUBMITTER, Role.CASE_WORKER, Role.FAMILY_ASSISTANT}),
    Action.ACKNOWLEDGE_NOTIFICATION: frozenset({Role.SUBMITTER, Role.CASE_WORKER, Role.FAMILY_ASSISTANT}),
    Action.READ_ESCALATIONS: frozenset({Role.COORDINATOR}),
    # The team's agenda and meetings span every child of the municipality: the chair's
    # work (and the auditor's), not every case worker's.
    Action.READ_TEAM_AGENDA: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    # The programme report's figures hold no names, but they are counts over every agency,
    # for any period down to one day, recomputed on each request: a figure that moves when
    # another agency records a signal tells whoever watches it that something was recorded
    # (and, with what they know, about whom). Suppressing small cells would not stop that:
    # two overlapping periods, or the same period an hour apart, differ by exactly the one
    # new entry. So the report is refused below those who may read every case anyway (the
    # chair and the auditor); the cases behind a figure are theirs too.
    Action.READ_PROGRAMME_REPORT: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    Action.READ_PROGRAMME_CASES: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    # Who read a child's record: the auditor for all; the coordinator and the child's own
    # agency for that child (checked in child_access / the use case).
    Action.READ_READ_AUDIT: frozenset({Role.AUDITOR, Role.COORDINATOR, *_FIELD_ROLES}),
}


def may(actor: Actor, action: Action) -> bool:
    """Answer whether the actor's role allows the action at all."""
    return Role(actor.role) in _ALLOWED[action]


def require(actor: Actor, action: Action) -> None:
    """Refuse with a reason the caller can show."""
    if not may(actor, action):
        raise Forbidden(f"role '{actor.role}' may not {action.value.replace('_', ' ')}")


def require_same_municipality(actor: Actor, municipality_id: UUID) -> None:
    """Hide other municipalities' records entirely: to the caller they do not exist."""
    if actor.municipality_id != municipality_id:
        raise NotFound("not found")


class Grounds(str, Enum):
    """Why a person reads a child's record; written beside every read in the audit."""

    AUDIT = "audit"
    COORDINATOR = "coordinator"
    GROUP_MEMBERSHIP = "group_membership"
    OWN_AGENCY = "own_agency"


#: Grounds that show every agency's entries about the child.
FULL_GROUNDS = frozenset({Grounds.AUDIT, Grounds.COORDINATOR, Grounds.GROUP_MEMBERSHIP})


@dataclass(frozen=True)
class CategoryPolicy:
    """Which agency kinds' group members read the details of each data category."""

    version: str
    readers: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, category: str, agency_kind: str | None) -> bool:
        """True when a group member from ``agency_kind`` may read details in ``category``."""
        return agency_kind is not None and agency_kind in self.readers.get(category, frozenset())


def parse_category_policy(data: dict) -> CategoryPolicy:
    """Build the policy from its TOML, refusing unknown categories or agency kinds by name."""
    kinds = frozenset(k.value for k in AgencyKind)
    details = data.get("details", {})
    readers: dict[str, frozenset[str]] = {}
    for category in CATEGORIES:
        if category not in details:
            raise InvalidInput.one(f"details.{category}", "every data category needs an entry")
        value = details[category]
        listed = kinds if value == "*" else frozenset(value)
        unknown = sorted(listed - kinds)
        if unknown:
            raise InvalidInput.one(f"details.{category}", f"unknown agency kinds: {', '.join(unknown)}")
        readers[category] = listed
    extra = sorted(set(details) - set(CATEGORIES))
    if extra:
        raise InvalidInput.one("details", f"unknown data categories: {', '.join(extra)}")
    return CategoryPolicy(version=str(data.get("version", "")), readers=readers)


@lru_cache(maxsize=8)
def load_category_policy(path: str | Path | None = None) -> CategoryPolicy:
    """The shipped policy (``domain/access_policy.toml``) or an operator's own file."""
    return parse_category_policy(read_policy(path, "access_policy.toml"))


@dataclass(frozen=True)
class ChildAccess:
    """What one person may receive of one child's record, and on what grounds."""

    actor: Actor
    grounds: Grounds
    policy: CategoryPolicy

    @property
    def full(self) -> bool:
        """True when the reader sees every agency's entries (the whole timeline)."""
        return self.grounds in FULL_GROUNDS

    def require_full(self, what: str) -> None:
        """Refuse a view that sums every agency's entries to a reader who sees only their own."""
        if not self.full:
            raise Forbidden(f"the {what} is shown only to the child's working group, the coordinator and the auditor")

    def sees_entry(self, agency_id: UUID | str | None) -> bool:
        """An entry with no agency (registration, merge) is part of the record everyone sees."""
        return agency_id is None or self.full or self._own(agency_id)

    def sees_details(self, agency_id: UUID | str | None, kind: str | None) -> bool:
        """Whether the entry's text is shown, or withheld for its data category."""
        if agency_id is None or self._own(agency_id) or self.grounds in (Grounds.AUDIT, Grounds.COORDINATOR):
            return True
        category = category_of(kind)
        return category is None or self.policy.allows(category, self.actor.agency_kind)

    def closed_category(self, agency_id: UUID | str | None, *kinds: str | None) -> str | None:
        """The data category that withholds an entry's text, judged by every kind that governs it.

        An entry of a signal is governed by the signal's current kind (not the kind its own
        event carried); a replay to a past instant also by the kind it had then, and the
        stricter wins, so no correction, either way, opens a text that one of them closes.
        None when the reader may read the text.
        """
        for kind in kinds:
            if not self.sees_details(agency_id, kind):
                return category_of(kind)
        return None

    def _own(self, agency_id: UUID | str) -> bool:
        return self.actor.agency_id is not None and str(self.actor.agency_id) == str(agency_id)


def category_of(kind: str | None) -> str | None:
    """The data category of a signal kind (None for entries that are not signals)."""
    row = CATALOGUE.get(kind or "")
    return row.category if row else None


def child_access(actor: Actor, *, group_member: bool, policy: CategoryPolicy | None = None) -> ChildAccess:
    """Decide the grounds on which ``actor`` reads a child's record (same municipality assumed)."""
    role = Role(actor.role)
    if role is Role.ADMIN:
        raise Forbidden("an administrator manages the directory and reads no child data")
    if role is Role.AUDITOR:
        grounds = Grounds.AUDIT
    elif role is Role.COORDINATOR:
        grounds = Grounds.COORDINATOR
    elif group_member:
        grounds = Grounds.GROUP_MEMBERSHIP
    else:
        grounds = Grounds.OWN_AGENCY
    return ChildAccess(actor, grounds, policy or load_category_policy())
