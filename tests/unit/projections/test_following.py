"""Following the log: exactly once, resumable after a crash, and rebuild equals live."""

from __future__ import annotations

import threading
from datetime import UTC, date, timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from projections.runner import Follower
from projections.views import open_view
from tests.unit.projections.history import generate


def register(services, world, name="Ala") -> UUID:
    return UUID(
        services.children.register(
            world.users["coordinator"].actor, given_name=name, family_name="Kot", date_of_birth=date(2015, 4, 3)
        )["id"]
    )


def test_rebuild_from_zero_equals_the_live_projection(services, world, clock):
    generate(services, world, clock, children=40, signals=2500)
    followers = services.followers
    for name in ("timeline", "risk"):  # the procedure's views: tests/projections/test_deadlines.py
        follower = followers[name]
        live_applied = follower.catch_up()
        assert live_applied > 0
        live = follower.view.dump()
        assert follower.rebuild() >= 2500
        assert follower.view.dump() == live
        assert follower.status()["lag"] == 0


def test_following_in_small_batches_gives_the_same_result_as_one_pass(services, world, clock):
    generate(services, world, clock, children=10, signals=300)
    follower = services.followers["timeline"]
    follower.batch_size = 7
    follower.catch_up()
    stepwise = follower.view.dump()
    follower.rebuild_batch_size = 10_000
    follower.rebuild()
    assert follower.view.dump() == stepwise


def test_a_crash_in_the_middle_of_a_batch_leaves_the_view_before_it(services, world, clock, monkeypatch):
    generate(services, world, clock, children=5, signals=60)
    follower = services.followers["timeline"]
    follower.batch_size = 25
    follower.catch_up(max_batches=1)
    before, position = follower.view.dump(), follower.view.position()
    calls = {"n": 0}
    original = type(follower.view).apply

    def dies_half_way(self, cursor, event, pos):
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("killed")
        return original(self, cursor, event, pos)

    monkeypatch.setattr(type(follower.view), "apply", dies_half_way)
    with pytest.raises(RuntimeError):
        follower.catch_up()
    assert follower.view.position() == position
    assert follower.view.dump() == before
    monkeypatch.setattr(type(follower.view), "apply", original)
    follower.catch_up()
    resumed = follower.view.dump()
    follower.rebuild()
    assert follower.view.dump() == resumed


def test_a_batch_applied_twice_is_refused_and_changes_nothing(services, world):
    register(services, world)
    follower = services.followers["timeline"]
    notes = follower.recorder.select_notifications(start=None, limit=1000, topics=follower.view.topics)
    events = [(follower.mapper.to_domain_event(n), n.id) for n in notes]
    follower.view.apply_batch(events, notes[-1].id)
    once = follower.view.dump()
    with pytest.raises(IntegrityError):
        follower.view.apply_batch(events, notes[-1].id)
    assert follower.view.dump() == once


def test_two_followers_of_one_view_never_double_count(services, world, clock, settings):
    generate(services, world, clock, children=5, signals=200)
    first = services.followers["timeline"]
    second_view = open_view(type(first.view).__mro__[1], settings.view_env("timeline"))
    second = Follower(second_view, first.recorder, first.mapper, batch_size=13)
    first.batch_size = 11
    threads = [threading.Thread(target=f.catch_up) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    together = first.view.dump()
    first.rebuild()
    assert first.view.dump() == together
    second_view.datastore.close()


def test_a_position_read_before_another_caught_up_is_refused_then_read_again_without_waiting(
    services, world, clock, monkeypatch
):
    """The views' positions are read together before each catch-up (one query on PostgreSQL);
    if another follower moved the view meanwhile, the stale start is refused and read again."""
    generate(services, world, clock, children=4, signals=40)
    follower = services.followers["timeline"]
    stale = follower.view.position()
    head = services.store.recorder.max_notification_id()
    services.followers["timeline"].catch_up()  # another follower got there first
    live = follower.view.dump()
    register(services, world, "Ola")  # something new to apply
    pauses = []
    monkeypatch.setattr("projections.runner.time.sleep", pauses.append)
    assert follower.catch_up(position=stale) == 1  # the registration, once
    assert pauses == [0.0]  # refused once, read again at once
    assert follower.view.position() == services.store.recorder.max_notification_id() > head
    assert len(follower.view.dump()["timeline_children"]) == len(live["timeline_children"]) + 1


def test_followers_read_the_head_and_every_position_together(services, world, clock):
    generate(services, world, clock, children=2, signals=10)
    followers = services.followers
    followers.catch_up(["risk"])
    head, positions = followers.positions(["timeline", "risk"])
    assert head == services.store.recorder.max_notification_id()
    assert positions == {"timeline": followers["timeline"].view.position(), "risk": head}
    assert followers.positions(["risk"], with_head=False) == (0, {"risk": head})


def test_status_reports_position_and_lag(services, world):
    follower = services.followers["risk"]
    follower.catch_up()
    register(services, world, "Ola")
    status = follower.status()
    assert status["lag"] >= 1 and status["head"] == status["position"] + status["lag"]
    follower.catch_up()
    assert follower.status()["lag"] == 0


def test_snapshots_keep_a_long_history_cheap_to_load(services, world, clock):
    child_id = register(services, world)
    school = world.users["school"].actor
    for n in range(250):
        services.children.record_signal(
            school, child_id, kind="unexplained_absence", observed_at=clock() - timedelta(hours=n)
        )
    snapshots = list(services.store.snapshots.get(child_id))
    assert [s.originator_version for s in snapshots] == [100, 200]
    assert services.store.repository.get(child_id).version == 251


def test_recorded_time_can_follow_the_test_clock(services, world, recorded_by_clock):
    from datetime import datetime

    recorded_by_clock.now = datetime(2025, 12, 24, 10, 0, tzinfo=UTC)
    child_id = register(services, world)
    events = services.children.events(world.users["coordinator"].actor, child_id)
    assert events[0]["recorded_at"].startswith("2025-12-24T10:00:00")
