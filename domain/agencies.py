"""Municipalities (the tenants), the agencies inside them and their users.

Everything a user does is attributed to the user, their role and their agency, so these
aggregates are the root of every signal's provenance.
"""

from __future__ import annotations

import re
from enum import Enum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, InvalidInput


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
    """A person or a system acting for an agency; holds only hashes of its secrets."""

    class Registered(Aggregate.Created):
        municipality_id: UUID
        agency_id: UUID | None
        role: str
        name: str
        token_hash: str

    class TokenIssued(Aggregate.Event):
        token_hash: str

    class Deactivated(Aggregate.Event):
        reason: str

    class LoginAssigned(Aggregate.Event):
        """The name a person signs in with on the pages (tokens stay for systems)."""

        login: str

    class PasswordSet(Aggregate.Event):
        """A new password; the event carries only its salted hash, never the password."""

        password_hash: str

    @classmethod
    def register(
        cls,
        municipality_id: UUID,
        agency_id: UUID | None,
        role: str,
        name: str,
        token_hash: str,
    ) -> User:
        """Validate and register a user with the hash of its first API token."""
        if role not in ROLES:
            raise InvalidInput.one("role", f"must be one of: {', '.join(ROLES)}")
        if agency_id is None and role not in ROLES_WITHOUT_AGENCY:
            raise InvalidInput.one("agency_id", f"is required for role '{role}'")
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

    def issue_token(self, token_hash: str) -> None:
        """Replace the API token (the old one stops working)."""
        if not self.active:
            raise Conflict("user is deactivated")
        self._token_issued(token_hash=token_hash)

    @event(TokenIssued)
    def _token_issued(self, token_hash: str) -> None:
        self.token_hash = token_hash

    def deactivate(self, reason: str) -> None:
        """Stop the user from acting; their history stays attributed to them."""
        if not self.active:
            raise Conflict("user is already deactivated")
        self._deactivated(reason=reason)

    @event(Deactivated)
    def _deactivated(self, reason: str) -> None:
        self.active = False

    def assign_login(self, login: str) -> None:
        """Give the user a sign-in name (the service keeps it unique across the deployment)."""
        if not self.active:
            raise Conflict("user is deactivated")
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
        if not self.active:
            raise Conflict("user is deactivated")
        if not password_hash.startswith("$"):
            raise InvalidInput.one("password_hash", "must be a salted hash in PHC format, not a password")
        self._password_set(password_hash=password_hash)

    @event(PasswordSet)
    def _password_set(self, password_hash: str) -> None:
        self.password_hash = password_hash
