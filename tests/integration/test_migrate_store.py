"""`safehub migrate-store`: the embedded store into a real PostgreSQL, then a server on PostgreSQL.

The copy keeps every event's log position, originator id, version, topic and stored
bytes (encrypted, chained) and the snapshots; the server started on PostgreSQL with the
embedded deployment's keys serves the same timelines, finds a child by PESEL, and the
hash chain verifies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from domain.pesel import make_pesel
from services.adapters.event_store import open_store
from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.e2e.test_embedded_server import Server, free_port
from tests.servers import REPO_ROOT
from tests.worlds import make_world

pytestmark = pytest.mark.postgres


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")} | env
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=clean,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stored(settings: Settings, chatty: UUID) -> tuple[list[tuple], int]:
    """Every stored event (position, originator, version, topic, bytes) and the chatty child's snapshots."""
    store = open_store(settings)
    try:
        notes = store.recorder.select_notifications(start=1, limit=10**6)
        snapshots = store.snapshots.recorder.select_events(originator_id=chatty)  # type: ignore[union-attr]
        return [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in notes], len(snapshots)
    finally:
        store.close()


class Serve(Server):
    """`safehub serve` (gunicorn, in-process projections) with the given settings."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str]):
        self.base = f"http://127.0.0.1:{port}"
        self.log = data_dir.parent / f"serve-{port}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env={**clean, "SAFEHUB_DATA_DIR": str(data_dir), **env},
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.tokens = self._wait_ready()


def test_migrate_store_copies_the_log_exactly_and_a_postgres_server_serves_the_same(tmp_path, postgres_url):
    data_dir = tmp_path / "var"
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(data_dir)})
    services = build(settings)
    try:
        world = make_world(services.directory)
        school, police = world.users["school"].actor, world.users["police"].actor
        observed = datetime.now(UTC) - timedelta(days=2)
        children = []
        for n in range(3):
            child = services.children.register(
                school,
                given_name=f"Migracja{n}",
                family_name="Testowa",
                date_of_birth=date(2014, 1, 1 + n),
                pesel=make_pesel(date(2014, 1, 1 + n), 1000 + n),
            )
            children.append(UUID(child["id"]))
            signal, _ = services.children.record_signal(
                school, children[-1], kind="behaviour_change", observed_at=observed, details=f"opis {n}"
            )
            services.children.record_signal(police, children[-1], kind="domestic_intervention", observed_at=observed)
            services.children.correct_signal(school, children[-1], UUID(signal["id"]), severity="high", reason="ocena")
        for k in range(100):  # over the snapshot interval: a snapshot to copy too
            services.children.record_signal(
                school, children[0], kind="unexplained_absence", observed_at=observed, details=f"nieobecność {k}"
            )
        client = create_app(services=services).test_client()
        case = world.users["coordinator"]
        embedded = {
            c: client.get(f"/api/v1/children/{c}/timeline", headers=case.headers).json["entries"] for c in children
        }
    finally:
        services.close()
    before, snapshots_before = stored(settings, children[0])
    assert snapshots_before >= 1

    result = cli({"SAFEHUB_DATA_DIR": str(data_dir)}, "migrate-store", "--to", postgres_url, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["events"] == report["verified"] == len(before) == report["head"]
    assert report["snapshots"] >= 1

    keys = {"SAFEHUB_SECRET_KEY": (data_dir / "secret.key").read_text().strip()}
    keys["SAFEHUB_KEYS_DIR"] = str(settings.resolved_keys_dir)  # the key-wrapping key and the erasure ledger
    if (data_dir / "cipher.key").exists():
        keys["SAFEHUB_CIPHER_KEY"] = (data_dir / "cipher.key").read_text().strip()
    pg_dir = tmp_path / "pg-var"
    pg_settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(pg_dir), "SAFEHUB_DATABASE_URL": postgres_url, **keys})
    after, snapshots_after = stored(pg_settings, children[0])
    assert after == before, "every event, position, id, version and byte is the same in PostgreSQL"
    assert snapshots_after == snapshots_before

    again = cli({"SAFEHUB_DATA_DIR": str(data_dir)}, "migrate-store", "--to", postgres_url)
    assert again.returncode != 0 and "already holds events" in again.stderr, "never into a database with events"

    env = {"SAFEHUB_DATABASE_URL": postgres_url, **keys}
    verify = cli({"SAFEHUB_DATA_DIR": str(pg_dir), **env}, "audit", "verify", "--json")
    if "No such command" not in verify.stderr:
        assert verify.returncode == 0 and json.loads(verify.stdout)["intact"], verify.stdout + verify.stderr

    server = Serve(pg_dir, free_port(), env)
    try:
        for child_id, entries in embedded.items():
            status, timeline = server.call("GET", f"/children/{child_id}/timeline", case.token)
            assert status == 200, timeline
            assert timeline["entries"] == entries
        status, found = server.call(
            "POST", "/children/search", world.users["school"].token, {"pesel": make_pesel(date(2014, 1, 2), 1001)}
        )
        assert status == 200 and [c["id"] for c in found["matches"]] == [str(children[1])], found
        status, signal = server.call(
            "POST",
            f"/children/{children[2]}/signals",
            world.users["police"].token,
            {"kind": "home_visit", "observed_at": observed.isoformat()},
        )
        assert status == 201, signal  # new events continue the log after the copied ones
    finally:
        server.stop()
    assert stored(pg_settings, children[0])[0][-1][0] == len(before) + 1
