"""Passwords for people: set them (CLI, demo) and check them at sign-in, with the lockout.

Passwords are hashed with argon2id (argon2-cffi); only the hash reaches the User
aggregate, through its ``PasswordSet`` event. A login is found through a Pointer from the
lower-cased login, the same way API tokens are found from their hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.access import Actor
from domain.agencies import User
from domain.errors import Conflict, InvalidInput
from domain.indexes import Pointer
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.adapters.sessions import SessionLog
from services.adapters.sign_in_failures import FailureLog
from services.usecases.base import UseCase
from services.usecases.directory import Directory
from services.usecases.loading import find, load, pointed

MIN_PASSWORD = 10
MAX_PASSWORD = 200
_HASHER = PasswordHasher()
#: Verified when the login is unknown, so both answers take the same time.
_DUMMY_HASH = _HASHER.hash("safehub: no such login")


@dataclass(frozen=True)
class SignInResult:
    """The outcome of one sign-in attempt: an actor, or why not (``invalid`` or ``locked``)."""

    actor: Actor | None
    problem: str | None = None
    locked_until: datetime | None = None
    password_stamp: str | None = None


def login_key(login: str) -> str:
    """The Pointer key of a login (logins are unique across the deployment)."""
    return "login:" + login.strip().lower()


def password_stamp(user: User) -> str:
    """A short fingerprint of the current password hash: setting a new password ends old sessions."""
    import hashlib

    return hashlib.sha256(getattr(user, "password_hash", "").encode()).hexdigest()[:16]


class Accounts(UseCase):
    """Set passwords and sign people in."""

    def __init__(
        self,
        store: SafehubStore,
        directory: Directory,
        failures: FailureLog | None,
        clock: Callable[[], datetime],
        sessions: SessionLog | None = None,
    ):
        super().__init__(store, clock)
        self.directory = directory
        self.failures = failures
        #: The page sessions kept on the server (None where no pages are served, e.g. unit tests).
        self.sessions = sessions

    def set_password(self, user_id: UUID, password: str, login: str | None = None) -> dict:
        """Give an existing user a login (optional) and a password; operators do this from the CLI."""
        check_password(password)
        digest = _HASHER.hash(password)

        def attempt() -> dict:
            user = self._user(user_id)
            extra = []
            if login is not None:
                key = login_key(login)
                taken = find(self.store, Pointer.create_id(key), Pointer)
                if taken is not None and taken.ref != user.id:
                    raise Conflict(f"login '{login.strip().lower()}' is already taken")
                user.assign_login(login)
                if taken is None:
                    extra.append(Pointer(key=login_key(user.login), ref=user.id))
            if getattr(user, "login", None) is None:
                raise InvalidInput.one("login", "the user has no login yet: give one")
            user.set_password(digest)
            self.store.save(user, *extra)
            return {"id": str(user.id), "login": user.login}

        answer = retry_on_conflict(attempt)
        if self.sessions is not None:  # a new password ends every page session on the server
            self.sessions.end_all(user_id, self.clock())
        return answer

    def sign_in(self, login: str, password: str) -> SignInResult:
        """Check the password unless the login is locked; count failures; never log the password."""
        now = self.clock()
        locks_at = None
        if self.failures is not None:
            until = self.failures.locked_until(login, now)
            if until is not None:
                return SignInResult(None, "locked", until)
            # Count the attempt before the slow hash: guesses sent in parallel that all passed
            # the check above get numbers past the limit and are refused. The attempt that
            # locks the login is still checked; a right password then lifts the lock.
            counted = self.failures.count(login, now)
            if counted.over:
                return SignInResult(None, "locked", counted.locked_until)
            locks_at = counted.locked_until if counted.locks else None
        user = self._by_login(login)
        stored = getattr(user, "password_hash", None) if user is not None else None
        ok = False
        try:
            ok = _HASHER.verify(stored or _DUMMY_HASH, password[:MAX_PASSWORD]) and stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None or not user.may_act:  # already counted above; may_act: active, not awaiting approval
            return SignInResult(None, "locked" if locks_at else "invalid", locks_at)
        if self.failures is not None:
            self.failures.succeed(login)
        return SignInResult(self.directory.actor_for(user), password_stamp=password_stamp(user))

    def session_actor(self, user_id: UUID, stamp: str) -> Actor | None:
        """The actor behind a session, or None once the user is deactivated or the password changed."""
        user = find(self.store, user_id, User)
        if user is None or not user.may_act or password_stamp(user) != stamp:
            return None
        return self.directory.actor_for(user)

    def open_session(self, result: SignInResult) -> str:
        """Start a server-side page session after a successful sign-in; return its id for the cookie."""
        if self.sessions is None or result.actor is None or result.password_stamp is None:
            raise ValueError("a session needs the session table and a successful sign-in")
        return self.sessions.start(result.actor.user_id, result.password_stamp, self.clock())

    def session_person(self, session_id: str) -> Actor | None:
        """The actor behind a page session: alive on the server, the user active, the password unchanged."""
        live = self.sessions.alive(session_id, self.clock()) if self.sessions is not None else None
        return None if live is None else self.session_actor(live.user_id, live.password_stamp)

    def end_session(self, session_id: str) -> None:
        """Sign-out: end the session on the server, so a copied cookie opens nothing."""
        if self.sessions is not None:
            self.sessions.end(session_id, self.clock())

    def display(self, user_id: UUID) -> dict:
        """The signed-in person's name and agency, for the page header."""
        user = self._user(user_id)
        agency = self.store.repository.get(user.agency_id) if user.agency_id else None
        return {
            "name": user.name,
            "role": user.role,
            "login": getattr(user, "login", None),
            "agency": agency.name if agency is not None else None,
        }

    def _user(self, user_id: UUID) -> User:
        return load(self.store, User, user_id, None, "user")

    def _by_login(self, login: str) -> User | None:
        if not login.strip() or len(login) > 200:
            return None
        user = pointed(self.store, login_key(login))
        return user if isinstance(user, User) and getattr(user, "login", None) == login.strip().lower() else None


def check_password(password: str) -> None:
    """Refuse a password too short to resist guessing, or absurdly long."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.one("password", f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput.one("password", f"must be at most {MAX_PASSWORD} characters")
