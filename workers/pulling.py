"""One puller per projection at a time across all workers, and no nudge forgotten.

A Redis lock per projection keeps two workers from doing the same work (a duplicate
would be harmless, only wasted). A "dirty" flag set by every nudge makes the lock holder
go round once more, so a nudge that arrives while another worker is pulling is not lost.
The lock expires, so a worker killed mid-batch blocks nobody for long; its uncommitted
batch simply rolls back and the next puller starts from the tracked position.
"""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import LockError

from projections.runner import Follower, Followers

log = logging.getLogger("safehub.workers")


def pull_all(followers: Followers, redis: Redis, lock_seconds: int) -> dict[str, int]:
    """Catch every projection up, skipping those another worker is already pulling."""
    return {name: pull_one(followers[name], redis, lock_seconds) for name in followers.names()}


def pull_one(follower: Follower, redis: Redis, lock_seconds: int) -> int:
    """Catch one projection up under its lock; return the number of events applied."""
    dirty = f"safehub:pull:{follower.name}:dirty"
    redis.set(dirty, 1)
    lock = redis.lock(f"safehub:pull:{follower.name}:lock", timeout=lock_seconds, blocking=False)
    if not lock.acquire(blocking=False):
        return 0  # the holder will see the dirty flag and go round again
    applied = 0
    try:
        while True:
            redis.delete(dirty)
            while True:
                batch = follower.catch_up(max_batches=1)
                if not batch:
                    break
                applied += batch
                try:
                    lock.reacquire()  # still alive: keep the lock for another period
                except LockError:
                    log.warning("pull lock for %s expired mid-pull; the next nudge resumes", follower.name)
                    return applied
            if not redis.get(dirty):
                return applied
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("pull lock for %s expired before release", follower.name)
