"""Serve the app with waitress from inside the ``safehub`` command (the embedded mode).

The embedded mode runs one process with threads, so the in-process projections (and
SQLite's single writer) see every write; production runs gunicorn behind nginx from deploy/.

Why waitress here: gunicorn's threaded worker lends a thread to a connection as soon as its
first bytes arrive and the thread then blocks until the request head is complete, so eight
clients that never finish a head (one per thread) stopped the server for as long as they
stayed connected. waitress reads heads and bodies in its event loop, without a worker thread,
and hands a thread only a complete request; its ``channel_timeout`` closes a connection that
has sent nothing for ``idle_connection_seconds`` (a head never finished included). Those are
the server's own settings: nothing here times anything by hand.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from types import FrameType

from flask import Flask
from waitress.server import create_server

from services.config import Settings
from services.runtime.logs import configure_logging

log = logging.getLogger("safehub.server")
#: Connections at once (each an open file; the event loop polls them, so past select()'s 1024).
CONNECTION_LIMIT = 500
#: A request body may be this much larger than the app's own limit before waitress refuses it
#: itself: up to there the app answers, with its JSON 413 naming the limit.
BODY_SLACK = 1024 * 1024


def serve(factory: Callable[[], Flask], host: str, port: int, threads: int = 8) -> None:
    """Serve until interrupted: Ctrl+C or SIGTERM stop it cleanly (requests in hand finish first)."""
    app = factory()
    services = app.extensions.get("safehub")  # absent on a bare app (the perf floors serve one)
    settings = services.settings if services is not None else Settings.from_env()
    configure_logging("web", settings.log_level)  # JSON lines on stderr, waitress's own lines too
    idle = max(1, settings.idle_connection_seconds)
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=idle,
        cleanup_interval=max(1, idle // 3),  # how often idle connections are looked for
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,
        max_request_body_size=(app.config.get("MAX_CONTENT_LENGTH") or settings.max_body_bytes) + BODY_SLACK,
        ident="safehub",
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    log.info("serving", extra={"host": host, "port": port, "threads": threads, "idle_timeout_s": idle})
    try:
        server.run()  # returns after SystemExit or KeyboardInterrupt, its threads shut down
    finally:
        signal.signal(signal.SIGTERM, previous)
        if services is not None:
            services.close()
        log.info("stopped")


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM: leave the event loop as Ctrl+C does."""
    raise SystemExit(0)
