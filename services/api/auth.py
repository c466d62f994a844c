"""Bearer-token authentication for systems and scripts calling the API."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from flask import current_app, g, request
from werkzeug.exceptions import Unauthorized

from domain.access import Actor
from services.tokens import token_hash

#: How many recently used tokens keep their actor in memory (per process).
KNOWN_TOKENS = 1024


class KnownTokens:
    """The actors of recently used tokens, each trusted only while its user is unchanged.

    An actor is built from the user (role, municipality, agency, whether it is active and
    which token is current) and the user's agency (whose kind never changes). Every
    change to a user - a new token, a deactivation - is an event on that user, so a
    kept actor is reused only when the user's latest stored version is still the one it
    was built from: one indexed look-up instead of loading three aggregates, and a
    replaced or revoked token is refused at once, in every process.
    """

    def __init__(self, size: int = KNOWN_TOKENS):
        self.size = size
        self._items: OrderedDict[str, tuple[UUID, int, Actor]] = OrderedDict()
        self._lock = threading.Lock()

    def actor(self, svc: Any, token: str) -> Actor | None:
        """The actor of a valid token, or None."""
        digest = token_hash(token)
        with self._lock:
            known = self._items.get(digest)
        if known is not None:
            user_id, version, actor = known
            latest = svc.store.recorder.select_events(user_id, desc=True, limit=1)
            if latest and latest[0].originator_version == version:
                with self._lock:
                    if digest in self._items:
                        self._items.move_to_end(digest)
                return actor
        user = svc.directory.token_user(token)
        if user is None:
            with self._lock:
                self._items.pop(digest, None)
            return None
        actor = svc.directory.actor_for(user)
        with self._lock:
            self._items[digest] = (user.id, user.version, actor)
            self._items.move_to_end(digest)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return actor


def current_actor() -> Actor:
    """Return the caller, or answer 401 when the token is missing, unknown or revoked."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    known = current_app.extensions.get("safehub.tokens")
    if known is None:
        known = current_app.extensions.setdefault("safehub.tokens", KnownTokens())
    actor = known.actor(current_app.extensions["safehub"], token.strip())
    if actor is None:
        raise Unauthorized("the token is unknown or has been replaced")
    g.actor = actor
    return actor
