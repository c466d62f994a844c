"""Use cases on an in-memory store: no files, no HTTP, no projections.

The store is the real ``SafehubStore`` (sealing mapper, group commit, aggregate cache) on
eventsourcing's POPO recorder, with the per-child key store on an in-memory SQLite
connection, so erasure really destroys keys. The use cases are built here directly, as
``services.bootstrap`` wires them, but with a fake gate that records each audited read and
decides group membership from what the test declares, and with a clock the test moves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher

from domain.access import Actor, ChildAccess, child_access, load_category_policy
from domain.pesel import make_pesel
from domain.retention import load_retention_policy
from services.adapters.event_store import SafehubStore
from services.adapters.keys import SubjectKeys
from services.usecases.blue_cards import BlueCards
from services.usecases.children import ChildRecords
from services.usecases.directory import Directory
from services.usecases.erasure import Erasure
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans
from services.usecases.time_cards import TimeCards
from tests.worlds import World, make_world

ZONE = "Europe/Warsaw"
SECRET = b"unit-test-secret"
#: Mid-morning of a Tuesday in Warsaw (08:00 UTC in winter time).
START = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


class Clock:
    """A clock the test sets and moves."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Read:
    """One read the gate was asked to log."""

    user_id: UUID
    child_ids: tuple[str, ...]
    view: str
    grounds: str
    withheld: tuple[str, ...] = ()


class FakeGate:
    """Stands in for ``ChildGate``: real grounds (``child_access``), membership declared by the test,
    and the reads it logged kept in ``reads`` instead of the read-audit table."""

    def __init__(self) -> None:
        self.policy = load_category_policy()
        self.reads: list[Read] = []
        self.members: set[tuple[str, str]] = set()
        #: Set to an exception to make logging fail (the audit refuses the read).
        self.refuse: Exception | None = None

    def add_member(self, user_id: UUID, child_id: UUID | str) -> None:
        """Seat a user on a group that works on the child."""
        self.members.add((str(user_id), str(child_id)))

    def open(self, actor: Actor, child_ids: Iterable[UUID | str], *, caught_up: bool = False) -> ChildAccess:
        member = any((str(actor.user_id), str(c)) in self.members for c in child_ids)
        return child_access(actor, group_member=member, policy=self.policy)

    def logged(
        self,
        access: ChildAccess,
        child_ids: Iterable[UUID | str],
        view: str,
        *,
        withheld: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.reads.append(
            Read(access.actor.user_id, tuple(str(c) for c in child_ids), view, access.grounds.value, tuple(withheld))
        )

    def read(self, actor: Actor, child_ids: Iterable[UUID | str], view: str, *, detail: str = "") -> ChildAccess:
        ids = list(child_ids)
        access = self.open(actor, ids)
        self.logged(access, ids, view, detail=detail)
        return access

    def reads_of(self, child_id: UUID | str) -> list[Read]:
        """The logged reads that name this child."""
        return [r for r in self.reads if str(child_id) in r.child_ids]


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def keys() -> Iterator[SubjectKeys]:
    subject_keys = SubjectKeys(AESCipher.create_key(32), sqlite_path=Path(":memory:"))
    yield subject_keys
    subject_keys.close()


@pytest.fixture
def store(keys: SubjectKeys) -> Iterator[SafehubStore]:
    """The store on eventsourcing's in-memory (POPO) recorder, encrypted and sealing as in production."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.popo",
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": AESCipher.create_key(32),
        "AGGREGATE_CACHE_MAXSIZE": "200",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    opened = SafehubStore(env=env, keys=keys)
    yield opened
    opened.close()


@pytest.fixture
def gate() -> FakeGate:
    return FakeGate()


@pytest.fixture
def directory(store: SafehubStore) -> Directory:
    return Directory(store)


@pytest.fixture
def children(store: SafehubStore, directory: Directory, clock: Clock, gate: FakeGate) -> ChildRecords:
    return ChildRecords(store, directory, SECRET, clock, ZONE, gate=gate)  # type: ignore[arg-type]


@pytest.fixture
def help_plans(store: SafehubStore, clock: Clock, gate: FakeGate) -> HelpPlans:
    return HelpPlans(store, clock, ZONE, gate=gate)  # type: ignore[arg-type]


@pytest.fixture
def time_cards(store: SafehubStore, clock: Clock, gate: FakeGate) -> TimeCards:
    return TimeCards(store, clock, ZONE, gate=gate)  # type: ignore[arg-type]


@pytest.fixture
def blue_cards(store: SafehubStore, clock: Clock, gate: FakeGate) -> BlueCards:
    return BlueCards(store, clock, ZONE, gate=gate)  # type: ignore[arg-type]


@pytest.fixture
def groups(store: SafehubStore, clock: Clock, gate: FakeGate) -> WorkingGroups:
    return WorkingGroups(store, clock, ZONE, gate=gate)  # type: ignore[arg-type]


@pytest.fixture
def erasure(store: SafehubStore, children: ChildRecords) -> Erasure:
    return Erasure(store, children, load_retention_policy())


# --- the world ----------------------------------------------------------------------------


@pytest.fixture
def world(directory: Directory) -> World:
    return make_world(directory, "Gmina Testowa")


@pytest.fixture
def other_world(directory: Directory) -> World:
    """A second municipality in the same store, for isolation."""
    return make_world(directory, "Gmina Sąsiednia")


def register_child(
    children: ChildRecords,
    actor: Actor,
    given: str = "Kacper",
    family: str = "Wiśniewski",
    born: date = date(2015, 5, 14),
    serial: int | None = None,
) -> UUID:
    """Register a child (with a PESEL when ``serial`` is given) and return its id."""
    pesel = make_pesel(born, serial) if serial is not None else None
    return UUID(children.register(actor, given_name=given, family_name=family, date_of_birth=born, pesel=pesel)["id"])


@pytest.fixture
def child(children: ChildRecords, world: World) -> UUID:
    """A child registered by the school."""
    return register_child(children, world.actor("school"))
