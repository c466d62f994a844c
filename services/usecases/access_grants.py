"""Grants of access to child data: requested by one person, approved by another, claimed by the user.

The administrator runs the directory and must read no child data, directly or through
an account it controls. So a grant of a role that reads child data has three steps, each
an event naming its person on the User aggregate:

1. the administrator requests it (creating the user, or resetting a lost credential):
   ``AccessRequested(requested_by, reason, code_hash)`` and the answer shows, once, the
   requester's half of the setup code;
2. a second person who already answers for that data approves it (the municipality's
   coordinator; the auditor for an auditor): ``AccessApproved(approved_by, code_hash)``
   and the answer shows, once, the approver's half;
3. the person, handed both halves (one by each), claims them once for a token of their own
   (and, if they like, a password for the pages): ``SetupClaimed`` and ``TokenIssued``
   issued by the user itself.

Why the requester's half alone gives nothing: a claim needs both halves, the approval's
half exists only after a second person approved, and every credential of a reader waits
(``User.may_act``) while a request is open. The administrator alone therefore never holds
a working credential of a reader, nor does the approver alone; it takes both to collude.
Until e-mail delivery exists, handing the halves over is done in person.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from domain.access import Actor, require_same_municipality
from domain.agencies import READING_ROLES, Agency, Role, User, approver_role_for
from domain.errors import Forbidden, InvalidInput
from domain.indexes import Pointer
from services.adapters.event_store import retry_on_conflict
from services.adapters.tokens import new_token, token_hash
from services.usecases.base import UseCase
from services.usecases.directory import user_view
from services.usecases.loading import find, listed, load

#: Roles that may approve a grant (which grants each approves: ``approver_role_for``).
APPROVERS = frozenset({Role.COORDINATOR.value, Role.AUDITOR.value})
#: Roles that may deactivate someone, and whom: the coordinator, the municipality's field staff.
FIELD_STAFF = frozenset({Role.SUBMITTER.value, Role.CASE_WORKER.value, Role.FAMILY_ASSISTANT.value})


class AccessGrants(UseCase):
    """Request, approve and claim access; reset lost credentials; deactivate users."""

    def pending(self, actor: Actor) -> list[dict]:
        """The requests waiting in the caller's municipality that the caller answers (directory data only)."""
        if actor.role not in APPROVERS | {Role.ADMIN.value}:
            raise Forbidden(f"role '{actor.role}' approves no access")
        waiting = []
        for user_id in listed(self.store, f"users:{actor.municipality_id}"):
            user = find(self.store, user_id, User)
            if user is None or not user.pending or not user.active or user.grant is None:
                continue
            if actor.role != Role.ADMIN.value and approver_role_for(user.role) != actor.role:
                continue
            waiting.append(self._request_view(user))
        return sorted(waiting, key=lambda r: r["requested_at"])

    def approve(self, actor: Actor | None, user_id: UUID) -> dict:
        """Approve a waiting grant as the second person; the answer shows the approver's half once.

        The approver hands that half to the person (never to the requester). ``actor`` None
        is the operator at the console, for when no other coordinator (auditor) is left.
        """
        if actor is not None and actor.role not in APPROVERS:
            raise Forbidden("access to child data is approved by the municipality's coordinator or auditor")
        code = new_token()

        def attempt() -> User:
            user = load(self.store, User, user_id, actor, "user")
            by = (actor.user_id, actor.role) if actor is not None else (None, None)
            user.approve_access(*by, token_hash(code))
            self.store.save(user)
            return user

        user = retry_on_conflict(attempt)
        return {**user_view(user), "approval_code": code}

    def reset(self, actor: Actor, user_id: UUID, reason: str) -> dict:
        """End a reader's token and password now and ask again for their access.

        The answer shows the requester's half of a new setup code: on its own it opens
        nothing, since the claim needs the half a coordinator (the auditor, for an auditor)
        gets only by approving the new request.
        """
        if actor.role != Role.ADMIN.value:
            raise Forbidden(f"role '{actor.role}' may not reset credentials")
        code = new_token()

        def attempt() -> User:
            user = load(self.store, User, user_id, actor, "user")
            user.reset_credentials(actor.user_id, reason, token_hash(code))
            self.store.save(user, Pointer(key="setup:" + token_hash(code), ref=user.id))
            return user

        user = retry_on_conflict(attempt)
        return {**user_view(user), "token": None, "setup_code": code}

    def claim(self, setup_code: str, approval_code: str, first: Callable[[UUID], object] | None = None) -> dict:
        """Use both halves once for the user's own token; ``first`` runs before (e.g. to set a password).

        A wrong, used or unapproved pair answers the same 422, naming no user.
        """
        setup_hash, approval_hash = token_hash(setup_code.strip()), token_hash(approval_code.strip())
        user = self._claimable(setup_hash, approval_hash)
        if first is not None:
            first(user.id)
        token = new_token()

        def attempt() -> User:
            fresh = self._claimable(setup_hash, approval_hash)
            fresh.claim_setup(setup_hash, approval_hash, token_hash(token))
            self.store.save(fresh, Pointer(key="token:" + token_hash(token), ref=fresh.id))
            return fresh

        claimed = retry_on_conflict(attempt)
        return {"user_id": str(claimed.id), "name": claimed.name, "role": claimed.role, "token": token}

    def deactivate(self, actor: Actor | None, user_id: UUID, reason: str) -> dict:
        """End a user's tokens and sessions at once (their history stays theirs).

        The administrator deactivates anyone of its municipality; the coordinator, the
        municipality's field staff; ``actor`` None is the operator's CLI. Every token answer
        cached in a process is checked against the user's version, so it ends on the next request.
        """
        if actor is not None and actor.role not in (Role.ADMIN.value, Role.COORDINATOR.value):
            raise Forbidden(f"role '{actor.role}' may not deactivate users")

        def attempt() -> User:
            user = load(self.store, User, user_id, None, "user")
            if actor is not None:
                require_same_municipality(actor, user.municipality_id)
                if actor.role == Role.COORDINATOR.value and user.role not in FIELD_STAFF:
                    raise Forbidden(f"the coordinator deactivates field staff, not a user with role '{user.role}'")
            user.deactivate(reason, actor.user_id if actor is not None else None)
            self.store.save(user)
            return user

        return user_view(retry_on_conflict(attempt))

    def _claimable(self, setup_hash: str, approval_hash: str) -> User:
        pointer = find(self.store, Pointer.create_id("setup:" + setup_hash), Pointer)
        user = find(self.store, pointer.ref, User) if pointer is not None else None
        if user is None or user.role not in READING_ROLES or not user.claimable(setup_hash, approval_hash):
            raise InvalidInput.one("setup_code", "the codes do not match an approved access awaiting its holder")
        return user

    def _request_view(self, user: User) -> dict:
        grant = user.grant or {}
        requester = find(self.store, grant["requested_by"], User)
        agency = find(self.store, user.agency_id, Agency) if user.agency_id else None
        return {
            "user_id": str(user.id),
            "name": user.name,
            "role": user.role,
            "agency_id": str(user.agency_id) if user.agency_id else None,
            "agency_name": agency.name if agency is not None else None,
            "requested_by": str(grant["requested_by"]),
            "requested_by_name": requester.name if requester is not None else None,
            "requested_at": grant["requested_at"].isoformat(),
            "reason": grant["reason"],
        }
