"""Liveness and readiness for load balancers, and the interactive docs' static files."""

from __future__ import annotations

from flask import Blueprint, jsonify, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from services.http.context import services

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """Answer 200 when the event store answers, 503 otherwise."""
    try:
        position = services().store.recorder.max_notification_id() or 0
    except Exception:  # any store failure means "not ready"
        response = jsonify({"status": "unavailable", "store": "unreachable"})
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    backend = "postgresql" if services().settings.uses_postgres else "sqlite"
    return jsonify({"status": "ok", "store": backend, "position": position})


@blp.get("/api/v1/docs/static/<path:filename>")
def docs_static(filename: str):
    """Serve Swagger UI from the installed package, so the docs work offline."""
    return send_from_directory(str(swagger_ui_path), filename)
