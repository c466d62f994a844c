"""Wire the pages into the Flask app: session cookie, CSRF, languages, headers, blueprints."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, Response, request

from services.web import csrf
from services.web.i18n import init_i18n

_PREPARED: set[str] = set()
#: A signed-in session ends after this long, whatever the activity.
SESSION_HOURS = 8
#: The pages' own policy: no inline script or style at all (both live in /assets/).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def init_web(app: Flask) -> None:
    """Register the pages on ``app`` (after the services are in ``app.extensions``)."""
    from services.web import account_pages, erasure_pages, pages, procedure_pages, signin, subject_access_pages
    from services.web.common import register_errors

    services = app.extensions["safehub"]
    settings = services.settings
    # The session is signed with a key derived from the deployment secret, so every worker agrees.
    app.secret_key = hmac.new(settings.resolved_secret(), b"safehub web session", hashlib.sha256).hexdigest()
    app.config.update(
        SESSION_COOKIE_NAME="safehub_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    init_i18n(app, settings.timezone)
    app.jinja_env.globals["csrf_token"] = csrf.token
    for blueprint in (
        signin.blp,
        pages.blp,
        procedure_pages.blp,
        account_pages.blp,
        subject_access_pages.blp,
        erasure_pages.blp,
    ):
        if blueprint.name not in _PREPARED:  # blueprints are set up once, then registered on each app
            blueprint.before_request(csrf.protect)
            blueprint.after_request(_page_headers)
            register_errors(blueprint)
            _PREPARED.add(blueprint.name)
        app.register_blueprint(blueprint)


def _page_headers(response: Response) -> Response:
    """The pages' stricter CSP (no inline style either) and no caching of child data.

    Everything else (nosniff, frame options, referrer policy, HSTS) comes from
    services.security_headers for the whole app, which keeps a CSP a view has set.
    """
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers.setdefault("Cache-Control", "no-store")  # child data must not stay in a shared browser
    if request.path.startswith("/assets/"):
        response.headers["Cache-Control"] = "public, max-age=3600"
    return response
