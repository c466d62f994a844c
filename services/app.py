"""The Flask application factory: the JSON API under ``/api/v1``, the pages and the HTTP plumbing."""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from services.api import (
    access_grants,
    audit,
    children,
    directory,
    erasure,
    health,
    help_plans,
    imports,
    retention,
    signals,
    subject_access,
    time_cards,
    timelines,
)
from services.api import blue_cards as blue_cards_api
from services.api import deadlines as deadlines_api
from services.api import groups as groups_api
from services.api import notifications as notifications_api
from services.api import reports as reports_api
from services.api.schemas import ErrorSchema
from services.bootstrap import Services, build
from services.config import Settings
from services.http import ops
from services.http.auth import current_actor
from services.http.errors import register_error_handlers, size_text
from services.web.app import init_web

#: Requests whose bodies must be JSON (the CSV import adds its own rule later).
_JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: Endpoints that take a file instead of JSON.
_FILE_PATHS = frozenset({"/api/v1/signals/import"})
#: The endpoints that take a CSV import (the API's and the page's): a tighter size limit.
_IMPORT_ENDPOINTS = frozenset({"imports.Import", "pages.import_csv"})
#: Paths under ``/api/v1`` anyone may read: the API description and its interactive docs.
_PUBLIC_PREFIXES = ("/api/v1/openapi.json", "/api/v1/docs")
#: The one write without a bearer token: a person claims their first token with both setup codes.
_PUBLIC_PATHS = frozenset({"/api/v1/activation"})


class SafehubApi(Api):
    """flask-smorest's Api with our error body documented for every error response."""

    ERROR_SCHEMA = ErrorSchema


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the app; tests pass their own settings or already-built services."""
    app = Flask(__name__)
    if services is None:
        services = build(settings or Settings.from_env())
    app.extensions["safehub"] = services
    app.config.update(
        MAX_CONTENT_LENGTH=services.settings.max_body_bytes,
        API_TITLE="safehub",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/static/",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Multi-agency child-protection data sharing. "
                "Authenticate with 'Authorization: Bearer <token>'."
            },
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    app.json.ensure_ascii = False  # Polish names stay readable in responses
    app.json.sort_keys = False  # sorting every key of a 1,000-entry timeline costs more than it helps
    api = SafehubApi(app)
    for module in (
        directory,
        access_grants,
        children,
        signals,
        timelines,
        help_plans,
        time_cards,
        notifications_api,
        audit,
        imports,
        erasure,
        retention,
        subject_access,
        blue_cards_api,
        groups_api,
        deadlines_api,
    ):
        api.register_blueprint(module.blp)
    api.register_blueprint(reports_api.blp)  # /api/v1/reports: the programme report and statistics
    api.register_blueprint(erasure.person_blp)  # /api/v1/persons/{id}/erasure: adults named in a case
    api.register_blueprint(subject_access.person_blp)  # /api/v1/persons/{id}/subject-access
    app.register_blueprint(health.blp)
    ops.init_app(app)  # /metrics, X-Request-ID, a JSON log line per request
    register_error_handlers(app)
    init_web(app)  # the pages for people (services/web): sign-in, timelines, forms, agendas
    services.projector.start()
    if services.reminders is not None:
        services.reminders.start()
    if services.escalator is not None:
        services.escalator.start()
    if services.retention_job is not None:
        services.retention_job.start()
    app.before_request(_authenticate)
    app.before_request(_require_json_bodies)
    app.before_request(_limit_imports)  # app-level: before the pages' CSRF check reads the form
    logging.getLogger("safehub").setLevel(logging.INFO)
    return app


def _authenticate() -> None:
    """Answer 401 before the body or query is parsed, so a stranger learns nothing from 4xx details."""
    if (
        request.method != "OPTIONS"
        and request.path.startswith("/api/v1/")
        and not request.path.startswith(_PUBLIC_PREFIXES)
        and request.path not in _PUBLIC_PATHS
    ):
        current_actor()


def _require_json_bodies() -> None:
    """Refuse a write whose body is not JSON with 415 rather than guessing."""
    if request.method in _JSON_METHODS and request.path.startswith("/api/v1/") and request.path not in _FILE_PATHS:
        if request.content_length and not request.is_json:
            raise UnsupportedMediaType("send the body as application/json")


def _limit_imports() -> None:
    """Hold an import to its own size limit, refused from the declared length before the body is read.

    A body sent without a length (chunked) is cut by werkzeug at the same limit as it is read.
    """
    if request.endpoint in _IMPORT_ENDPOINTS and request.method == "POST":
        limit = current_app.extensions["safehub"].settings.import_size_limit
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge(
                f"the file is too large: at most {size_text(limit)}; split it into smaller files"
            )
