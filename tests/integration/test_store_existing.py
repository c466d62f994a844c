"""SafehubStore.existing: which aggregates exist, in one query, on SQLite and on PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.indexes import Bucket
from services.adapters.event_store import open_store
from services.config import Settings


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var")}
    if request.param == "postgres":
        env["SAFEHUB_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    opened = open_store(Settings.from_env(env))
    yield opened
    opened.close()


def test_existing_names_exactly_the_stored_aggregates(store):
    stored = [Bucket(key=f"dob:{n}") for n in range(3)]
    store.save(*stored)
    unknown = [uuid4() for _ in range(1500)]  # more than one query's worth of ids
    assert store.existing([b.id for b in stored] + unknown) == {b.id for b in stored}
    assert store.existing([]) == set()
