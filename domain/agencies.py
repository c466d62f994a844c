"""Municipalities (the tenants), the agencies inside them and their users.

Everything a user does is attributed to the user, their role and their agency, so these
aggregates are the root of every signal's provenance.
"""

from __future__ import annotations

import re
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, Forbidden, InvalidInput


class AgencyKind(str, Enum):
    """The services that sit around a child (see the glossary in DESIGN.md)."""

    SCHOOL = "school"
    POLICE = "police"
    OPS = "ops"
    COURT_CURATOR = "court_curator"
    HEALTH = "health"
    GKRPA = "gkrpa"
    PCPR = "pcpr"
    DAY_CENTRE = "day_centre"
    NGO = "ngo"
    TEAM = "team"


class Role(str, Enum):
    """What a user may do; group membership is per case and is not a role."""

    ADMIN = "admin"
    SUBMITTER = "submitter"
    CASE_WORKER = "case_worker"
    FAMILY_ASSISTANT = "family_assistant"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"


AGENCY_KINDS = tuple(k.value for k in AgencyKind)
#: A sign-in name: lower-case letters, digits, dots, dashes, underscores; 3 to 64 characters.
LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
ROLES = tuple(r.value for r in Role)
#: Roles that need no agency: they act for the municipality as a whole.
ROLES_WITHOUT_AGENCY = frozenset({Role.ADMIN.value, Role.AUDITOR.value})
#: The agency kinds each role belongs in (none for the municipality-wide roles). The
#: coordinator chairs the interdisciplinary team; case workers are the social services'
#: (OPS, PCPR) and the court's curators; family assistants work for OPS or PCPR; anyone
#: but the team itself may submit what they see.
ROLE_AGENCY_KINDS: dict[str, frozenset[str]] = {
    Role.ADMIN.value: frozenset(),
    Role.AUDITOR.value: frozenset(),
    Role.COORDINATOR.value: frozenset({AgencyKind.TEAM.value}),
    Role.CASE_WORKER.value: frozenset({AgencyKind.OPS.value, AgencyKind.PCPR.value, AgencyKind.COURT_CURATOR.value}),
    Role.FAMILY_ASSISTANT.value: frozenset({AgencyKind.OPS.value, AgencyKind.PCPR.value}),
    Role.SUBMITTER.value: frozenset(AGENCY_KINDS) - {AgencyKind.TEAM.value},
}
#: Roles that read child data: a grant of one of them needs a second person's approval.
READING_ROLES = frozenset(ROLES) - {Role.ADMIN.value}


def approver_role_for(role: str) -> str:
    """Who answers for the data a grant of ``role`` opens: the auditor for auditors, else the coordinator."""
    return Role.AUDITOR.value if role == Role.AUDITOR.value else Role.COORDINATOR.value


def role_fit_problem(role: str, agency_id: UUID | None, agency_kind: str | None) -> InvalidInput | None:
    """Why ``role`` does not belong in this agency (or in none), or None when it fits."""
    kinds = ROLE_AGENCY_KINDS[role]
    if not kinds:
        if agency_id is not None:
            return InvalidInput.one("agency_id", f"must be empty: role '{role}' acts for the whole municipality")
        return None
    if agency_id is None:
        return InvalidInput.one("agency_id", f"is required for role '{role}'")
    if agency_kind not in kinds:
        return InvalidInput.one(
            "role", f"role '{role}' belongs in an agency of kind {' or '.join(sorted(kinds))}, not '{agency_kind}'"
        )
    return None


def require_name(field: str, value: str, max_length: int = 200) -> str:
    """Return the trimmed name, refusing blank or oversized values."""
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput.one(field, "must not be blank")
    if not cleaned.isprintable():
        raise InvalidInput.one(field, "must not contain control or invisible characters")
    if len(cleaned) > max_length:
        raise InvalidInput.one(field, f"must be at most {max_length} characters")
    return cleaned


class Municipality(Aggregate):
    """A gmina: the unit of isolation; no data crosses from one to another."""

    class Registered(Aggregate.Created):
        name: str

    @event(Registered)
    def __init__(self, name: str):
        self.name = name


class Agency(Aggregate):
    """A school, police station, OPS, ... inside one municipality."""

    class Registered(Aggregate.Created):
        municipality_id: UUID
        kind: str
        name: str

    @classmethod
    def register(cls, municipality_id: UUID, kind: str, name: str) -> Agency:
        """Validate and register a new agency."""
        if kind not in AGENCY_KINDS:
            raise InvalidInput.one("kind", f"must be one of: {', '.join(AGENCY_KINDS)}")
        return cls(municipality_id=municipality_id, kind=kind, name=require_name("name", name))

    @event(Registered)
    def __init__(self, municipality_id: UUID, kind: str, name: str):
        self.municipality_id = municipality_id
        self.kind = kind
        self.name = name


