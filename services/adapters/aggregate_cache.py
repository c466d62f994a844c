"""The store's cache of decoded aggregates: bounded by events, read under a lock.

The library's repository caches aggregates by count and copies a cached one outside its
lock; safehub's aggregates grow with every signal and are read by concurrent requests,
so the store swaps in these two pieces (see ``SafehubStore.construct_repository``).

A cached aggregate holds personal data decrypted with a person's key (a child's names and
signals, a notice's contents). Erasing a person clears this process's cache at once
(:meth:`AggregateCache.clear`, called by the erasure); another process cannot be told,
so each entry is kept at most ``MAX_AGE_SECONDS`` after it was loaded, the same bound as
the unwrapped keys (services/adapters/keys.py ``CACHE_SECONDS``): within that time every
other process loads it again from the store, where the destroyed key opens nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from eventsourcing.application import Cache, Repository

from projections.bounded_cache import BoundedCache
from services.adapters.keys import CACHE_SECONDS

#: How long a loaded aggregate is served from the cache: an erasure in another process
#: reaches this one's cache within this time (as it reaches its cached keys).
MAX_AGE_SECONDS = CACHE_SECONDS


class AggregateCache(Cache):
    """The repository's cache of decoded aggregates, bounded by the events they hold.

    The library's LRU cache counts aggregates, but a child's aggregate holds every signal
    ever recorded about it, so "2,000 children" is a few MiB on the first day and grows
    with every signal after. Here the budget is in events (an aggregate weighs its
    version), so a process's memory stays flat as the histories grow.
    """

    def __init__(self, max_entries: int, max_events: int, max_age: float = MAX_AGE_SECONDS):
        super().__init__()
        self.maxsize = max_entries
        self.max_age = max_age
        self.entries: BoundedCache[tuple[float, Any]] = BoundedCache(max_entries, max_events, weigh=_events_in)

    def get(self, key: Any, *, evict: bool = False) -> Any:
        found = self.entries.pop(key) if evict else self.entries.get(key)
        if found is None:
            raise KeyError(key)
        if time.monotonic() - found[0] >= self.max_age:  # loaded too long ago: load it again
            self.entries.pop(key)
            raise KeyError(key)
        return found[1]

    def put(self, key: Any, value: Any) -> None:
        if value is not None:
            self.entries.put(key, (time.monotonic(), value))

    def clear(self) -> None:
        """Forget every cached aggregate: a person was erased, and any of them may hold their data."""
        self.entries.clear()

    def reweigh(self, key: Any) -> None:
        """An aggregate fast-forwarded in place weighs more now."""
        self.entries.reweigh(key)

    def __bool__(self) -> bool:  # the library tests ``if self.cache``: an empty cache is still on
        return True


def forget_cached(repository: Any) -> None:
    """After an erasure: drop this process's cached aggregates (any may hold the erased person's data)."""
    if isinstance(getattr(repository, "cache", None), AggregateCache):
        repository.cache.clear()


def _events_in(entry: tuple[float, Any]) -> int:
    return int(getattr(entry[1], "version", 1))


class CopyUnderLockRepository(Repository):
    """The library's repository, but a cached aggregate is copied while nobody advances it.

    With the aggregate cache in fast-forward mode, ``Repository.get`` advances the cached
    aggregate under a per-aggregate lock but deep-copies it after releasing that lock, so
    a request copying a child while another request fast-forwards the same child can fail
    with "dictionary changed size during iteration". Concurrent saves of one child make
    that likely (group commit wakes them together). Here the whole cached read of one
    aggregate (fast-forward and copy) runs under a lock striped by aggregate id.
    """

    STRIPES = 64

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._stripes = [threading.Lock() for _ in range(self.STRIPES)]

    def get(self, aggregate_id: Any, *, version: int | None = None, **kwargs: Any) -> Any:
        """Get the aggregate; a cached one is advanced and copied under its stripe's lock."""
        if self.cache is None or version is not None:
            return super().get(aggregate_id, version=version, **kwargs)
        with self._stripes[hash(aggregate_id) % self.STRIPES]:
            aggregate = super().get(aggregate_id, **kwargs)
            if isinstance(self.cache, AggregateCache):
                self.cache.reweigh(aggregate_id)
            return aggregate
