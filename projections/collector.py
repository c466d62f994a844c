"""Pausing Python's cyclic garbage collector while a batch of events is decoded and applied
(or a large CSV import is decided and saved).

A batch builds tens of thousands of short-lived dicts and event objects. Each few hundred
new objects start a collection, and every so often a full one walks every object the
process holds; none of them finds anything, because decoded events hold no cycles. A
rebuild spent about a third of its time there (100,000 events on SQLite: timeline 10.6 s
with the collector, 6.6 s without). Reference counting still frees everything as usual;
only the search for cycles waits until the batch is over.

The pause is process-wide, so it is counted: it ends when the last batch that asked for
it ends, and the collector is left as it was found (off stays off).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausing = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (for the whole process), then restore it."""
    global _pausing, _was_enabled
    with _lock:
        if _pausing == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausing += 1
    try:
        yield
    finally:
        with _lock:
            _pausing -= 1
            if _pausing == 0 and _was_enabled:
                gc.enable()
