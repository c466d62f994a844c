"""Issue 21, "Done means", on PostgreSQL: the erased child and adult are in no answer and no dump.

The same walk as ``tests/security/test_erasure_everywhere.py`` (every GET of the API and
the pages, the replays, the report's counts, the chain, the PESEL registering anew), with
the storage checked the PostgreSQL way: a ``pg_dump`` of the database (what a backup of
it holds), every byte of the database's files (dead tuples included, after a
CHECKPOINT), and the event log as the database alone opens it.
"""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from services.config import Settings
from tests.functional.web.conftest import cheap_hashes, logins  # noqa: F401 - fixtures
from tests.security.erasure_case import files_holding
from tests.security.test_erasure_everywhere import TEXTS, erase_and_look, found_in, log_leaks

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(postgres_settings: Settings) -> Settings:
    return postgres_settings


def test_erasing_a_child_and_an_adult_on_postgres(client, world, services, settings, app, logins, postgres_server):  # noqa: F811
    def storage() -> list[str]:
        dump = subprocess.run(
            [
                str((postgres_server.bindir / "initdb").resolve().parent / "pg_dump"),
                "--no-owner",
                settings.database_url,
            ],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "replace")
        found = [f"pg_dump: {label}" for label in found_in(dump)]
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
        found += [f"database file: {f}" for f in files_holding(postgres_server.data_dir / "base" / str(oid), TEXTS)]
        return found + log_leaks(services)

    leaks = erase_and_look(client, world, services, app, logins, storage)
    assert not leaks, "\n".join(leaks)
