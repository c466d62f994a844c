"""Bearer-token authentication for systems and scripts calling the API."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import Unauthorized

from domain.access import Actor
from services.http.context import services


def current_actor() -> Actor:
    """Return the caller, or answer 401 when the token is missing, unknown or revoked."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    actor = services().known_tokens.authenticate(token.strip())
    if actor is None:
        raise Unauthorized("the token is unknown or has been replaced")
    g.actor = actor
    return actor
