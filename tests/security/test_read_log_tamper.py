"""Finding 3 (its root): the read log could be rewritten unseen.

The read audit is what the case owner and the auditor trust to know who looked; an insider
with the database could delete the line of their own read and nobody would know. Now each
line carries a link chained to the municipality's previous line (as the events are) and
``safehub audit verify`` (and ``/api/v1/audit/verify`` for the auditor) recomputes it: a
deleted, edited or reordered line is reported with where. Lines written before the chain
existed are counted as legacy, not judged. Appends from several processes take turns on
the chain (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from click.testing import CliRunner

from services.bootstrap import build
from services.cli import main
from services.config import Settings
from tests.integration.conftest import postgres_server, postgres_url  # noqa: F401 - the PostgreSQL fixtures
from tests.worlds import make_world

#: The read audit's table as it was before the chain (12 columns, no seq and no link).
OLD_TABLE = (
    "CREATE TABLE read_audit ("
    " read_id TEXT PRIMARY KEY, at TEXT NOT NULL, municipality_id TEXT NOT NULL, user_id TEXT NOT NULL,"
    " role TEXT NOT NULL, agency_id TEXT, agency_kind TEXT, child_id TEXT NOT NULL, view TEXT NOT NULL,"
    " grounds TEXT NOT NULL, withheld TEXT NOT NULL, detail TEXT NOT NULL)"
)


def read_log_file(services) -> Path:
    return services.settings.data_dir / "projections" / "read_audit.sqlite"


#: Children whose names are far apart: registering one never reports another as a likely duplicate.
NAMES = {"a": ("Alicja", "Zając", date(2014, 5, 6)), "b": ("Bartosz", "Kwiatkowski", date(2011, 9, 1))}
NAMES["c"] = ("Cyprian", "Ostrowski", date(2016, 1, 20))


def register(services, world, key: str) -> UUID:
    given, family, born = NAMES[key]
    child = services.children.register(world.actor("school"), given_name=given, family_name=family, date_of_birth=born)
    return UUID(child["id"])


def reads(services, world, count: int = 6) -> list[UUID]:
    """Two children, and the coordinator reading their identity ``count`` times in all."""
    children = [register(services, world, "a"), register(services, world, "b")]
    for n in range(count):
        services.children.get(world.actor("coordinator"), children[n % 2])
    return children


def verify_cli(env: dict[str, str]) -> tuple[int, dict]:
    """``safehub audit verify --json`` on these settings: its exit code and its report."""
    result = CliRunner().invoke(main, ["audit", "verify", "--json"], env=env)
    return result.exit_code, json.loads(result.output)


def chain_of(report: dict, world) -> dict:
    [chain] = [c for c in report["reads"] if c["municipality_id"] == str(world.municipality_id)]
    return chain


def sqlite_env(services) -> dict[str, str]:
    return {"SAFEHUB_DATA_DIR": str(services.settings.data_dir)}


def tamper_sqlite(services, sql: str, params: tuple = ()) -> None:
    with sqlite3.connect(read_log_file(services)) as conn:
        conn.execute(sql, params)


def test_an_untouched_read_log_verifies(services, world):
    reads(services, world)
    code, report = verify_cli(sqlite_env(services))
    chain = chain_of(report, world)
    assert code == 0 and report["intact"] is True
    assert chain["intact"] is True and chain["count"] == 6 and chain["legacy"] == 0 and chain["first_broken"] is None


def test_a_deleted_read_line_is_reported_with_where(services, world):
    reads(services, world)
    tamper_sqlite(services, "DELETE FROM read_audit WHERE seq = 3")
    code, report = verify_cli(sqlite_env(services))
    chain = chain_of(report, world)
    assert code == 1 and report["intact"] is False and chain["intact"] is False
    assert chain["first_broken"]["seq"] == 3 and "missing" in chain["first_broken"]["problem"]
    assert chain["count"] == 2  # the lines verified before the gap


def test_an_edited_read_line_is_reported_with_where(services, world):
    reads(services, world)
    tamper_sqlite(services, "UPDATE read_audit SET user_id = ? WHERE seq = 4", (str(world.users["police"].id),))
    code, report = verify_cli(sqlite_env(services))
    broken = chain_of(report, world)["first_broken"]
    assert code == 1 and broken["seq"] == 4 and "altered" in broken["problem"] and broken["read_id"]


def test_reordered_read_lines_are_reported(services, world):
    reads(services, world)
    tamper_sqlite(services, "UPDATE read_audit SET seq = -seq WHERE seq IN (2, 5)")
    tamper_sqlite(services, "UPDATE read_audit SET seq = CASE seq WHEN -2 THEN 5 ELSE 2 END WHERE seq IN (-2, -5)")
    code, report = verify_cli(sqlite_env(services))
    assert code == 1 and chain_of(report, world)["first_broken"]["seq"] == 2


def test_a_line_slipped_in_without_a_link_is_reported(services, world):
    reads(services, world)
    tamper_sqlite(
        services,
        "INSERT INTO read_audit SELECT '9' || read_id, at, municipality_id, user_id, role, agency_id, agency_kind,"
        " child_id, view, grounds, withheld, detail, NULL, NULL FROM read_audit WHERE seq = 6",
    )
    code, report = verify_cli(sqlite_env(services))
    assert code == 1 and "without a link" in chain_of(report, world)["first_broken"]["problem"]


def test_the_auditor_verifies_the_read_log_through_the_api(client, services, world):
    reads(services, world)
    answer = client.get("/api/v1/audit/verify", headers=world.users["auditor"].headers)
    assert answer.status_code == 200 and answer.json["reads"]["intact"] is True
    head = answer.json["reads"]["head"]
    tamper_sqlite(services, "DELETE FROM read_audit WHERE seq = 1")
    answer = client.get(
        "/api/v1/audit/verify", headers=world.users["auditor"].headers, query_string={"expect_reads_head": head}
    )
    assert answer.status_code == 200 and answer.json["intact"] is False
    assert answer.json["reads"]["first_broken"]["seq"] == 1 and answer.json["reads"]["expected_head_found"] is False


def legacy_then_chained(settings: Settings, clock, old_table: Callable[[str, list[tuple]], None], env: dict) -> None:
    """A read log left by an older safehub (three lines, no chain), opened by this one, then read."""
    services = build(settings, clock=clock)
    world = make_world(services.directory)
    municipality = str(world.municipality_id)
    services.close()
    old_table(
        OLD_TABLE, [(f"0000000000000000000{n}-old", municipality, str(UUID(int=1)), str(UUID(int=2))) for n in range(3)]
    )
    services = build(settings, clock=clock)
    try:
        reads(services, world, count=4)
        code, report = verify_cli(env)
        chain = chain_of(report, world)
        assert code == 0 and chain["intact"] is True and chain["legacy"] == 3 and chain["count"] == 4
        assert len(services.read_audit.list(world.actor("auditor"), limit=100)["reads"]) == 7  # all still listed
    finally:
        services.close()


#: Three lines of an older read log: read id, municipality, user and child.
OLD_INSERT = (
    "INSERT INTO read_audit VALUES (?, '2026-01-01T00:00:00.000000Z', ?, ?, 'coordinator', NULL, NULL,"
    " ?, 'identity', 'coordinator', '', '')"
)


def test_lines_from_before_the_chain_are_counted_as_legacy(settings, clock):
    def old_table(ddl: str, rows: list[tuple]) -> None:
        with sqlite3.connect(settings.data_dir / "projections" / "read_audit.sqlite") as conn:
            conn.execute("DROP TABLE read_audit")
            conn.execute(ddl)
            conn.executemany(OLD_INSERT, rows)

    legacy_then_chained(settings, clock, old_table, {"SAFEHUB_DATA_DIR": str(settings.data_dir)})


# --- several processes appending at once ------------------------------------------------------


def _append_reads(settings: Settings, actor, child: UUID, count: int) -> None:
    """One process's reads: its own services on the same store, each read a line."""
    services = build(settings)
    try:
        for _ in range(count):
            services.gate.read(actor, [child], "identity")
    finally:
        services.close()


