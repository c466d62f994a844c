"""Municipalities, agencies and users: who exists and who is calling.

Listings use a Bucket per municipality; look-ups of tokens use a Pointer from the token's
hash, so authenticating a request is two aggregate reads and needs no side table.

The administrator runs this directory and must stay blind to child data: a user it
creates with a role that reads child data gets no token, only the requester's half of a
setup code, and waits for a second person's approval (services/usecases/access_grants.py);
nobody but the user (or the operator at the server's console) makes a reader's token.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.access import Action, Actor, require, require_same_municipality
from domain.agencies import READING_ROLES, Agency, AgencyKind, Municipality, Role, User
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.indexes import Pointer
from services.adapters.event_store import retry_on_conflict
from services.adapters.tokens import new_token, token_hash
from services.usecases.base import UseCase
from services.usecases.loading import bucket, find, listed, load

MUNICIPALITIES_KEY = "municipalities"


class Directory(UseCase):
    """Use cases for the directory of municipalities, agencies and users."""

    # --- municipalities --------------------------------------------------------------

    def create_municipality(self, name: str) -> dict:
        """Register a municipality (a tenant); operators do this from the command line."""
        cleaned = " ".join(name.split()) or "Gmina"
        municipality = self._list_under(MUNICIPALITIES_KEY, lambda: [Municipality(name=cleaned)])
        return municipality_view(municipality)

    def list_municipalities(self) -> list[dict]:
        """List every municipality of this deployment."""
        return [municipality_view(self._get(Municipality, i)) for i in listed(self.store, MUNICIPALITIES_KEY)]

    def get_municipality(self, municipality_id: UUID) -> dict:
        """Return one municipality."""
        return municipality_view(self._get(Municipality, municipality_id))

    # --- agencies --------------------------------------------------------------------

    def create_agency(self, actor: Actor | None, municipality_id: UUID, kind: str, name: str) -> dict:
        """Register an agency; ``actor`` is None when an operator acts from the CLI."""
        if actor is not None:
            require(actor, Action.MANAGE_DIRECTORY)
            require_same_municipality(actor, municipality_id)
        self._get(Municipality, municipality_id)
        Agency.register(municipality_id, kind, name)  # validate before touching the store
        agency = self._list_under(f"agencies:{municipality_id}", lambda: [Agency.register(municipality_id, kind, name)])
        return agency_view(agency)

    def list_agencies(self, actor: Actor) -> list[dict]:
        """List the agencies of the caller's municipality."""
        require(actor, Action.READ_DIRECTORY)
        ids = listed(self.store, f"agencies:{actor.municipality_id}")
        return [agency_view(self._get(Agency, i)) for i in ids]

    def get_agency(self, actor: Actor | None, agency_id: UUID) -> dict:
        """Return one agency, hiding other municipalities' agencies."""
        agency = self._get(Agency, agency_id)
        if actor is not None:
            require(actor, Action.READ_DIRECTORY)
            require_same_municipality(actor, agency.municipality_id)
        return agency_view(agency)

    # --- users -----------------------------------------------------------------------

    def create_user(
        self,
        actor: Actor | None,
        *,
        role: str,
        name: str,
        agency_id: UUID | None = None,
        municipality_id: UUID | None = None,
    ) -> dict:
        """Register a user and return it with its API token, the only time it is shown.

        ``actor`` None is the operator's CLI: the user acts at once (the first coordinator
        and the auditor come from there). A reading user created by a person gets no token:
        the answer carries ``setup_code``, the requester's half of what the user needs once a
        coordinator (the auditor, for an auditor) has approved the grant.
        """
        if actor is not None:
            require(actor, Action.MANAGE_DIRECTORY)
        agency = None
        if agency_id is not None:
            agency = self._get_field(Agency, agency_id, "agency_id")
            if municipality_id is not None and municipality_id != agency.municipality_id:
                # Another municipality's agency must read exactly like an unknown one.
                raise InvalidInput.one("agency_id", f"no agency with id {agency_id}")
            municipality_id = agency.municipality_id
        if municipality_id is None:
            raise InvalidInput.one("agency_id", "is required (or a municipality for admin/auditor)")
        if actor is not None:
            require_same_municipality(actor, municipality_id)
        self._get(Municipality, municipality_id)
        kind = agency.kind if agency is not None else None
        User.register(municipality_id, agency_id, kind, role, name, "")  # validate before touching the store
        waits = actor is not None and role in READING_ROLES
        token, code = (None, new_token()) if waits else (new_token(), None)

        def build() -> list:
            if token is None:
                user = User.register(municipality_id, agency_id, kind, role, name, "")
                user.request_access(actor.user_id, "new user", token_hash(code))  # type: ignore[union-attr]
                return [user, Pointer(key="setup:" + token_hash(code), ref=user.id)]
            user = User.register(municipality_id, agency_id, kind, role, name, token_hash(token))
            return [user, Pointer(key="token:" + token_hash(token), ref=user.id)]

        user = self._list_under(f"users:{municipality_id}", build)
        return {**user_view(user), "token": token, "setup_code": code}

    def list_users(self, actor: Actor) -> list[dict]:
        """List the users of the caller's municipality (the administrator's and the auditor's)."""
        require_user_reader(actor)
        return [user_view(self._get(User, i)) for i in listed(self.store, f"users:{actor.municipality_id}")]

    def get_user(self, actor: Actor, user_id: UUID) -> dict:
        """Return one user, with who requested and who approved its access (for the auditor too)."""
        require_user_reader(actor)
        user = self._get(User, user_id)
        require_same_municipality(actor, user.municipality_id)
        return user_view(user)

    def issue_token(self, actor: Actor | None, user_id: UUID) -> dict:
        """Replace a user's token (a lost or leaked one stops working at once).

        The administrator may do it only for a user who reads no child data (another
        administrator); a reader's token would let it read as that reader. ``actor`` None is
        the operator at the server's console, who holds the store's keys anyway.
        """
        if actor is not None:
            require(actor, Action.MANAGE_DIRECTORY)
        user = self._get(User, user_id)
        if actor is not None:
            require_same_municipality(actor, user.municipality_id)
            if user.role in READING_ROLES:
                raise Forbidden(
                    "a user who reads child data makes their own token (POST /api/v1/me/token); "
                    "for a lost one, the administrator starts a reset (POST /api/v1/users/{id}/reset)"
                )
        return self._replace_token(user, actor.user_id if actor is not None else None)

    def own_token(self, actor: Actor) -> dict:
        """Replace the caller's own token; the new one is shown only in this answer."""
        return self._replace_token(self._get(User, actor.user_id), actor.user_id)

    def _replace_token(self, user: User, issued_by: UUID | None) -> dict:
        token = new_token()
        user.issue_token(token_hash(token), issued_by)
        self.store.save(user, Pointer(key="token:" + token_hash(token), ref=user.id))
        return {**user_view(user), "token": token}

    def authenticate(self, token: str) -> Actor | None:
        """Return the actor a bearer token belongs to, or None for an unknown or stale one."""
        found = self.authenticate_with_basis(token)
        return None if found is None else found[0]

    def authenticate_with_basis(self, token: str) -> tuple[Actor, dict[UUID, int]] | None:
        """Like ``authenticate``, with the version of each aggregate the answer was read from.

        The answer stays right while none of them has a newer event (``store.versions``).
        """
        digest = token_hash(token)
        pointer = find(self.store, Pointer.create_id("token:" + digest), Pointer)
        user = find(self.store, pointer.ref, User) if pointer is not None else None
        if user is None or not user.may_act or user.token_hash != digest:
            return None
        agency = self.store.repository.get(user.agency_id) if user.agency_id else None
        actor = Actor(user.id, user.municipality_id, user.agency_id, agency.kind if agency else None, user.role)
        return actor, {a.id: a.version for a in (pointer, user, agency) if a is not None}

    def actor_for(self, user: User) -> Actor:
        """Describe a user for the access policy."""
        kind = self.store.repository.get(user.agency_id).kind if user.agency_id else None
        return Actor(user.id, user.municipality_id, user.agency_id, kind, user.role)

    def school_of(self, municipality_id: UUID, school_id: UUID) -> Agency:
        """Return the school agency, refusing ids that are not a school of this municipality."""
        agency = self._get_field(Agency, school_id, "school_id")
        if agency.municipality_id != municipality_id:
            raise InvalidInput.one("school_id", "no such school in this municipality")
        if agency.kind != AgencyKind.SCHOOL.value:
            raise InvalidInput.one("school_id", f"is an agency of kind '{agency.kind}', not a school")
        return agency

    # --- helpers ---------------------------------------------------------------------

    def _get(self, cls: type, aggregate_id: UUID):
        return load(self.store, cls, aggregate_id, None, cls.__name__.lower())

    def _get_field(self, cls: type, aggregate_id: UUID, field: str):
        try:
            return self._get(cls, aggregate_id)
        except NotFound:
            raise InvalidInput.one(field, f"no {cls.__name__.lower()} with id {aggregate_id}") from None

    def _list_under(self, key: str, build: Callable[[], list]):
        """Save freshly built aggregates and list the first under ``key``, atomically.

        ``build`` runs again on each retry because a failed save consumes the pending
        events of the aggregates it was given.
        """

        def attempt():
            listing = bucket(self.store, key)
            aggregates = build()
            listing.add(aggregates[0].id)
            self.store.save(*aggregates, listing)
            return aggregates[0]

        return retry_on_conflict(attempt)


