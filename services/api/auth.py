"""Bearer-token authentication for systems and scripts calling the API."""

from __future__ import annotations

from uuid import UUID

from flask import current_app, g, request
from werkzeug.exceptions import Unauthorized

from domain.access import Actor
from projections.bounded_cache import BoundedCache
from services.adapters.tokens import token_hash

#: How many tokens' answers a web process keeps (a few per calling system or person).
KNOWN_TOKENS = 4096


class KnownTokens:
    """Who each recently seen token belongs to, kept only while it is provably still so.

    Reading the token's pointer, its user and the user's agency afresh costs three
    aggregate reads per request, each a query under the repository's per-aggregate lock,
    which every request of one calling system queues for (they share the user). Here the
    answer is kept with the versions of those aggregates, and each request checks them in
    ONE query: a replaced token, a deactivated user, a changed role, written by this or
    any other process, is a newer version, and the token is looked up again at once.
    Only the token's hash is kept; an unknown or stale token is never remembered.
    """

    def __init__(self, directory, store, size: int = KNOWN_TOKENS):
        self.directory = directory
        self.store = store
        self._known: BoundedCache[tuple[Actor, dict[UUID, int]]] = BoundedCache(size, size, weigh=lambda _: 1)

    def authenticate(self, token: str) -> Actor | None:
        """The actor the token belongs to now, or None."""
        digest = token_hash(token)
        known = self._known.get(digest)
        if known is not None and self.store.versions(list(known[1])) == known[1]:
            return known[0]
        found = self.directory.authenticate_with_basis(token)
        if found is None:
            self._known.pop(digest)
            return None
        self._known.put(digest, found)
        return found[0]


def known_tokens() -> KnownTokens:
    """This app's token answers (one per app, built on first use)."""
    known = current_app.extensions.get("safehub_tokens")
    if known is None:
        svc = current_app.extensions["safehub"]
        known = current_app.extensions.setdefault("safehub_tokens", KnownTokens(svc.directory, svc.store))
    return known


def current_actor() -> Actor:
    """Return the caller, or answer 401 when the token is missing, unknown or revoked."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    actor = known_tokens().authenticate(token.strip())
    if actor is None:
        raise Unauthorized("the token is unknown or has been replaced")
    g.actor = actor
    return actor
