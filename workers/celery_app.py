"""The Celery application: Redis as broker only, a pull task, and beat's periodic catch-up."""

from __future__ import annotations

from celery import Celery

from services.config import Settings
from services.deadlines import REMIND_TASK
from services.notifications import ESCALATE_TASK
from services.projecting import PULL_TASK


def create_celery(settings: Settings | None = None) -> Celery:
    """Build the Celery app for the given (or environment's) settings."""
    settings = settings or Settings.from_env()
    app = Celery("safehub", broker=settings.broker_url, include=["workers.tasks"])
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone=settings.timezone,
        beat_schedule={
            "catch-up-projections": {"task": PULL_TASK, "schedule": settings.catch_up_seconds},
            # Deadline reminders (idempotent: one per item and stage, however often this runs).
            "raise-deadline-reminders": {"task": REMIND_TASK, "schedule": settings.remind_seconds or 300.0},
            # Police notices unacknowledged past their due time go to the coordinator (once each).
            "escalate-notifications": {"task": ESCALATE_TASK, "schedule": settings.escalate_seconds or 60.0},
        },
    )
    return app
