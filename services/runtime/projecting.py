"""Running the projections: in the web process (embedded) or in Celery workers (production).

Either way a save only *nudges*: the follower reads the log itself, so a lost, repeated
or late nudge never loses or doubles anything. In-process, a background thread follows
the log and a read first catches up (read-your-writes). With Celery, the web process
sends a "pull now" message after writes (coalesced, in the background, so a broker
outage never slows or fails a write) and reads wait briefly for the workers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from projections.runner import Followers
from services.runtime.logs import current_request_id

log = logging.getLogger("safehub.projections")

#: How long the nudger waits after a write for more writes to join the same message.
COALESCE_SECONDS = 0.05
#: How long the in-process follower, once nudged, waits for more saves before catching up.
IN_PROCESS_COALESCE_SECONDS = 0.1
#: The Celery task name the web process sends and the workers serve.
PULL_TASK = "safehub.pull"
#: The message header that carries the request id of the write behind a nudge to the worker.
REQUEST_ID_HEADER = "safehub_request_id"


class InProcessProjector:
    """Follows the log on a daemon thread; reads catch up synchronously first."""

    def __init__(self, followers: Followers, interval: float):
        self.followers = followers
        self.interval = interval
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the background follower (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="safehub-projections", daemon=True)
            self._thread.start()

    def nudge(self) -> None:
        """Tell the follower there is something new."""
        self._wake.set()

    def before_read(
        self, position: int, names: Iterable[str] | None = None, positions: dict[str, int] | None = None
    ) -> bool:
        """Apply everything up to ``position`` (the log's head the caller just read) before a
        read, to the ``names`` views only if given, so a writer sees its own write.
        ``positions``: the views' positions, read with the head (not read again)."""
        self.followers.catch_up(names, head=position, positions=positions)
        return True

    def stop(self) -> None:
        """Stop the background thread and wait for a catch-up in progress to commit."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopped.is_set():
            if self._wake.wait(self.interval):
                # Let the saves of a burst join one catch-up: each catch-up commits every view
                # (an fsync each) whether it applies one event or fifty. Reads catch up first.
                self._stopped.wait(IN_PROCESS_COALESCE_SECONDS)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                self.followers.catch_up()
            except Exception:  # keep following; the error is logged and retried
                log.exception("projection catch-up failed")


class CeleryNudger:
    """Sends coalesced "pull now" messages to the workers from a background thread."""

    def __init__(self, followers: Followers, broker_url: str, read_wait: float):
        from celery import Celery

        self.followers = followers
        self.read_wait = read_wait
        self.client = Celery("safehub-web", broker=broker_url)
        self.client.conf.update(
            broker_connection_timeout=2,
            broker_connection_retry=False,
            broker_connection_max_retries=0,
            task_publish_retry=False,
        )
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._request_id: str | None = None

    def start(self) -> None:
        """Start the sender thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="safehub-nudger", daemon=True)
            self._thread.start()

    def nudge(self) -> None:
        """Ask for a pull soon; many writes in a burst become one message."""
        self.start()
        self._request_id = current_request_id()  # coalesced: the latest write's id goes along
        self._wake.set()

    def before_read(
        self, position: int, names: Iterable[str] | None = None, positions: dict[str, int] | None = None
    ) -> bool:
        """Wait a little for the workers to apply ``position`` (in the ``names`` views if given);
        ``positions`` read with the head may already show they have."""
        return self.followers.wait_until(position, self.read_wait, names, positions=positions)

    def stop(self) -> None:
        """Nothing to stop: the sender is a daemon thread."""

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(COALESCE_SECONDS)  # let a burst of writes become one message
            self._wake.clear()
            try:
                request_id = self._request_id
                headers = {REQUEST_ID_HEADER: request_id} if request_id else None
                self.client.send_task(PULL_TASK, ignore_result=True, headers=headers)
            except Exception as exc:  # broker down: the periodic catch-up will cover it
                log.warning("could not nudge the workers (%s); beat will catch up", type(exc).__name__)
