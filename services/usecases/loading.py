"""Load aggregates for the use cases: a missing one reads as 404 (or as nothing), in one place.

The library raises ``AggregateNotFoundError`` for an id it has never seen; a use case that
asks for a child, a plan or a card must answer the caller "not found" whether the id is
unknown, names an aggregate of another kind, or belongs to another municipality (so an id
from elsewhere teaches the caller nothing). Listings (buckets) and lookups (pointers) are
optional by nature: a key nobody has written yet is an empty listing, not an error.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.access import Actor
from domain.errors import NotFound
from domain.indexes import Bucket, Pointer
from services.adapters.event_store import SafehubStore

T = TypeVar("T")


def find(store: SafehubStore, aggregate_id: UUID, cls: type[T] | None = None) -> T | Any | None:
    """The aggregate with this id, or None when it does not exist (or is not a ``cls``)."""
    try:
        aggregate = store.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    if cls is not None and not isinstance(aggregate, cls):
        return None
    return aggregate


def load(store: SafehubStore, cls: type[T], aggregate_id: UUID, actor: Actor | None, label: str) -> T:
    """The ``cls`` with this id in the caller's municipality; anything else is ``label`` not found.

    ``actor`` None skips the municipality check (callers that check it themselves, or
    system reads such as the read audit's owner lookup).
    """
    aggregate = find(store, aggregate_id, cls)
    elsewhere = aggregate is not None and actor is not None and actor.municipality_id != aggregate.municipality_id  # type: ignore[attr-defined]
    if aggregate is None or elsewhere:
        # The same words either way, and never the id: an id met in a listing is no caller's to learn.
        raise NotFound(f"{label} not found")
    return aggregate


def bucket(store: SafehubStore, key: str) -> Bucket:
    """The listing under ``key`` (a new, empty one if nothing was listed there yet)."""
    found = find(store, Bucket.create_id(key), Bucket)
    return found if found is not None else Bucket(key=key)


def listed(store: SafehubStore, key: str) -> list[UUID]:
    """The ids listed under ``key``, oldest first."""
    found = find(store, Bucket.create_id(key), Bucket)
    return list(found.refs) if found is not None else []


def pointed(store: SafehubStore, key: str) -> Any | None:
    """The aggregate a pointer under ``key`` refers to, or None when there is no such pointer."""
    pointer = find(store, Pointer.create_id(key), Pointer)
    return None if pointer is None else find(store, pointer.ref)
