"""Who a bearer token belongs to, remembered per process while provably still so."""

from __future__ import annotations

from uuid import UUID

from domain.access import Actor
from projections.bounded_cache import BoundedCache
from services.adapters.event_store import SafehubStore
from services.adapters.tokens import token_hash
from services.usecases.base import UseCase
from services.usecases.directory import Directory

#: How many tokens' answers a web process keeps (a few per calling system or person).
KNOWN_TOKENS = 4096


class KnownTokens(UseCase):
    """Who each recently seen token belongs to, kept only while it is provably still so.

    Reading the token's pointer, its user and the user's agency afresh costs three
    aggregate reads per request, each a query under the repository's per-aggregate lock,
    which every request of one calling system queues for (they share the user). Here the
    answer is kept with the versions of those aggregates, and each request checks them in
    ONE query: a replaced token, a deactivated user, a changed role, written by this or
    any other process, is a newer version, and the token is looked up again at once.
    Only the token's hash is kept; an unknown or stale token is never remembered.
    """

    def __init__(self, directory: Directory, store: SafehubStore, size: int = KNOWN_TOKENS):
        super().__init__(store)
        self.directory = directory
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
