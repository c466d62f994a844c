"""Structured logs: one JSON object per line, with the request id that caused the work.

The web process takes ``X-Request-ID`` from the caller (or makes one), answers with it,
and hands it to the Celery tasks it sends (a message header), so one id follows a write
from nginx through gunicorn to the worker that projected it. Log lines name ids, counts
and durations, never personal data: no child's name, PESEL or signal text, and no query
strings (a look-up by PESEL travels in one).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

#: The request (or task) being served in this thread / context.
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("safehub_request_id", default=None)
#: What a caller-supplied request id may look like (anything else is replaced by our own).
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
#: The attributes every LogRecord has; anything else was passed in ``extra=`` and is logged.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def new_request_id(given: str | None = None) -> str:
    """Use the caller's id when it is well formed, else make a new one."""
    if given and _VALID_ID.match(given):
        return given
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id of the work in hand, if any."""
    return request_id_var.get()


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, request id, extras."""

    def __init__(self, component: str | None = None, **kwargs: object):
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        """Render the record."""
        body: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,  # which gunicorn worker or Celery pool process said it
        }
        if self.component:
            body["component"] = self.component
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            body["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is at the moment (Celery and test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def configure_logging(component: str, level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (calling it again replaces ours)."""
    handler = _Stderr()
    handler.setFormatter(JsonFormatter(component))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_safehub", False):
            root.removeHandler(old)
    handler._safehub = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("safehub").setLevel(level.upper())


def logconfig_dict(component: str, level: str = "INFO") -> dict:
    """A ``logging.config.dictConfig`` for gunicorn: its own lines as JSON too."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "services.runtime.logs.JsonFormatter", "component": component}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }
