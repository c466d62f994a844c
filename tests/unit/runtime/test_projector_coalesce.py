"""The in-process projector turns a burst of saves into few catch-ups, and still catches up."""

from __future__ import annotations

import threading
import time

from services.runtime.projecting import IN_PROCESS_COALESCE_SECONDS, InProcessProjector


class CountingFollowers:
    def __init__(self):
        self.calls = 0
        self.done = threading.Event()

    def catch_up(self):
        self.calls += 1
        self.done.set()


def test_a_burst_of_nudges_is_one_catch_up_not_one_each():
    followers = CountingFollowers()
    projector = InProcessProjector(followers, interval=60)
    projector.start()
    try:
        for _ in range(50):
            projector.nudge()
        assert followers.done.wait(5), "a nudge must lead to a catch-up"
        time.sleep(IN_PROCESS_COALESCE_SECONDS * 3)
        assert 1 <= followers.calls <= 3
    finally:
        projector.stop()


def test_stop_does_not_wait_out_the_coalescing_pause():
    projector = InProcessProjector(CountingFollowers(), interval=60)
    projector.start()
    projector.nudge()
    started = time.monotonic()
    projector.stop()
    assert time.monotonic() - started < 5
