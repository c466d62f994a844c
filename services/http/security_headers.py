"""Security headers on every response, set in one place for the whole app.

Child-protection data must not be framed by another site (clickjacking), sniffed into a
script by a browser, leaked in a Referer to another origin, or kept in a shared cache at
a school's front desk. A view may set its own Content-Security-Policy (a page that needs
more than the default) and keeps it; everything else is filled in here.

* JSON and other non-HTML answers: ``default-src 'none'`` - nothing in them may load.
* HTML pages: scripts only from this origin; inline styles allowed (the agenda page has a
  ``<style>`` block); forms post only here; never framed.
* The interactive API docs (Swagger UI) start with one inline script, so they alone get
  ``'unsafe-inline'`` for scripts; they show no child data.
"""

from __future__ import annotations

from flask import Flask, Response, request

#: The policy for anything that is not HTML.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: The policy for HTML pages.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: Swagger UI boots with an inline script and inline styles.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_PREFIX = "/api/v1/docs"

#: Set on every answer (unless a view set its own).
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
#: HTTPS only: browsers remember to never use plain HTTP for this host.
HSTS = "max-age=31536000; includeSubDomains"


def policy_for(path: str, mimetype: str | None) -> str:
    """The Content-Security-Policy for an answer on ``path`` of this media type."""
    if path.startswith(DOCS_PREFIX):
        return DOCS_POLICY
    if mimetype == "text/html":
        return PAGE_POLICY
    return API_POLICY


def add_security_headers(response: Response) -> Response:
    """Fill in the headers a view did not set itself."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy_for(request.path, response.mimetype))
    for name, value in COMMON.items():
        headers.setdefault(name, value)
    if request.path.startswith("/api/"):
        # API answers carry child data: never stored by a browser or a proxy on the way.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response of ``app`` (errors included)."""
    app.after_request(add_security_headers)