class User(Aggregate):
    """A person or a system acting for an agency; holds only hashes of its secrets.

    A user may act (``may_act``) while active and not waiting for an access approval. A
    grant of a reading role made by someone (not the operator's CLI) waits: the request
    and the approval are two events naming two different people, and each carries the
    hash of one half of the setup code the new holder needs (see ``claim_setup``).
    """

    class Registered(Aggregate.Created):
        municipality_id: UUID
        agency_id: UUID | None
        role: str
        name: str
        token_hash: str

    class TokenIssued(Aggregate.Event):
        """A new API token; ``issued_by`` is who made it (None: the operator's CLI, or before v2)."""

        token_hash: str
        issued_by: UUID | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["issued_by"] = None  # v1 did not record the issuer

    class Deactivated(Aggregate.Event):
        """The user stops acting; ``deactivated_by`` is None for the operator's CLI (and before v2)."""

        reason: str
        deactivated_by: UUID | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["deactivated_by"] = None

    class LoginAssigned(Aggregate.Event):
        """The name a person signs in with on the pages (tokens stay for systems)."""

        login: str

    class PasswordSet(Aggregate.Event):
        """A new password; the event carries only its salted hash, never the password."""

        password_hash: str

    class AccessRequested(Aggregate.Event):
        """Someone asked that this user may read child data; nothing works until approved.

        ``code_hash`` is the hash of the requester's half of the setup code.
        """

        requested_by: UUID
        reason: str
        code_hash: str

        def apply(self, aggregate: Aggregate) -> None:
            asked = {"requested_by": self.requested_by, "reason": self.reason, "requested_at": self.timestamp}
            approval = dict.fromkeys(("approved_by", "approved_at", "approval_hash"))  # none yet
            aggregate.grant = {**asked, **approval, "setup_hash": self.code_hash, "claimed": False}  # type: ignore[attr-defined]

    class AccessApproved(Aggregate.Event):
        """A second person who answers for the data approved the request (and holds the other half)."""

        approved_by: UUID | None  # None: the operator at the server's console (safehub approve-access)
        code_hash: str

        def apply(self, aggregate: Aggregate) -> None:
            approval = {"approved_by": self.approved_by, "approved_at": self.timestamp, "approval_hash": self.code_hash}
            aggregate.grant = {**aggregate.grant, **approval}  # type: ignore[attr-defined]

    class CredentialsReset(Aggregate.Event):
        """The token and the password ended at once (a reset, before a new request)."""

        reset_by: UUID

    class SetupClaimed(Aggregate.Event):
        """The holder of both halves of the setup code used them (they cannot be used again)."""

        def apply(self, aggregate: Aggregate) -> None:
            aggregate.grant = {**aggregate.grant, "claimed": True}  # type: ignore[attr-defined]

    @classmethod
    def register(
        cls,
        municipality_id: UUID,
        agency_id: UUID | None,
        agency_kind: str | None,
        role: str,
        name: str,
        token_hash: str,
    ) -> User:
        """Validate and register a user with the hash of its first API token ('' for none).

        The role must fit the agency's kind (``ROLE_AGENCY_KINDS``): a coordinator outside
        the team, or a case worker in a school, would read what that agency must not.
        """
        if role not in ROLES:
            raise InvalidInput.one("role", f"must be one of: {', '.join(ROLES)}")
        problem = role_fit_problem(role, agency_id, agency_kind)
        if problem is not None:
            raise problem
        return cls(
            municipality_id=municipality_id,
            agency_id=agency_id,
            role=role,
            name=require_name("name", name),
            token_hash=token_hash,
        )

    @event(Registered)
    def __init__(
        self,
        municipality_id: UUID,
        agency_id: UUID | None,
        role: str,
        name: str,
        token_hash: str,
    ):
        self.municipality_id = municipality_id
        self.agency_id = agency_id
        self.role = role
        self.name = name
        self.token_hash = token_hash
        self.active = True
        self.token_issued_by: UUID | None = None
        self.deactivation: dict | None = None
        # The current (or last) grant: who asked, who approved, and the halves' hashes.
        self.grant: dict | None = None

    @property
    def pending(self) -> bool:
        """Whether access waits for an approval (old streams without a request never wait)."""
        return self.grant is not None and self.grant.get("approved_at") is None

    @property
    def may_act(self) -> bool:
        """Whether this user's token, password and sessions work at all."""
        return self.active and not self.pending

    def issue_token(self, token_hash: str, issued_by: UUID | None) -> None:
        """Replace the API token (the old one stops working); the caller decides who may."""
        self._require_active()
        self._token_issued(token_hash=token_hash, issued_by=issued_by)

    @event(TokenIssued)
    def _token_issued(self, token_hash: str, issued_by: UUID | None) -> None:
        self.token_hash = token_hash
        self.token_issued_by = issued_by

    def deactivate(self, reason: str, deactivated_by: UUID | None = None) -> None:
        """Stop the user from acting; their history stays attributed to them."""
        if not self.active:
            raise Conflict("user is already deactivated")
        self._deactivated(reason=require_name("reason", reason, 500), deactivated_by=deactivated_by)

    @event(Deactivated)
    def _deactivated(self, reason: str, deactivated_by: UUID | None) -> None:
        self.active = False
        self.deactivation = {"reason": reason, "by": deactivated_by}

    def request_access(self, requested_by: UUID, reason: str, code_hash: str) -> None:
        """Ask for this user's access to child data; it waits for ``approve_access``."""
        self._require_active()
        if self.role not in READING_ROLES:
            raise Conflict(f"role '{self.role}' reads no child data: it needs no approval")
        cleaned = require_name("reason", reason, 500)
        self.trigger_event(self.AccessRequested, requested_by=requested_by, reason=cleaned, code_hash=code_hash)

    def approve_access(self, approved_by: UUID | None, approver_role: str | None, code_hash: str) -> None:
        """Record the second person's approval; the rules are here so every door applies them.

        The approver must hold the role that answers for the data (``approver_role``), be
        neither the requester nor the user; the caller checks the municipality. None for
        both is the operator (when no other coordinator or auditor is left to approve).
        """
        self._require_active()
        if not self.pending or self.grant is None:
            raise Conflict("no access request is waiting for this user")
        if approved_by == self.id:
            raise Forbidden("nobody approves their own access")
        if approved_by == self.grant["requested_by"]:
            raise Forbidden("the person who requested the access cannot approve it")
        refusal = approver_refusal(approver_role, approver_role_for(self.role)) if approved_by else None
        if refusal is not None:
            raise Forbidden(refusal)
        self.trigger_event(self.AccessApproved, approved_by=approved_by, code_hash=code_hash)

    def reset_credentials(self, reset_by: UUID, reason: str, code_hash: str) -> None:
        """End the token and the password now, and ask again for access (a second person approves)."""
        self._require_active()
        if self.role not in READING_ROLES:
            raise Conflict(f"role '{self.role}' reads no child data: replace its token instead")
        cleaned = require_name("reason", reason, 500)  # refuse before the first event is applied
        self._credentials_reset(reset_by=reset_by)
        self.request_access(reset_by, cleaned, code_hash)

    @event(CredentialsReset)
    def _credentials_reset(self, reset_by: UUID) -> None:
        self.token_hash = ""
        self.token_issued_by = None
        if hasattr(self, "password_hash"):
            del self.password_hash

    def claimable(self, setup_hash: str, approval_hash: str) -> bool:
        """Whether both halves match an approved, unused grant (compared by their hashes)."""
        g = self.grant
        return bool(
            self.active
            and g is not None
            and g["approved_at"] is not None
            and not g["claimed"]
            and g["setup_hash"] == setup_hash
            and g["approval_hash"] == approval_hash
        )

    def claim_setup(self, setup_hash: str, approval_hash: str, token_hash: str) -> None:
        """Use both halves once for the user's own first token (issued by the user itself)."""
        if not self.claimable(setup_hash, approval_hash):
            raise InvalidInput.one("setup_code", "the codes do not match an approved access awaiting its holder")
        self.trigger_event(self.SetupClaimed)
        self.issue_token(token_hash, issued_by=self.id)

    def assign_login(self, login: str) -> None:
        """Give the user a sign-in name (the service keeps it unique across the deployment)."""
        self._require_active()
        cleaned = login.strip().lower()
        if not LOGIN_PATTERN.fullmatch(cleaned):
            raise InvalidInput.one("login", "use 3-64 characters: lower-case letters, digits, '.', '-' or '_'")
        if cleaned != getattr(self, "login", None):
            self._login_assigned(login=cleaned)

    @event(LoginAssigned)
    def _login_assigned(self, login: str) -> None:
        self.login = login

    def set_password(self, password_hash: str) -> None:
        """Replace the password; the caller hashes it (the domain never sees a password)."""
        self._require_active()
        if not password_hash.startswith("$"):
            raise InvalidInput.one("password_hash", "must be a salted hash in PHC format, not a password")
        self._password_set(password_hash=password_hash)

    @event(PasswordSet)
    def _password_set(self, password_hash: str) -> None:
        self.password_hash = password_hash

    def _require_active(self) -> None:
        if not self.active:
            raise Conflict("user is deactivated")


def approver_refusal(given: str | None, needed: str) -> str | None:
    """Why a person of role ``given`` may not approve a grant that ``needed`` answers for, or None."""
    if given == needed:
        return None
    if needed == Role.AUDITOR.value:
        return "an auditor's access is approved by the municipality's auditor"
    return "access to child data is approved by the municipality's coordinator"
