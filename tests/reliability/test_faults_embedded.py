"""Faults on the embedded store (``safehub serve``, SQLite): a web server killed with SIGKILL
in the middle of a bulk import, and the disk filling up under it.

The SIGKILL test sends a large school export and kills the whole server process group
while the import is being decided (half the time a dry run of the same file takes). The
import must be all or nothing: after a restart the store holds either none of the file's
signals or all of them, and the client's retry with the same ``Idempotency-Key`` leaves
exactly one signal per row, however many times it is sent.

The disk-full test mounts a small tmpfs (CI runs as root) and fills it with a file, so
SQLite meets a real ``ENOSPC`` / ``SQLITE_FULL`` - no simulation in the code under test.
Writes are refused with a clear 507 (never a 500), nothing is half-saved, and once space
is freed the same server saves again and a restarted server opens the store with its hash
chain intact. Where no tmpfs can be mounted, SQLite's ``PRAGMA max_page_count`` on the
events file gives the same SQLITE_FULL in-process (the last test, which always runs).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from domain.pesel import make_pesel
from tests.reliability.conftest import stored_topics
from tests.reliability.live import Answer, make_users
from tests.servers import REPO_ROOT

IMPORT = "/api/v1/signals/import"
#: Rows in the killed import: enough that deciding them takes a few seconds.
ROWS = 1500


def export(rows: int) -> bytes:
    """A school e-register export as Polish Excel writes it: semicolons, Windows-1250, CRLF."""
    from datetime import date, timedelta

    lines = ["pesel;imię;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis"]
    for n in range(rows):
        born = date(2010, 1, 1) + timedelta(days=n)
        lines.append(
            f"{make_pesel(born, 1000 + n % 9000)};Łucja{n};Żółć{n};{born:%d.%m.%Y};"
            f'missed_remote_learning;20.02.2026;{1 + n % 5};"brak logowania; wiersz {n}"'
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1250")


def post_import(server, token: str, body: bytes, key: str, dry_run: bool = False) -> Answer:
    query = "?dry_run=true" if dry_run else ""
    return server.call(
        "POST", IMPORT + query, token, raw=body, content_type="text/csv", headers={"Idempotency-Key": key}, timeout=300
    )


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    return {"SAFEHUB_DATA_DIR": str(tmp_path / "var")}


def test_a_web_server_killed_mid_import_imports_all_or_nothing_and_the_retry_exactly_once(embedded_env, web_servers):
    school = make_users(embedded_env)[0]["school"]
    body = export(ROWS)
    server = web_servers(embedded_env)

    started = time.monotonic()
    dry = post_import(server, school, body, "dry")
    dry_seconds = time.monotonic() - started
    assert dry.status == 201 and dry.body["accepted"] == ROWS, dry.body

    outcome: dict[str, object] = {}

    def send() -> None:
        try:
            outcome["answer"] = post_import(server, school, body, "export-2026-02")
        except OSError as exc:  # the server died under the request
            outcome["error"] = exc

    client = threading.Thread(target=send)
    client.start()
    time.sleep(max(0.3, dry_seconds / 2))
    assert client.is_alive(), f"the import finished before the kill ({dry_seconds:.1f}s dry run)"
    server.kill()
    client.join(30)
    assert "error" in outcome, f"the client got an answer from a killed server: {outcome}"

    before_retry = stored_topics(embedded_env)["Child.SignalRecorded"]
    assert before_retry in (0, ROWS), f"half an import is stored: {before_retry} of {ROWS} signals"

    server = web_servers(embedded_env, port=server.port)  # the operator (systemd) starts it again
    first = post_import(server, school, body, "export-2026-02")
    assert first.status == 201, first.body
    again = post_import(server, school, body, "export-2026-02")
    assert again.status == 201 and again.body["replayed"] is True
    assert again.body["results"] == first.body["results"]
    if before_retry == 0:
        assert (first.body["accepted"], first.body["replayed"]) == (ROWS, False), first.body
    server.stop()

    topics = stored_topics(embedded_env)
    assert topics["Child.SignalRecorded"] == ROWS, "exactly one signal per row"
    assert topics["Child.Registered"] == ROWS, "exactly one child per pupil"


# --- the disk fills up -------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 24 MiB tmpfs mounted for this test (root only), unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:  # the max_page_count test below covers the same refusal without root
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root, CAP_SYS_ADMIN): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; return it (delete it to free the space)."""
    filler = disk / "filler"
    chunk = b"\0" * (256 * 1024)
    with open(filler, "wb", buffering=0) as f:
        with contextlib.suppress(OSError):
            while True:
                f.write(chunk)
        with contextlib.suppress(OSError):  # the last few KiB
            for _ in range(1024):
                f.write(b"\0" * 1024)
    return filler


