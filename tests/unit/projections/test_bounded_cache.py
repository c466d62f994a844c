"""Read caches are bounded by what they hold (rows, events), so memory stays flat as histories grow."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from domain.children import Child
from projections.bounded_cache import BoundedCache
from services.adapters.aggregate_cache import AggregateCache
from services.adapters.event_store import SafehubStore


def test_the_least_recently_used_entries_go_when_the_weight_is_over_budget():
    cache: BoundedCache[list[int]] = BoundedCache(max_entries=10, max_weight=10)
    cache.put("a", [1] * 4)
    cache.put("b", [1] * 4)
    assert cache.get("a") == [1] * 4  # "a" is now the most recently used
    cache.put("c", [1] * 4)  # 12 > 10: the least recently used ("b") goes
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.weight == 8


def test_the_entry_count_still_bounds_light_entries():
    cache: BoundedCache[list[int]] = BoundedCache(max_entries=2, max_weight=1000)
    for key in "abc":
        cache.put(key, [1])
    assert len(cache) == 2 and "a" not in cache


def test_an_entry_heavier_than_the_budget_is_not_kept_and_flushes_nothing():
    cache: BoundedCache[list[int]] = BoundedCache(max_entries=10, max_weight=10)
    cache.put("a", [1] * 5)
    cache.put("huge", [1] * 11)
    assert "huge" not in cache and cache.get("a") == [1] * 5


def test_a_value_that_grew_in_place_is_weighed_again():
    cache: BoundedCache[list[int]] = BoundedCache(max_entries=10, max_weight=12)
    cache.put("a", [1] * 3)
    cache.put("b", [1] * 3)
    grown = cache.get("b")
    grown.extend([1] * 5)
    cache.reweigh("b")
    assert cache.weight == 3 + 8
    grown.extend([1] * 5)  # 13 on its own: more than the whole budget
    cache.reweigh("b")
    assert "b" not in cache and cache.weight == 3 and "a" in cache


def _child_with_signals(store: SafehubStore, signals: int) -> Child:
    now = datetime(2026, 3, 3, tzinfo=UTC)
    child = Child.register(
        municipality_id=uuid4(),
        given_name="Ola",
        family_name="Nowak",
        date_of_birth=date(2015, 5, 14),
        pesel=None,
        school_id=None,
        registered_by=uuid4(),
        agency_id=uuid4(),
        today=now.date(),
    )
    for _ in range(signals):
        child.record_signal(
            kind="behaviour_change",
            observed_at=now,
            details="x" * 50,
            severity=None,
            days=None,
            agency_id=uuid4(),
            agency_kind="school",
            author_id=uuid4(),
            author_role="submitter",
            now=now,
        )
    store.save(child)
    return child


def test_the_store_caches_aggregates_within_an_event_budget_and_still_serves_every_child():
    store = SafehubStore(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.popo",
            "AGGREGATE_CACHE_MAXSIZE": "100",
            "AGGREGATE_CACHE_FASTFORWARD": "y",
            "AGGREGATE_CACHE_EVENTS": "60",
        }
    )
    cache = store.repository.cache
    assert isinstance(cache, AggregateCache)
    children = [_child_with_signals(store, 20) for _ in range(5)]  # 21 events each, 105 in all
    for child in children:
        assert store.repository.get(child.id).version == 21
    assert cache.entries.weight <= 60 and len(cache.entries) == 2
    # A cached child that grows (another process appended) is weighed again when read.
    last = store.repository.get(children[-1].id)
    for _ in range(30):
        last.record_signal(
            kind="behaviour_change",
            observed_at=datetime(2026, 3, 4, tzinfo=UTC),
            details="y",
            severity=None,
            days=None,
            agency_id=uuid4(),
            agency_kind="school",
            author_id=uuid4(),
            author_role="submitter",
            now=datetime(2026, 3, 4, tzinfo=UTC),
        )
    store.save(last)
    assert store.repository.get(children[-1].id).version == 51
    assert cache.entries.weight <= 60
