"""The need-to-know policy: one table that every endpoint asks before it acts.

Kept pure so the same answers hold in the API, the pages, the CLI and in replay. An
administrator runs the directory (agencies, users) and is never given child data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from domain.agencies import Role
from domain.errors import Forbidden, NotFound


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
    # A score sums every agency's signals, so it is shown only to roles that see them all.
    Action.READ_RISK: frozenset({Role.CASE_WORKER, Role.FAMILY_ASSISTANT, Role.COORDINATOR, Role.AUDITOR}),
    # Verifying the chain reads no personal data; it is the auditor's (and the DPO's) job.
    Action.VERIFY_HISTORY: frozenset({Role.AUDITOR}),
    # Erasure destroys keys: the administrator manages keys, the coordinator acts for the team.
    Action.ERASE_CHILD: frozenset({Role.ADMIN, Role.COORDINATOR}),
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
}

#: Roles that see every agency's signals about a child; the rest see their own agency's.
_SEES_ALL_SIGNALS = frozenset({Role.CASE_WORKER, Role.FAMILY_ASSISTANT, Role.COORDINATOR, Role.AUDITOR})


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


def sees_signal(actor: Actor, signal_agency_id: UUID) -> bool:
    """Need-to-know: a submitting agency sees what it submitted, case roles see all."""
    if Role(actor.role) in _SEES_ALL_SIGNALS:
        return True
    return actor.agency_id is not None and actor.agency_id == signal_agency_id
