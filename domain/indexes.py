"""Small aggregates whose ids are derived from a key, giving uniqueness without a side table.

Two writers racing to claim the same key both try to create version 1 of the same
aggregate; the store accepts exactly one. The key is hashed by the caller (with a
secret where the key is personal, like a PESEL) so no personal value is stored here.

Erasing a child releases its PESEL pointer and takes it off its birth-date listing
(``Pointer.Released``, ``Bucket.Unlisted``), so the PESEL finds nothing and can be
claimed again by a new record (``Pointer.Reclaimed``, a later version of the same
aggregate, so racing claimants still meet on one version).

What stays in the (append-only) log after an erasure, said plainly: the pointer's and the
listing's ids and keys are keyed digests (HMAC-SHA256 under the deployment secret) of the
municipality with the PESEL or the birth date, and their first events (``Claimed``,
``Listed``) name the erased record's id. Without the secret nothing there leads back to
a PESEL or a date. With the secret AND the log, the birth dates are few enough to try
them all, and then the PESELs of that day (ten thousand): someone holding both can
recover the erased child's birth date and PESEL and tie them to the record's skeleton
(which agencies recorded signals of which kinds, when). A lookup by PESEL cannot avoid a
deterministic digest; only keeping the lookups outside the append-only log (a table
whose rows erasure deletes) would. So the secret must never travel with the log: it is
owner-only in the data directory or comes from the environment (``SAFEHUB_SECRET_KEY``,
the production setting), and a copy of the log alone gives nothing.
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

    class Released(Aggregate.Event):
        """The record pointed at was erased: the key points nowhere and may be claimed again."""

    class Reclaimed(Aggregate.Event):
        """A new record took a released key."""

        ref: UUID

    @staticmethod
    def create_id(key: str) -> UUID:
        """Derive the id from the (already hashed) key."""
        return uuid5(_NAMESPACE, "pointer:" + key)

    @event(Claimed)
    def __init__(self, key: str, ref: UUID):
        self.key = key
        self.ref: UUID | None = ref

    def release(self) -> None:
        """Point nowhere (the record was erased); releasing a released pointer does nothing."""
        if self.ref is not None:
            self._released()

    @event(Released)
    def _released(self) -> None:
        self.ref = None

    def reclaim(self, ref: UUID) -> None:
        """Point a released key at a new record; a key still pointing somewhere is not taken."""
        if self.ref is not None:
            raise ValueError("the key still points at a record; release it first")
        self._reclaimed(ref=ref)

    @event(Reclaimed)
    def _reclaimed(self, ref: UUID) -> None:
        self.ref = ref


class Bucket(Aggregate):
    """A key under which several aggregates are listed (children born on one day)."""

    class Opened(Aggregate.Created):
        key: str

    class Listed(Aggregate.Event):
        ref: UUID

    class Unlisted(Aggregate.Event):
        """A listed record was erased: it no longer answers a look-up under this key."""

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

    def remove(self, ref: UUID) -> None:
        """Take an aggregate off this listing (once; an absent one is left alone)."""
        if ref in self.refs:
            self._unlisted(ref=ref)

    @event(Unlisted)
    def _unlisted(self, ref: UUID) -> None:
        self.refs.remove(ref)


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
