"""`safehub backup` of a serving embedded store under writes, `safehub restore`, compared event by event.

The live and the restored data directories share one keys folder (``var-keys``: the backup
key, the key-wrapping key, the erasure ledger), as a deployment restoring on its own host does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.adapters.event_store import open_store
from services.bootstrap import build
from services.config import Settings
from tests.e2e.test_embedded_server import Server, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def env_of(data_dir: Path) -> dict[str, str]:
    """The settings of a data directory whose keys folder is the live one's (``<tmp>/var-keys``)."""
    return {"SAFEHUB_DATA_DIR": str(data_dir), "SAFEHUB_KEYS_DIR": str(data_dir.parent / "var-keys")}


def safehub(data_dir: Path, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")} | env_of(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", *args, "--json"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stored(data_dir: Path, upto: int) -> list[tuple]:
    """Every stored event up to ``upto``: position, originator, version, topic and the stored bytes."""
    store = open_store(Settings.from_env(env_of(data_dir)))
    try:
        notes = store.recorder.select_notifications(start=1, limit=upto + 1, stop=upto)
        for note in notes:
            store.mapper.to_domain_event(note)  # decodes (and decrypts) with the restored keys
        return [(n.id, n.originator_id, n.originator_version, n.topic, bytes(n.state)) for n in notes]
    finally:
        store.close()


def test_a_backup_taken_under_writes_restores_event_for_event_and_rebuilds_the_same(tmp_path):
    live, backup, restored = tmp_path / "var", tmp_path / "backup", tmp_path / "restored"
    server = Server(live, free_port())
    written: list[str] = []
    errors: list[object] = []
    stop = threading.Event()

    def write() -> None:
        school = server.tokens["submitter"]
        n = 0
        while not stop.is_set():
            status, child = server.call(
                "POST",
                "/children",
                school,
                {"given_name": f"Dziecko{n}", "family_name": "Kopia", "date_of_birth": "2016-02-03"},
            )
            if status != 201:
                errors.append(child)
                return
            for k in range(3):
                status, signal = server.call(
                    "POST",
                    f"/children/{child['id']}/signals",
                    school,
                    {
                        "kind": "behaviour_change",
                        "details": f"zapis {n}/{k}",
                        "observed_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                    },
                )
                if status != 201:
                    errors.append(signal)
                    return
                written.append(signal["id"])
            n += 1

    writer = threading.Thread(target=write)
    try:
        writer.start()
        time.sleep(1.0)
        taken = safehub(live, "backup", str(backup))  # another process, while the server writes
        time.sleep(0.5)
    finally:
        stop.set()
        writer.join(30)
        server.stop()
    assert not errors, errors
    assert taken["head"] > 0 and "events.sqlite" in taken["files"]
    assert [p.name for p in backup.iterdir()] == ["backup.enc"], "the backup is one encrypted archive"

    live_head = stored(live, 10**9)[-1][0]
    assert taken["head"] < live_head, "the writes carried on during the backup"

    result = safehub(restored, "restore", str(backup))
    assert result["head"] == taken["head"]
    assert stored(restored, taken["head"]) == stored(live, taken["head"]), "restored events differ from the live ones"

    services = build(Settings.from_env(env_of(restored)))
    try:
        for name in services.followers.names():
            follower = services.followers[name]
            assert follower.view.position() == taken["head"], f"{name} caught up by the restore"
            caught_up = follower.view.dump()
            follower.rebuild()
            assert follower.view.dump() == caught_up, f"{name}: the restored read model differs from a rebuild"
    finally:
        services.close()
