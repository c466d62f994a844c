"""The benchmark's floors measure what they claim, on a small SQLite store (fast; no timing asserted)."""

from __future__ import annotations

import base64
import sqlite3

import orjson
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.perf import floors
from tests.perf.benchmark import import_file


def test_the_floor_app_answers_the_ingest_post_as_the_real_one_does():
    client = floors.create_floor_app().test_client()
    answer = client.post("/api/v1/children/abc/signals", json={"kind": "unexplained_absence"})
    assert answer.status_code == 201
    assert answer.get_json()["kind"] == "unexplained_absence"
    assert client.get("/healthz").status_code == 200


def test_the_import_floor_stores_two_chained_sealed_events_and_a_wrapped_key_per_row(tmp_path, monkeypatch):
    kept: dict[str, list] = {}
    conn = sqlite3.connect(tmp_path / "floor.sqlite")
    original_drop = conn.execute

    class Spy:
        """Keeps each table's rows before the floor drops its tables."""

        def __getattr__(self, name):
            return getattr(conn, name)

        def execute(self, sql, *args):
            if sql.startswith("DROP TABLE"):
                table = sql.split()[-1]
                kept[table] = original_drop(f"SELECT * FROM {table}").fetchall()
            return original_drop(sql, *args)

    master = AESGCM.generate_key(256)
    rate = floors.import_floor(Spy(), "?", False, import_file(40), master)
    assert rate > 0
    assert len(kept["floor_keys"]) == 40 and len(kept["floor_events"]) == 80 and len(kept["floor_chain"]) == 80
    app = AESGCM(master)
    for _, _, version, topic, state in kept["floor_events"][:4]:
        plain = orjson.loads(app.decrypt(state[:12], state[12:], None))
        assert "sealed" in plain and topic.endswith("Registered" if version == 1 else "SignalRecorded")
    wrapped = base64.b64decode(kept["floor_keys"][0][1])
    assert len(app.decrypt(wrapped[:12], wrapped[12:], None)) == 32  # the pupil's own key, wrapped
    assert conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'floor_%'").fetchall() == []


def test_the_decode_floor_reads_every_stored_event_and_the_write_floor_leaves_nothing(services, world):
    from tests.perf.benchmark import Backend

    backend = Backend("sqlite", services.settings.data_dir.parent, None)
    backend.data_dir = services.settings.data_dir
    with backend.raw() as conn:
        count = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
        assert count > 10
        assert floors.decode_floor(conn, "?", False, backend.cipher_key()) > 0
        assert floors.view_write_floor(conn, "?", 120) > 0
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'floor_entries'").fetchall() == []
    with pytest.raises(InvalidTag):  # a wrong key is refused, not skipped: every event is really decrypted
        with backend.raw() as conn:
            floors.decode_floor(conn, "?", False, AESGCM.generate_key(256))


def test_combined_rates_add_their_times():
    assert floors.combined(100.0, 100.0) == pytest.approx(50.0)
    assert floors.combined(0.0, 10.0) == 0.0
