"""The floors under the benchmark's targets: what the stack and the design cost before safehub does anything.

Each target of the benchmark is a ratio to a raw database operation. Where safehub misses
one, the question is whether the code or the requirements are the limit. A floor answers
it: the same work stripped to what any implementation must do, measured in the same run,
so its ratio to the same raw baseline is the most any implementation could reach.

* HTTP floor: the embedded server stack (gunicorn, gthread, 8 threads, Flask) answering the
  same POST with nothing behind it: no authentication, no store, no projections.
* Import floor: per CSV row, what the design requires and nothing else: parse the line,
  register the unknown pupil (a registration event and the pupil's own key, made and
  wrapped with the master key) and record the signal, seal the personal fields with the
  pupil's key and every event's state with the application key (AES-GCM), link each event
  into the hash chain (SHA-256), and insert it all in one transaction with ``executemany``
  into tables shaped like the store's. No library, no rules, no validation beyond parsing.
* Rebuild floors: (a) read every stored event as the raw read does, then decrypt it with
  the application key and parse its JSON, the least any projection of an encrypted log
  must do per event; (b) insert as many rows as events into a table shaped like the
  timeline's (same columns and indexes), the least a view that keeps a row per event must
  write. A view doing both can go no faster than ``1 / (1/a + 1/b)``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: The POST the ingest clients send; the floor server answers it as the real one would (201, JSON).
SIGNALS_ROUTE = "/api/v1/children/<child_id>/signals"


def create_floor_app():
    """A Flask app with only the ingest route: parse the JSON body, answer 201 with a small JSON."""
    from flask import Flask, jsonify, request

    app = Flask("safehub-floor")

    @app.post(SIGNALS_ROUTE)
    def signals(child_id: str):
        body = request.get_json()
        return jsonify(child_id=child_id, kind=body["kind"], signal_id=str(uuid4())), 201

    @app.get("/healthz")
    def health():
        return jsonify(status="ok")

    return app


@contextmanager
def floor_server(port: int, log_path) -> Iterator[int]:
    """The floor app on the same server the embedded mode uses (``services.http.server.serve``)."""
    from tests.perf.benchmark import wait_until_up

    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.perf.floors", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(port, log_path)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


# --- import ----------------------------------------------------------------------------------


def _seal(aead: AESGCM, plaintext: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + aead.encrypt(nonce, plaintext, None)


def import_floor(conn, mark: str, postgres: bool, csv_body: bytes, master_key: bytes) -> float:
    """Rows per second of the least the design requires per CSV row (see the module docstring)."""
    blob = "BYTEA" if postgres else "BLOB"
    conn.execute(
        f"CREATE TABLE floor_events (id {'BIGSERIAL' if postgres else 'INTEGER'} PRIMARY KEY,"
        f" originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, topic TEXT NOT NULL,"
        f" state {blob} NOT NULL, UNIQUE (originator_id, originator_version))"
    )
    conn.execute("CREATE TABLE floor_chain (notification_id BIGINT PRIMARY KEY, link TEXT NOT NULL)")
    conn.execute("CREATE TABLE floor_keys (subject TEXT PRIMARY KEY, wrapped TEXT NOT NULL)")
    conn.commit()
    app = AESGCM(master_key)
    started = time.perf_counter()
    lines = csv.reader(io.StringIO(csv_body.decode("utf-8")), delimiter=";")
    next(lines)  # the header
    events: list[tuple] = []
    keys: list[tuple] = []
    for given, family, born, kind, day, days, details in lines:
        child = str(uuid4())
        key = AESGCM.generate_key(256)
        keys.append((child, base64.b64encode(_seal(app, key)).decode()))
        pupil = AESGCM(key)
        personal = _seal(pupil, orjson.dumps({"given_name": given, "family_name": family, "date_of_birth": born}))
        registered = {"timestamp": day, "municipality_id": child, "sealed": base64.b64encode(personal).decode()}
        note = _seal(pupil, orjson.dumps({"details": details}))
        recorded = {
            "timestamp": day,
            "signal_id": str(uuid4()),
            "kind": kind,
            "observed_at": day,
            "days": int(days),
            "sealed": base64.b64encode(note).decode(),
        }
        events.append((child, 1, "Child.Registered", _seal(app, orjson.dumps(registered))))
        events.append((child, 2, "Child.SignalRecorded", _seal(app, orjson.dumps(recorded))))
    cursor = conn.cursor()
    cursor.executemany(f"INSERT INTO floor_keys VALUES ({mark}, {mark})", keys)
    first = _next_id(conn)
    cursor.executemany(
        f"INSERT INTO floor_events (originator_id, originator_version, topic, state) "
        f"VALUES ({mark}, {mark}, {mark}, {mark})",
        events,
    )
    previous, links = "0" * 64, []
    for n, (child, version, topic, state) in enumerate(events, start=first):
        previous = hashlib.sha256(
            bytes.fromhex(previous) + f"{n}|{child}|{version}|{topic}|".encode() + state
        ).hexdigest()
        links.append((n, previous))
    cursor.executemany(f"INSERT INTO floor_chain VALUES ({mark}, {mark})", links)
    conn.commit()
    rate = len(keys) / (time.perf_counter() - started)
    for table in ("floor_events", "floor_chain", "floor_keys"):
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    return rate


def _next_id(conn) -> int:
    """The id the next event will get (the tables are new, so nothing races for it)."""
    return conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM floor_events").fetchone()[0]


# --- rebuild ---------------------------------------------------------------------------------


def decode_floor(conn, mark: str, postgres: bool, cipher_key: bytes) -> float:
    """Events per second: the raw sequential read, plus decrypting and parsing each event's state."""
    table, order = ("safehub_events", "notification_id") if postgres else ("stored_events", "rowid")
    aead = AESGCM(cipher_key)
    started, count, last = time.perf_counter(), 0, 0
    while True:
        rows = conn.execute(
            f"SELECT {order}, originator_id, originator_version, topic, state FROM {table} "
            f"WHERE {order} > {mark} ORDER BY {order} LIMIT 1000",
            (last,),
        ).fetchall()
        if not rows:
            break
        for row in rows:
            state = bytes(row[4])
            orjson.loads(aead.decrypt(state[:12], state[28:] + state[12:28], None))
        count, last = count + len(rows), rows[-1][0]
    return count / (time.perf_counter() - started)


