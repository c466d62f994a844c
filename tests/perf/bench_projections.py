"""Measure projection rebuild speed and timeline/risk read latency (prints figures; not a test).

    python -m tests.perf.bench_projections --events 100000 [--data-dir DIR] [--database-url URL]

A synthetic history is written in bulk through the domain aggregates (many signals per
save), then every projection is rebuilt from zero, and the timeline and risk of a child
with 1,000 events are read repeatedly through the Flask test client.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from domain.children import Child
from domain.signals import kinds_for_agency
from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.worlds import make_world

AGENCY_USERS = ("school", "police", "health", "day_centre", "case_worker")


def generate(svc, world, events: int, big_child_events: int, seed: int = 1) -> UUID:
    """Write ``events`` signals over many children; one child gets ``big_child_events``."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    actors = [world.users[u].actor for u in AGENCY_USERS]
    coordinator = world.users["coordinator"].actor
    children_count = max(10, events // 20)
    per_save = 200
    written = 0
    big = None
    for start in range(0, children_count, per_save):
        batch = []
        for i in range(start, min(children_count, start + per_save)):
            child = Child.register(
                municipality_id=world.municipality_id,
                given_name=f"D{i}",
                family_name=f"T{i}",
                date_of_birth=date(2010, 1, 1) + timedelta(days=i % 5000),
                pesel=None,
                school_id=None,
                registered_by=coordinator.user_id,
                agency_id=None,
                today=now.date(),
            )
            count = big_child_events if i == 0 else rng.randint(5, 35)
            for _ in range(count):
                actor = rng.choice(actors)
                kind = rng.choice(kinds_for_agency(actor.agency_kind)).code
                child.record_signal(
                    kind=kind,
                    observed_at=now - timedelta(minutes=rng.randint(1, 500_000)),
                    details="x" * rng.randint(10, 200),
                    severity=None,
                    days=None,
                    agency_id=actor.agency_id,
                    agency_kind=actor.agency_kind,
                    author_id=actor.user_id,
                    author_role=actor.role,
                    now=now,
                )
            written += count + 1
            batch.append(child)
            if i == 0:
                big = child.id
            if written >= events:
                break
        svc.store.save(*batch)
        if written >= events:
            break
    return big


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--big-child-events", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    env = {"SAFEHUB_DATA_DIR": args.data_dir or tempfile.mkdtemp(prefix="safehub-bench-")}
    if args.database_url:
        env["SAFEHUB_DATABASE_URL"] = args.database_url
    svc = build(Settings.from_env(env))
    world = make_world(svc.directory)
    started = time.perf_counter()
    big = generate(svc, world, args.events, args.big_child_events)
    head = svc.store.recorder.max_notification_id()
    print(f"generated {head:,} stored events in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    notes = 0
    position = 0
    while True:
        batch = svc.store.recorder.select_notifications(start=position, limit=1000, inclusive_of_start=False)
        if not batch:
            break
        notes += len(batch)
        position = batch[-1].id
    raw = time.perf_counter() - started
    print(f"raw sequential read: {notes:,} notifications in {raw:.2f}s ({notes / raw:,.0f}/s)")

    for name in svc.followers.names():
        started = time.perf_counter()
        applied = svc.followers[name].rebuild()
        elapsed = time.perf_counter() - started
        print(f"rebuild {name}: {applied:,} events in {elapsed:.1f}s ({applied / elapsed:,.0f} events/s)")

    client = create_app(services=svc).test_client()
    headers = world.users["coordinator"].headers
    for path in ("timeline", "risk"):
        timings = []
        for _ in range(args.reads):
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/children/{big}/{path}", headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        size = len(response.json.get("entries") or response.json.get("contributions"))
        print(
            f"{path} of a child with {size} entries: p50 {percentile(timings, 50):.1f} ms, "
            f"p95 {percentile(timings, 95):.1f} ms, p99 {percentile(timings, 99):.1f} ms"
        )
    svc.close()


if __name__ == "__main__":
    main()