def test_a_full_disk_is_a_clear_507_and_the_store_opens_afterwards(small_disk, web_servers):
    env = {"SAFEHUB_DATA_DIR": str(small_disk / "var")}
    users = make_users(env)[0]
    server = web_servers(env)
    child = server.call(
        "POST",
        "/api/v1/children",
        users["school"],
        {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"},
    )
    assert child.status == 201, child.body
    signals = f"/api/v1/children/{child.body['id']}/signals"

    def post(n: int) -> Answer:
        return server.call(
            "POST",
            signals,
            users["school"],
            {
                "kind": "behaviour_change",
                "observed_at": "2026-02-20T08:00:00",
                "details": f"obserwacja {n} " + "x" * 2000,
            },
            headers={"Idempotency-Key": f"disk-{n}"},
        )

    filler = fill(small_disk)
    answers = {}
    for n in range(40):
        answers[n] = post(n)
        if answers[n].status != 201:
            break
    refused = [a for a in answers.values() if a.status != 201]
    assert refused, "every write succeeded on a full disk (nothing was filled?)"
    assert {a.status for a in refused} == {507}, [(a.status, a.body) for a in refused]
    assert refused[0].body["error"] == "insufficient_storage"
    assert "disk is full" in refused[0].body["message"]
    accepted = {a.body["id"] for a in answers.values() if a.status == 201}
    assert server.call("GET", "/healthz").status == 200, "reads still work on a full disk"

    filler.unlink()  # the administrator frees space: the same server, the same request, now saved
    retried = post(max(answers))
    assert retried.status == 201, retried.body
    accepted.add(retried.body["id"])
    stored = server.call("GET", signals, users["school"])
    assert stored.status == 200 and {s["id"] for s in stored.body} == accepted
    server.stop()

    server = web_servers(env)  # and a restarted server opens the store
    assert {s["id"] for s in server.call("GET", signals, users["school"]).body} == accepted
    server.stop()
    verify = subprocess.run(
        [sys.executable, "-m", "services.cli", "audit", "verify", "--json"],
        cwd=REPO_ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["intact"] is True


def test_the_store_growing_past_its_limit_is_a_507_without_root(tmp_path: Path, clock, monkeypatch):
    """The same refusal where no tmpfs can be mounted: SQLite's own ``max_page_count`` makes
    the events file unable to grow, and SQLite answers SQLITE_FULL ("database or disk is
    full") exactly as on a full disk. The limit is set on the events file's connections
    only, a few pages above its size; afterwards the store opens without it and saves."""
    import sqlite3
    from datetime import date

    import eventsourcing.sqlite

    from services.app import create_app
    from services.bootstrap import build
    from services.config import Settings
    from tests.worlds import make_world

    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var")})
    services = build(settings, clock=clock)
    world = make_world(services.directory)
    school = world.users["school"]
    child = services.children.register(
        school.actor, given_name="Ola", family_name="Nowicka", date_of_birth=date(2015, 5, 14)
    )["id"]
    services.close()
    events_file = str(tmp_path / "var" / "events.sqlite")
    with sqlite3.connect(events_file) as conn:
        limit = conn.execute("PRAGMA page_count").fetchone()[0] + 3
    original = eventsourcing.sqlite.SQLiteConnectionPool._create_connection

    def limited(pool):
        connection = original(pool)
        if pool.db_name == events_file:
            connection._sqlite_conn.execute(f"PRAGMA max_page_count = {limit}")
        return connection

    monkeypatch.setattr(eventsourcing.sqlite.SQLiteConnectionPool, "_create_connection", limited)
    services = build(settings, clock=clock)
    try:
        client = create_app(services=services).test_client()
        answers = []
        for n in range(40):
            answers.append(
                client.post(
                    f"/api/v1/children/{child}/signals",
                    headers=school.headers,
                    json={
                        "kind": "behaviour_change",
                        "observed_at": "2026-03-01T08:00:00",
                        "details": f"{n} " + "x" * 3000,
                    },
                )
            )
            if answers[-1].status_code != 201:
                break
        refused = answers[-1]
        assert refused.status_code == 507, (refused.status_code, refused.json)
        assert refused.json["error"] == "insufficient_storage" and "nothing was saved" in refused.json["message"]
        saved = [a.json["id"] for a in answers if a.status_code == 201]
    finally:
        services.close()
    monkeypatch.undo()

    services = build(settings, clock=clock)
    try:
        client = create_app(services=services).test_client()
        again = client.post(
            f"/api/v1/children/{child}/signals",
            headers=school.headers,
            json={"kind": "behaviour_change", "observed_at": "2026-03-01T08:00:00", "details": "po zwolnieniu miejsca"},
        )
        assert again.status_code == 201, again.json
        stored = client.get(f"/api/v1/children/{child}/signals", headers=school.headers).json
        assert [s["id"] for s in stored] == [*saved, again.json["id"]], "nothing half-saved, nothing lost"
    finally:
        services.close()
