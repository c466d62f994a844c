"""Issue 21 finding, on PostgreSQL: an UPDATE leaves the old row in the table's pages.

Scrubbing a view's texts on PostgreSQL wrote new row versions and left the old ones (the
family's group name, the action's text, the child's name and signal details) as dead
tuples in the table files until some later VACUUM FULL, or for ever. The erasure's batch
now ends with ``VACUUM (FULL)`` of each scrubbed table (``ViewMixin.after_scrub``): this
test reads every byte of the database's files (after a CHECKPOINT, so shared buffers are
on disk) and finds none of the texts. The server's WAL is left out on purpose: it keeps
the row images until its segments are recycled, which the docstring names as the
deployment's to bound.
"""

from __future__ import annotations

import json

import psycopg
import pytest

from services.config import Settings
from tests.security.erasure_case import build_case, erase_child
from tests.security.test_read_models_scrubbed import IN_VIEWS

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_no_dead_tuple_keeps_the_erased_texts(client, world, services, settings, postgres_server):
    case = build_case(client, world)
    services.followers.catch_up()
    erase_child(client, world, case.child)
    services.followers.catch_up()

    dumps = json.dumps([services.followers[n].view.dump() for n in services.followers.names()], default=str)
    assert not [label for label, text in IN_VIEWS.items() if text in dumps]
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    folder = postgres_server.data_dir / "base" / str(oid)
    leaks = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        leaks += [f"{label} in base/{oid}/{path.name}" for label, text in IN_VIEWS.items() if text.encode() in data]
    assert not leaks, leaks


def test_no_dead_tuple_keeps_a_destroyed_key(client, world, services, settings, postgres_server):
    """The key table's UPDATE (wrapped = NULL) left the wrapped key in the table's files: with
    the wrapping key, anyone holding them could open the erased child's sealed texts again."""
    case = build_case(client, world)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        [wrapped] = conn.execute(
            "SELECT wrapped FROM safehub_subject_keys WHERE subject = %s", (str(case.child),)
        ).fetchone()
    assert wrapped
    erase_child(client, world, case.child)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        assert conn.execute(
            "SELECT wrapped FROM safehub_subject_keys WHERE subject = %s", (str(case.child),)
        ).fetchone() == (None,)
        conn.execute("CHECKPOINT")
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    folder = postgres_server.data_dir / "base" / str(oid)
    needle = wrapped.encode() if isinstance(wrapped, str) else bytes(wrapped)
    assert not [p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes()]
