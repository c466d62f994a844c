"""A projection batch busy in Python for longer than PostgreSQL lets a transaction idle still commits.

Inserts are queued and sent together (projections/views.py); eventsourcing sets
idle_in_transaction_session_timeout (5 s), so a batch that judged a child with a long
history for seconds without a statement was cut off by the server. It must keep talking.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

from projections.timeline import TimelineView
from services.bootstrap import build
from services.config import Settings
from tests.worlds import make_world


def test_a_batch_slower_than_the_idle_timeout_commits(postgres_url, tmp_path, monkeypatch):
    services = build(
        Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    )
    try:
        world = make_world(services.directory)
        school = world.users["school"]
        child = UUID(
            services.children.register(
                school.actor, given_name="Ola", family_name="Nowicka", date_of_birth=datetime(2015, 5, 14).date()
            )["id"]
        )
        for n in range(14):
            services.children.record_signal(
                school.actor,
                child,
                kind="behaviour_change",
                observed_at=datetime(2026, 2, 20, 8, tzinfo=UTC),
                details=str(n),
            )
        services.followers["timeline"].view.reset()
        apply = TimelineView.apply

        def slow_apply(self, cursor, event, position):
            apply(self, cursor, event, position)
            time.sleep(0.4)  # 15+ events: six seconds and more in one transaction

        monkeypatch.setattr(TimelineView, "apply", slow_apply)
        assert services.followers["timeline"].catch_up() > 15
        timeline = services.followers["timeline"].view
        assert len(timeline.entries([str(child)])) == 15  # the registration and 14 signals
    finally:
        services.close()
