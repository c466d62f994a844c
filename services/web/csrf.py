"""CSRF protection for the pages: a random token per session, required on every POST.

The session cookie is SameSite=Lax already; the token closes the remaining gaps (an old
browser, a same-site subdomain). A POST without the right token is refused with 400
before the view runs.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

FIELD = "csrf_token"


def token() -> str:
    """The session's token, created on first use (also before sign-in: the sign-in form needs it)."""
    value = session.get("csrf")
    if not value:
        value = session["csrf"] = secrets.token_urlsafe(32)
    return value


def renew() -> None:
    """A new token after sign-in, so a token seen before it is worthless."""
    session["csrf"] = secrets.token_urlsafe(32)


def protect() -> None:
    """Refuse a state-changing request whose form token does not match the session's."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get("csrf")
    given = request.form.get(FIELD, "")
    if not expected or not given or not hmac.compare_digest(expected, given):
        abort(400, description="csrf")