def municipality_view(m: Municipality) -> dict:
    """Present a municipality as plain values."""
    return {"id": str(m.id), "name": m.name, "created_at": m.created_on.isoformat()}


def agency_view(a: Agency) -> dict:
    """Present an agency as plain values."""
    return {
        "id": str(a.id),
        "municipality_id": str(a.municipality_id),
        "kind": a.kind,
        "name": a.name,
        "created_at": a.created_on.isoformat(),
    }


def require_user_reader(actor: Actor) -> None:
    """The directory of people is the administrator's to run and the auditor's to check."""
    if actor.role not in (Role.ADMIN.value, Role.AUDITOR.value):
        raise Forbidden(f"role '{actor.role}' may not read the users")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def user_view(u: User) -> dict:
    """Present a user as plain values (never a hash): who asked for its access and who approved it."""
    grant = u.grant
    deactivation = u.deactivation or {}
    return {
        "id": str(u.id),
        "municipality_id": str(u.municipality_id),
        "agency_id": str(u.agency_id) if u.agency_id else None,
        "role": u.role,
        "name": u.name,
        "active": u.active,
        "access": "pending" if u.pending else "approved",
        "grant": None
        if grant is None
        else {
            "requested_by": str(grant["requested_by"]),
            "requested_at": grant["requested_at"].isoformat(),
            "reason": grant["reason"],
            "approved_by": _text(grant["approved_by"]),
            "approved_at": grant["approved_at"].isoformat() if grant["approved_at"] else None,
        },
        "credential_issued_by": _text(u.token_issued_by),
        "deactivated_by": _text(deactivation.get("by")),
        "deactivation_reason": deactivation.get("reason"),
        "created_at": u.created_on.isoformat(),
    }
