"""Small aggregates whose ids are derived from a key, giving uniqueness without a side table.

Two writers racing to claim the same key both try to create version 1 of the same
aggregate; the store accepts exactly one. The key is hashed by the caller (with a
secret where the key is personal, like a PESEL) so no personal value is stored here.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = UUID("8d1a4f3e-52c1-4b8e-9a0e-5f7c2b1d9e44")


class Pointer(Aggregate):
    """A unique key pointing at one aggregate (a token hash at a user, a PESEL at a child)."""

    class Claimed(Aggregate.Created):
        key: str
        ref: UUID

    @staticmethod
    def create_id(key: str) -> UUID:
        """Derive the id from the (already hashed) key."""
        return uuid5(_NAMESPACE, "pointer:" + key)

    @event(Claimed)
    def __init__(self, key: str, ref: UUID):
        self.key = key
        self.ref = ref


class Bucket(Aggregate):
    """A key under which several aggregates are listed (children born on one day)."""

    class Opened(Aggregate.Created):
        key: str

    class Listed(Aggregate.Event):
        ref: UUID

    @staticmethod
    def create_id(key: str) -> UUID:
        """Derive the id from the (already hashed) key."""
        return uuid5(_NAMESPACE, "bucket:" + key)

    @event(Opened)
    def __init__(self, key: str):
        self.key = key
        self.refs: list[UUID] = []

    def add(self, ref: UUID) -> None:
        """List an aggregate under this key once."""
        if ref not in self.refs:
            self._listed(ref=ref)

    @event(Listed)
    def _listed(self, ref: UUID) -> None:
        self.refs.append(ref)


class IdempotencyRecord(Aggregate):
    """The first outcome of a request made with an Idempotency-Key, saved atomically with it."""

    class Recorded(Aggregate.Created):
        key: str
        fingerprint: str
        outcome: dict

    @staticmethod
    def create_id(key: str) -> UUID:
        """Derive the id from the caller-scoped key."""
        return uuid5(_NAMESPACE, "idempotency:" + key)

    @event(Recorded)
    def __init__(self, key: str, fingerprint: str, outcome: dict):
        self.key = key
        self.fingerprint = fingerprint
        self.outcome = outcome
