"""Tamper evidence and encryption at rest, on SQLite and on a real PostgreSQL.

The tampering is done the way an insider would: plain SQL on the store, behind safehub's
back. Verification must name the first broken link; an export must verify with nothing
but the documented algorithm.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from services.adapters.integrity import export_lines, verify
from services.config import EVENTS_FILE, Settings

SECRET_TEXT = "Tomek powiedział, że tata go uderzył pasem"


def write_history(services, world, clock) -> UUID:
    child = UUID(
        services.children.register(
            world.users["school"].actor, given_name="Żaneta", family_name="Przybylska", date_of_birth=date(2014, 2, 3)
        )["id"]
    )
    for n, who in enumerate(("school", "police", "health", "school")):
        actor = world.users[who].actor
        kind = {"school": "disclosure_by_child", "police": "domestic_intervention", "health": "injury_treated"}[who]
        services.children.record_signal(
            actor,
            child,
            kind=kind,
            observed_at=clock() - timedelta(days=n),
            details=SECRET_TEXT if n == 0 else f"wpis {n}",
        )
    return child


def independent_verify(lines: list[str]) -> str:
    """The algorithm exactly as documented in services/adapters/integrity.py, written from scratch."""
    previous = "0" * 64
    for line in lines:
        row = json.loads(line)
        record = (
            f"{row['notification_id']}|{row['originator_id']}|{row['originator_version']}|{row['topic']}|".encode()
            + base64.b64decode(row["state"])
        )
        previous = hashlib.sha256(bytes.fromhex(previous) + record).hexdigest()
        assert previous == row["link"], f"broken at {row['notification_id']}"
    return previous


class IntegrityBehaviour:
    """Subclasses say how to reach the store with plain SQL."""

    def tamper(self, services, sql: str, params: tuple = ()) -> None:
        raise NotImplementedError

    events_table = "stored_events"
    id_column = "rowid"

    def test_an_untouched_history_is_intact_and_exports_verifiably(self, services, world, clock):
        write_history(services, world, clock)
        report = verify(services.store.recorder)
        assert report["intact"] is True and report["first_broken"] is None
        assert report["count"] == services.store.recorder.max_notification_id()
        lines = list(export_lines(services.store.recorder))
        assert independent_verify(lines) == report["head"]

    def test_an_altered_event_is_named(self, services, world, clock):
        write_history(services, world, clock)
        target = services.store.recorder.max_notification_id() - 2
        self.tamper(
            services, f"UPDATE {self.events_table} SET state = ? WHERE {self.id_column} = ?", (b"forged", target)
        )
        report = verify(services.store.recorder)
        assert report["intact"] is False
        assert report["first_broken"]["notification_id"] == target
        assert report["count"] == target - 1

    def test_a_removed_event_is_named(self, services, world, clock):
        write_history(services, world, clock)
        target = services.store.recorder.max_notification_id() - 1
        self.tamper(services, f"DELETE FROM {self.events_table} WHERE {self.id_column} = ?", (target,))
        report = verify(services.store.recorder)
        assert report["intact"] is False
        assert report["first_broken"]["notification_id"] == target
        assert "missing" in report["first_broken"]["problem"]

    def test_a_swapped_pair_is_named(self, services, world, clock):
        write_history(services, world, clock)
        last = services.store.recorder.max_notification_id()
        first, second = last - 3, last - 2
        rows = {n.id: n for n in services.store.recorder.select_notifications(first, 2)}
        for here, there in ((first, second), (second, first)):
            self.tamper(
                services,
                f"UPDATE {self.events_table} SET state = ? WHERE {self.id_column} = ?",
                (bytes(rows[there].state), here),
            )
        report = verify(services.store.recorder)
        assert report["intact"] is False
        assert report["first_broken"]["notification_id"] == first

    def test_payloads_are_encrypted_at_rest(self, services, world, clock):
        write_history(services, world, clock)
        assert SECRET_TEXT in [
            s["details"]
            for s in services.children.list_signals(world.users["coordinator"].actor, self.first_child(services, world))
        ]
        stored = self.all_stored_bytes(services)
        assert len(stored) > 1000
        for plain in ("Żaneta", "Przybylska", SECRET_TEXT, "wpis 1"):
            assert plain.encode() not in stored

    def first_child(self, services, world) -> UUID:
        found = services.children.find(
            world.users["coordinator"].actor,
            given_name="Żaneta",
            family_name="Przybylska",
            date_of_birth=date(2014, 2, 3),
        )
        return UUID(found["matches"][0]["id"])

    def all_stored_bytes(self, services) -> bytes:
        raise NotImplementedError


class TestSqliteIntegrity(IntegrityBehaviour):
    def tamper(self, services, sql: str, params: tuple = ()) -> None:
        with sqlite3.connect(services.settings.data_dir / EVENTS_FILE) as conn:
            conn.execute(sql, params)

    def all_stored_bytes(self, services) -> bytes:
        path: Path = services.settings.data_dir / EVENTS_FILE
        services.close()  # checkpoint the WAL into the file we read
        return b"".join(p.read_bytes() for p in path.parent.glob(EVENTS_FILE + "*"))


@pytest.mark.postgres
class TestPostgresIntegrity(IntegrityBehaviour):
    events_table = "safehub_events"
    id_column = "notification_id"

    @pytest.fixture
    def settings(self, tmp_path: Path, postgres_url: str) -> Settings:
        return Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})

    def tamper(self, services, sql: str, params: tuple = ()) -> None:
        with psycopg.connect(services.settings.database_url) as conn:
            conn.execute(sql.replace("?", "%s"), params)

    def all_stored_bytes(self, services) -> bytes:
        with psycopg.connect(services.settings.database_url) as conn:
            rows = conn.execute("SELECT state FROM safehub_events").fetchall()
            rows += conn.execute("SELECT state FROM safehub_snapshots").fetchall()
        return b"".join(bytes(r[0]) for r in rows)


def test_auditors_verify_through_the_api_and_others_may_not(client, services, world, clock):
    write_history(services, world, clock)
    answer = client.get("/api/v1/audit/verify", headers=world.users["auditor"].headers)
    assert answer.status_code == 200 and answer.json["intact"] is True
    head = answer.json["head"]
    again = client.get(
        "/api/v1/audit/verify", headers=world.users["auditor"].headers, query_string={"expect_head": head}
    )
    assert again.json["expected_head_found"] is True
    unknown = client.get(
        "/api/v1/audit/verify", headers=world.users["auditor"].headers, query_string={"expect_head": "f" * 64}
    )
    assert unknown.json["expected_head_found"] is False
    for who in ("admin", "coordinator", "school"):
        assert client.get("/api/v1/audit/verify", headers=world.users[who].headers).status_code == 403


def test_the_cli_verifies_and_exports(services, world, clock, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from services.cli import main

    write_history(services, world, clock)
    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(services.settings.data_dir))
    runner = CliRunner()
    verified = runner.invoke(main, ["audit", "verify", "--json"])
    assert verified.exit_code == 0, verified.output
    head = json.loads(verified.output)["head"]
    exported = runner.invoke(main, ["audit", "export", str(tmp_path / "history.jsonl")])
    assert exported.exit_code == 0, exported.output
    assert independent_verify((tmp_path / "history.jsonl").read_text().splitlines()) == head
    with sqlite3.connect(services.settings.data_dir / EVENTS_FILE) as conn:
        conn.execute("DELETE FROM stored_events WHERE rowid = 3")
    broken = runner.invoke(main, ["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at notification 3" in broken.output
