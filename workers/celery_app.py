"""The Celery application: Redis as broker only, a pull task, and beat's periodic catch-up."""

from __future__ import annotations

from celery import Celery, signals

from services.config import Settings
from services.runtime.logs import configure_logging, new_request_id, request_id_var
from services.runtime.projecting import PULL_TASK, REQUEST_ID_HEADER
from services.usecases.deadlines import REMIND_TASK
from services.usecases.notifications import ESCALATE_TASK
from services.usecases.retention import RETENTION_TASK


def create_celery(settings: Settings | None = None) -> Celery:
    """Build the Celery app for the given (or environment's) settings."""
    settings = settings or Settings.from_env()
    app = Celery("safehub", broker=settings.broker_url, include=["workers.tasks"])
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        # Replace a child past the memory ceiling once its task is done (acks_late: a task
        # in flight is never lost); None turns the ceiling off.
        worker_max_memory_per_child=settings.worker_max_memory_mib * 1024 or None,
        broker_connection_retry_on_startup=True,
        timezone=settings.timezone,
        beat_schedule={
            "catch-up-projections": {"task": PULL_TASK, "schedule": settings.catch_up_seconds},
            # Deadline reminders (idempotent: one per item and stage, however often this runs).
            "raise-deadline-reminders": {"task": REMIND_TASK, "schedule": settings.remind_seconds or 300.0},
            # Police notices unacknowledged past their due time go to the coordinator (once each).
            "escalate-notifications": {"task": ESCALATE_TASK, "schedule": settings.escalate_seconds or 60.0},
            # The retention schedule: who is due for erasure, on the coordinator's list (once a day).
            "apply-retention-schedule": {"task": RETENTION_TASK, "schedule": settings.retention_seconds or 86400.0},
        },
    )
    return app


@signals.setup_logging.connect
def _json_logs(**_: object) -> None:
    """Log as JSON lines like the web processes (connecting this stops Celery's own set-up)."""
    configure_logging("celery", Settings.from_env().log_level)


@signals.task_prerun.connect
def _bind_request_id(task: object = None, **_: object) -> None:
    """Carry the id of the request whose write sent this task into the task's log lines."""
    given = getattr(getattr(task, "request", None), REQUEST_ID_HEADER, None)
    request_id_var.set(given or new_request_id())


@signals.task_postrun.connect
def _unbind_request_id(**_: object) -> None:
    request_id_var.set(None)
