"""A generated, realistic-enough history: many children, every agency, corrections, merges."""

from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import UUID

from domain.signals import kinds_for_agency
from services.bootstrap import Services
from tests.worlds import World

SUBMITTERS = ("school", "police", "health", "day_centre", "case_worker")


def generate(services: Services, world: World, clock, *, children: int, signals: int, seed: int = 7) -> list[UUID]:
    """Register children and spread signals, corrections, retractions and a few merges over them."""
    rng = random.Random(seed)
    coordinator = world.users["coordinator"].actor
    ids = [
        UUID(
            services.children.register(
                coordinator,
                given_name=f"Dziecko{i}",
                family_name=f"Testowe{i}",
                date_of_birth=date(2012, 1, 1) + timedelta(days=i),
            )["id"]
        )
        for i in range(children)
    ]
    recorded: list[tuple[UUID, UUID, str]] = []
    for n in range(signals):
        who = world.users[rng.choice(SUBMITTERS)]
        kind = rng.choice(kinds_for_agency(who.actor.agency_kind)).code
        child = rng.choice(ids)
        observed = clock() - timedelta(days=rng.randint(0, 400), minutes=n)
        signal, _ = services.children.record_signal(
            who.actor, child, kind=kind, observed_at=observed, details=f"obserwacja {n}"
        )
        recorded.append((child, UUID(signal["id"]), who.id.hex))
        if n % 17 == 0:
            services.children.correct_signal(
                who.actor, UUID(signal["child_id"]), UUID(signal["id"]), severity="high", reason="ponowna ocena"
            )
        if n % 29 == 0:
            services.children.retract_signal(who.actor, UUID(signal["child_id"]), UUID(signal["id"]), reason="pomyłka")
    for source, target in zip(ids[:3], ids[3:6], strict=False):
        services.children.merge(coordinator, source, target, reason="duplikat")
    return ids
