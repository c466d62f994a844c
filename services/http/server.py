"""Serve the app with gunicorn from inside the ``safehub`` command.

The embedded mode runs one process with threads, so the in-process projections (and
SQLite's single writer) see every write; production runs gunicorn from deploy/.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from services.runtime.logs import logconfig_dict


class _AppLogsRequests(Logger):
    """gunicorn's logger, minus the access line when its logger would drop it anyway.

    gunicorn builds the line's atoms for every request whenever a logging configuration
    is given; the app logs each request itself and the access logger sits at WARNING.
    """

    def access(self, resp, req, environ, request_time) -> None:
        """Build and log the access line only if it would be written."""
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)


class _Embedded(BaseApplication):
    """Builds the app in the worker, after the fork: connections and threads never cross it."""

    def __init__(self, factory: Callable[[], Flask], options: dict):
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.factory()


def serve(factory: Callable[[], Flask], host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted (Ctrl+C or SIGTERM stop it cleanly)."""
    _Embedded(
        factory,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            # JSON lines; the app logs each request (URL rule, status, time; never the query string).
            "accesslog": None,
            "logger_class": _AppLogsRequests,
            "logconfig_dict": logconfig_dict("web"),
        },
    ).run()
