"""Celery tasks: plain values in, a service call, safe to repeat."""

from __future__ import annotations

import logging
from functools import lru_cache

from celery import shared_task
from redis import Redis

from services.bootstrap import Services, build
from services.config import Settings
from services.runtime.projecting import PULL_TASK
from services.usecases.deadlines import REMIND_TASK
from services.usecases.notifications import ESCALATE_TASK
from services.usecases.retention import RETENTION_TASK
from workers.pulling import pull_all

log = logging.getLogger("safehub.workers")


@lru_cache(maxsize=1)
def _runtime() -> tuple[Services, Redis]:
    """Build the services once per worker process (after the fork, never before)."""
    settings = Settings.from_env()
    return build(settings), Redis.from_url(settings.broker_url)


@shared_task(name=PULL_TASK, ignore_result=True)
def pull() -> dict[str, int]:
    """Apply whatever the log holds beyond each projection's position ("pull now")."""
    services, redis = _runtime()
    applied = pull_all(services.followers, redis, services.settings.pull_lock_seconds)
    if any(applied.values()):
        log.info("projections advanced: %s", applied)
    return applied


@shared_task(name=REMIND_TASK, ignore_result=True)
def remind_deadlines() -> dict[str, int]:
    """Raise the reminders for deadline items newly due soon or overdue (safe to repeat)."""
    services, _ = _runtime()
    return services.deadlines.remind()


@shared_task(name=ESCALATE_TASK, ignore_result=True)
def escalate_notifications() -> list[str]:
    """Escalate unacknowledged police notices past their due time (each only once)."""
    services, _ = _runtime()
    return services.notifications.escalate_overdue()


@shared_task(name=RETENTION_TASK, ignore_result=True)
def apply_retention_schedule() -> dict[str, int]:
    """List the children due for erasure by the retention schedule (safe to repeat: one notice each)."""
    services, _ = _runtime()
    return services.retention.run()
