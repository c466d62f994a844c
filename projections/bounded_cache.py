"""A least-recently-used cache bounded by the total weight of what it holds, not only its length.

The read caches hold a child's whole history (its timeline rows, its risk signals, its
aggregate), and a child's history only grows: a cache of "the last 256 children" holds
256 short histories on Monday and 256 long ones a year later, so its memory follows the
data, not the setting. Weighing each entry by its rows (or events) and evicting until the
total is under a budget keeps a process's memory flat however the histories grow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    """LRU by recency of use; at most ``max_entries`` entries and ``max_weight`` in total.

    ``weigh`` gives an entry's weight (rows, events). An entry heavier than the whole budget
    is not kept at all: one very long history must not flush everything else for nothing.
    Thread-safe; values are returned as they are (callers that mutate must copy).
    """

    def __init__(self, max_entries: int, max_weight: int, weigh: Callable[[Any], int] = len):
        self.max_entries = max_entries
        self.max_weight = max_weight
        self.weigh = weigh
        self._entries: OrderedDict[Hashable, tuple[int, V]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: V | None = None) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return default
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: V) -> None:
        weight = max(1, self.weigh(value))
        with self._lock:
            self._drop(key)
            if weight > self.max_weight:
                return
            self._entries[key] = (weight, value)
            self._weight += weight
            self._shrink()

    def reweigh(self, key: Hashable) -> None:
        """Weigh an entry again: its value grew in place (an aggregate fast-forwarded)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return
            weight = max(1, self.weigh(found[1]))
            if weight > self.max_weight:
                self._drop(key)
                return
            self._weight += weight - found[0]
            self._entries[key] = (weight, found[1])
            self._shrink()

    def pop(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            self._drop(key)
            return None if found is None else found[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @property
    def weight(self) -> int:
        """The total weight held now."""
        return self._weight

    def _drop(self, key: Hashable) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self._weight -= found[0]

    def _shrink(self) -> None:
        while self._entries and (len(self._entries) > self.max_entries or self._weight > self.max_weight):
            _, (weight, _) = self._entries.popitem(last=False)
            self._weight -= weight
