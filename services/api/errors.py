"""One place that turns every failure into a JSON answer naming what went wrong.

A domain refusal becomes a 4xx with the reason; a malformed request names each field;
anything else is a bug, logged with its traceback and answered with a bare 500.
"""

from __future__ import annotations

import logging

from eventsourcing.persistence import IntegrityError, OperationalError
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound

log = logging.getLogger("safehub.api")


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

    @app.errorhandler(IntegrityError)
    def integrity(exc: IntegrityError):
        return error_body(409, "conflict", "the record changed concurrently too often; retry")

    @app.errorhandler(OperationalError)
    def unavailable(exc: OperationalError):
        log.warning("store unavailable: %s", type(exc).__name__)
        response = error_body(503, "unavailable", "the event store is unavailable; retry shortly")
        response.headers["Retry-After"] = "5"
        return response

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

    @app.errorhandler(Exception)
    def bug(exc: Exception):
        log.exception("unhandled error")
        return error_body(500, "internal_error", "an unexpected error occurred; it has been logged")