def appended_from_processes(settings: Settings, services, world, processes: int = 4, each: int = 25) -> None:
    child = register(services, world, "c")
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_reads, args=(settings, world.actor("coordinator"), child, each))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0


def test_appends_from_several_processes_keep_one_chain(settings, services, world):
    appended_from_processes(settings, services, world)
    code, report = verify_cli(sqlite_env(services))
    chain = chain_of(report, world)
    assert code == 0 and chain["intact"] is True and chain["count"] == 100


# --- the same on PostgreSQL -------------------------------------------------------------------


@pytest.mark.postgres
class TestOnPostgres:
    @pytest.fixture
    def settings(self, tmp_path: Path, postgres_url: str) -> Settings:  # noqa: F811 - the fixture imported above
        return Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})

    @staticmethod
    def env(settings: Settings) -> dict[str, str]:
        return {"SAFEHUB_DATA_DIR": str(settings.data_dir), "SAFEHUB_DATABASE_URL": settings.database_url or ""}

    def test_a_deleted_read_line_is_reported(self, settings, services, world):
        reads(services, world)
        with psycopg.connect(settings.database_url) as conn:
            conn.execute("DELETE FROM read_audit WHERE seq = 2")
        code, report = verify_cli(self.env(settings))
        broken = chain_of(report, world)["first_broken"]
        assert code == 1 and broken["seq"] == 2 and "missing" in broken["problem"]

    def test_lines_from_before_the_chain_are_counted_as_legacy(self, settings, clock):
        def old_table(ddl: str, rows: list[tuple]) -> None:
            with psycopg.connect(settings.database_url) as conn:
                conn.execute("DROP TABLE read_audit")
                conn.execute(ddl)
                conn.cursor().executemany(OLD_INSERT.replace("?", "%s"), rows)

        legacy_then_chained(settings, clock, old_table, self.env(settings))

    def test_appends_from_several_processes_keep_one_chain(self, settings, services, world):
        appended_from_processes(settings, services, world)
        code, report = verify_cli(self.env(settings))
        chain = chain_of(report, world)
        assert code == 0 and chain["intact"] is True and chain["count"] == 100