TIMELINE_SHAPE = (
    "CREATE TABLE floor_entries ("
    " entry_id TEXT PRIMARY KEY, child_id TEXT NOT NULL, entry_type TEXT NOT NULL,"
    " kind TEXT, severity TEXT, observed_at TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    " details TEXT, days INTEGER, agency_id TEXT, agency_kind TEXT, author_id TEXT, author_role TEXT,"
    " corrections TEXT NOT NULL DEFAULT '[]', retracted BOOLEAN NOT NULL DEFAULT FALSE,"
    " retraction_reason TEXT, retracted_at TEXT, related_child_id TEXT,"
    " version INTEGER NOT NULL, position BIGINT NOT NULL)",
    "CREATE INDEX floor_entries_child ON floor_entries (child_id, observed_at)",
)


def view_write_floor(conn, mark: str, rows: int) -> float:
    """Rows per second inserted into a table shaped like the timeline's, 5,000 per transaction."""
    conn.execute("DROP TABLE IF EXISTS floor_entries")
    for statement in TIMELINE_SHAPE:
        conn.execute(statement)
    conn.commit()
    children = [str(uuid4()) for _ in range(max(1, rows // 10))]
    agency, author = str(uuid4()), str(uuid4())
    statement = (
        f"INSERT INTO floor_entries (entry_id, child_id, entry_type, kind, severity, observed_at,"
        f" recorded_at, details, days, agency_id, agency_kind, author_id, author_role, version, position)"
        f" VALUES ({', '.join([mark] * 15)})"
    )
    started = time.perf_counter()
    cursor = conn.cursor()
    for start in range(0, rows, 5000):
        batch = [
            (
                str(uuid4()),
                children[n % len(children)],
                "signal",
                "unexplained_absence",
                "low",
                f"2026-0{1 + n % 9}-1{n % 10}T08:00:00.000000Z",
                "2026-12-01T08:00:00.000000Z",
                "obserwacja " + "x" * (n % 150),
                None,
                agency,
                "school",
                author,
                "submitter",
                n % 50 + 1,
                n,
            )
            for n in range(start, min(rows, start + 5000))
        ]
        cursor.executemany(statement, batch)
        conn.commit()
    rate = rows / (time.perf_counter() - started)
    conn.execute("DROP TABLE floor_entries")
    conn.commit()
    return rate


def combined(*rates: float) -> float:
    """The rate of doing each of these per item in turn: ``1 / sum(1/r)``."""
    return 1 / sum(1 / r for r in rates) if all(rates) else 0.0


if __name__ == "__main__":
    from services.http.server import serve

    serve(create_floor_app, "127.0.0.1", int(sys.argv[1]))
