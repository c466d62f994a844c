"""Cached aggregates hold decrypted personal data: an erasure clears them here, and age bounds them elsewhere."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.adapters.aggregate_cache import AggregateCache, forget_cached


def test_an_entry_older_than_its_bound_is_loaded_again():
    fresh, stale = AggregateCache(10, 100), AggregateCache(10, 100, max_age=0.0)
    for cache in (fresh, stale):
        cache.put("child", SimpleNamespace(version=3, given_name="Ewa"))
    assert fresh.get("child").given_name == "Ewa"
    with pytest.raises(KeyError):
        stale.get("child")


def test_an_erasure_forgets_every_cached_aggregate():
    cache = AggregateCache(10, 100)
    cache.put("card", SimpleNamespace(version=1))
    forget_cached(SimpleNamespace(cache=cache))
    with pytest.raises(KeyError):
        cache.get("card")
    forget_cached(SimpleNamespace(cache=None))  # no cache: nothing to do
