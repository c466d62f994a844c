"""One place that turns every failure into a JSON answer naming what went wrong.

A domain refusal becomes a 4xx with the reason; a malformed request names each field; a
store that cannot be reached is a 503 with ``Retry-After`` (PostgreSQL down: at once, see
services.api.availability); a caller past a per-user rate is a 429 with ``Retry-After``; a
full disk is a 507 saying nothing was saved; anything else is a bug, logged with its
traceback and answered with a bare 500.
"""

from __future__ import annotations

import errno
import logging

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from flask import Flask, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.adapters.breaker import PAUSE_SECONDS, StoreBreaker
from services.adapters.rate_limits import RateLimited

log = logging.getLogger("safehub.api")
#: What SQLite (and the OS) say when the disk or the database file cannot grow.
_DISK_FULL = ("database or disk is full", "no space left on device")
#: The blueprints that serve pages (services.web): their errors are pages, not JSON.
PAGE_BLUEPRINTS = ("signin", "pages", "procedure")


def error_body(status: int, error: str, message: str, **extra: object):
    """Build a JSON error response."""
    body = {"error": error, "message": message}
    body.update({k: v for k, v in extra.items() if v})
    response = jsonify(body)
    response.status_code = status
    return response


def _flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"field.sub": ["problem"]}``."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_request": list(messages)}
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(_flatten(value, f"{prefix}[{i}]"))
    return flat


def _webargs_errors(exc: HTTPException) -> dict[str, list[str]]:
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    flat: dict[str, list[str]] = {}
    for location, fields_messages in messages.items():
        for name, problems in _flatten(fields_messages).items():
            key = name if location in ("json", "query", "form", "files") else f"{location}.{name}"
            flat[key] = problems
    return flat


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers to the app."""

    @app.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput):
        return error_body(422, "invalid_input", "the request has invalid fields", errors=exc.errors)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_body(404, "not_found", str(exc))

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return error_body(403, "forbidden", str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict):
        return error_body(409, "conflict", str(exc), details=exc.details)

    @app.errorhandler(RateLimited)
    def too_many(exc: RateLimited):
        response = error_body(429, "too_many_requests", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(IntegrityError)
    def integrity(exc: IntegrityError):
        return error_body(409, "conflict", "the record changed concurrently too often; retry")

    breaker = _breaker(app)

    @app.before_request
    def fail_fast_while_the_database_is_down():
        if breaker is None or not _needs_the_database():
            return None
        wait = breaker.retry_after()
        if wait is not None:
            return _unavailable(wait)
        g.breaker_serial = breaker.begin()
        return None

    @app.teardown_request
    def request_done(exc: BaseException | None) -> None:
        serial = g.pop("breaker_serial", None)
        if breaker is not None and serial is not None:
            breaker.end(serial)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def unavailable(exc: Exception):
        if _disk_full(exc):
            log.error("store cannot grow: the disk is full")
            return error_body(
                507,
                "insufficient_storage",
                "the server's disk is full: nothing was saved; an administrator must free space, "
                "then send the request again",
            )
        log.warning("store unavailable: %s: %s", type(exc).__name__, exc)
        if breaker is not None:
            breaker.trip()
        return _unavailable(round(PAUSE_SECONDS) if breaker is not None else 5)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        errors = _webargs_errors(exc)
        if errors:
            return error_body(status, "invalid_input", "the request has invalid fields", errors=errors)
        name = (exc.name or "error").lower().replace(" ", "_")
        response = error_body(status, name, exc.description or exc.name or "error")
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="safehub"'
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(RecursionError)
    def too_deep(exc: RecursionError):
        if request.is_json:  # json.loads gives up on a body nested thousands of levels deep
            return error_body(
                400,
                "invalid_input",
                "the request has invalid fields",
                errors={"_request": ["the JSON body is nested too deeply"]},
            )
        log.exception("unhandled error")
        return error_body(500, "internal_error", "an unexpected error occurred; it has been logged")

    @app.errorhandler(OverflowError)
    def out_of_range(exc: OverflowError):
        # A moment near year 1 or 9999 overflows when moved to UTC for a comparison.
        return error_body(
            422,
            "invalid_input",
            "the request has invalid fields",
            errors={"_request": ["a date or time is outside the supported range"]},
        )

    @app.errorhandler(OSError)
    def os_error(exc: OSError):
        if _disk_full(exc):
            log.error("cannot write: the disk is full")
            return error_body(
                507,
                "insufficient_storage",
                "the server's disk is full: nothing was saved; an administrator must free space, "
                "then send the request again",
            )
        log.exception("unhandled error")
        return error_body(500, "internal_error", "an unexpected error occurred; it has been logged")

    @app.errorhandler(Exception)
    def bug(exc: Exception):
        log.exception("unhandled error")
        return error_body(500, "internal_error", "an unexpected error occurred; it has been logged")


def size_text(limit: int) -> str:
    """A byte count as people read it (4 MiB, 512 KiB, 100 bytes), the same in every language."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if limit >= size:
            return f"{limit / size:.3g} {unit}"
    return f"{limit} bytes"


def _breaker(app: Flask) -> StoreBreaker | None:
    """The process's breaker (built by services.bootstrap; None on the embedded store)."""
    services = app.extensions.get("safehub")
    return services.breaker if services is not None else None


def _needs_the_database() -> bool:
    """The API and the pages do; static files, health and metrics answer without it."""
    endpoint = request.endpoint or ""
    return request.path.startswith("/api/") or (
        request.blueprint in PAGE_BLUEPRINTS and not endpoint.endswith(".static")
    )


def _unavailable(retry_after: int):
    """503: the database is unreachable; the body says so and when to try again.

    A page gets a page (in the reader's language), an API client the JSON it can act on.
    """
    if request.blueprint in PAGE_BLUEPRINTS:
        page = current_app.jinja_env.get_template("web/unavailable.html").render(retry_after=retry_after)
        response = current_app.response_class(page, status=503, mimetype="text/html")
    else:
        response = error_body(
            503,
            "unavailable",
            f"the database is unreachable; nothing was saved; retry in {retry_after} s (with the same Idempotency-Key)",
        )
    response.headers["Retry-After"] = str(retry_after)
    return response


def _disk_full(exc: BaseException) -> bool:
    """True when the failure (or what caused it) is the disk or the database file being full."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if any(text in str(seen).lower() for text in _DISK_FULL):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
