"""Group commit: the saves of concurrent requests written in one transaction.

A recorder wrapper the store puts in front of its application recorder. It exists on its
own because its promise is subtle (each save still succeeds or fails alone; nobody is
answered before its commit) and is tested on its own, without the rest of the store.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent


class _Waiting:
    """One save's stored events, waiting in a group commit for their notification ids."""

    __slots__ = ("error", "events", "ids", "written")

    def __init__(self, events: Sequence[StoredEvent]):
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.written = False


class GroupCommit:
    """Writes the saves of concurrent requests in one transaction (one commit, one fsync).

    Saves are serialised anyway (one writer at a time, in log order). While one
    transaction is being written and committed, the saves that arrive queue up; the
    first of them to get the writer's turn writes the whole queue in ONE transaction
    and hands every waiting save its notification ids. A save that finds the writer
    idle writes at once, alone, so a lone request waits for nothing.

    Each save still succeeds or fails on its own: if the group's transaction fails
    (say one save lost a version race), nothing of it was stored, and each save of the
    group is written again in its own transaction, so only the loser sees the conflict.
    Any other failure (outcome unknown) is given to every save of the group, as each
    would have got it alone. Nobody is answered before its commit, and a kill loses
    only saves that nobody was told were stored.
    """

    def __init__(self, recorder: ApplicationRecorder):
        self.recorder = recorder
        self._queue: list[_Waiting] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        """Everything else (reads) goes straight to the recorder."""
        return getattr(self.recorder, name)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Insert the events in the next group commit; return their notification ids."""
        if kwargs.get("tracking") is not None or set(kwargs) - {"tracking"} or not stored_events:
            return self.recorder.insert_events(stored_events, **kwargs)
        mine = _Waiting(stored_events)
        with self._queue_lock:
            self._queue.append(mine)
        with self._writer:
            if not mine.written:  # nobody took it along: write the queue, ours included
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._write(group)
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _write(self, group: list[_Waiting]) -> None:
        if len(group) > 1:
            try:
                ids = self.recorder.insert_events([e for w in group for e in w.events])
            except IntegrityError:
                # A constraint refused a row before the commit, so nothing of the group is
                # stored: write each save on its own, so only the one that conflicts fails.
                pass
            except BaseException as e:
                # The outcome is unknown (the database went away, perhaps after committing):
                # every save of the group gets the error, exactly as it would have alone.
                for waiting in group:
                    waiting.error, waiting.written = e, True
                return
            else:
                offset = 0
                for waiting in group:
                    waiting.ids = list(ids[offset : offset + len(waiting.events)]) if ids else None
                    offset += len(waiting.events)
                    waiting.written = True
                return
        for waiting in group:
            try:
                waiting.ids = self.recorder.insert_events(waiting.events)
            except BaseException as e:  # handed to the save that made it
                waiting.error = e
            waiting.written = True
