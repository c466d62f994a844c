"""Finding: on PostgreSQL the per-child keys sat in the same database as the log, wrapped by
the payload key every process holds, so every `pg_dump` kept them openable.

Now the per-person keys are wrapped by a key-wrapping key held outside the database (the
keys folder's ``wrapping.key`` or ``SAFEHUB_KEY_WRAPPING_KEY``), apart from the payload key:
a `pg_dump` shows no name, holds neither key, and its wrapped keys do not open with the
payload key, only with the wrapping key file. After a `pg_restore` of a dump taken before an
erasure, `safehub erasures replay` erases the person again from the ledger.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.worlds import make_world

pytestmark = pytest.mark.postgres

API = "/api/v1/children"
NAME, FAMILY, TEXT = "Bożydar", "Zapomniany", "ojciec pije i bije wieczorami"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _tool(postgres_server, name: str) -> str:
    """A client program beside the server's binaries, or the distribution's, or on ``$PATH``."""
    for folder in (postgres_server.bindir, *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)):
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not found")
    return found


def _dump(postgres_server, url: str, out: Path | None = None) -> bytes:
    command = [_tool(postgres_server, "pg_dump"), "--no-owner", f"--dbname={url}"]
    if out is not None:
        command += ["--format=custom", f"--file={out}"]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _story(settings: Settings, clock=None) -> tuple[str, object]:
    services = build(settings)
    world = make_world(services.directory)
    client = create_app(services=services).test_client()
    school = world.users["school"]
    child = client.post(
        API, headers=school.headers, json={"given_name": NAME, "family_name": FAMILY, "date_of_birth": "2015-04-03"}
    )
    assert child.status_code == 201, child.json
    signal = client.post(
        f"{API}/{child.json['id']}/signals",
        headers=school.headers,
        json={"kind": "behaviour_change", "observed_at": "2026-03-02T08:00:00+01:00", "details": TEXT},
    )
    assert signal.status_code == 201, signal.json
    services.followers.catch_up()
    services.close()
    return child.json["id"], world


def _tables(dump: bytes) -> dict[str, bytes]:
    """``table -> its COPY block`` in a plain dump."""
    blocks: dict[str, bytes] = {}
    for part in dump.split(b"\nCOPY ")[1:]:
        table, _, rest = part.partition(b" ")
        blocks[table.decode()] = rest.split(b"\n\\.\n", 1)[0]
    return blocks


def _wrapped_keys(dump: bytes) -> list[str]:
    """The wrapped keys in a plain dump's COPY block of the key table."""
    text = dump.decode()
    block = text.split("COPY public.safehub_subject_keys", 1)[1].split("\\.", 1)[0]
    return [line.split("\t")[1] for line in block.splitlines()[1:] if line.count("\t") >= 3 and "\t\\N\t" not in line]


def test_a_pg_dump_alone_opens_nothing(postgres_server, postgres_url, tmp_path):
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url})
    _story(settings)
    dump = _dump(postgres_server, postgres_url)
    stores = b"".join(block for table, block in _tables(dump).items() if table.startswith("public.safehub_"))
    assert b"safehub_events" in dump and b"safehub_subject_keys" in dump
    for text in (NAME, FAMILY, TEXT):
        assert text.encode() not in stores, f"{text!r} is in the event store or the key store of the pg_dump"
    cipher_key = settings.resolved_cipher_key()
    wrapping_key = settings.resolved_wrapping_key()
    assert wrapping_key != cipher_key, "the per-person keys are wrapped by the payload key"
    assert cipher_key.encode() not in dump and wrapping_key.encode() not in dump
    assert settings.wrapping_key_path.exists() and settings.data_dir not in settings.wrapping_key_path.parents

    wrapped = _wrapped_keys(dump)
    assert wrapped, "no per-person key found in the dump"
    payload = AESCipher(Environment(env={"CIPHER_KEY": cipher_key}))
    wrapping = AESCipher(Environment(env={"CIPHER_KEY": wrapping_key}))
    for value in wrapped:
        assert value.startswith("kwk:")
        box = base64.b64decode(value.removeprefix("kwk:"))
        with pytest.raises(ValueError):
            payload.decrypt(box)  # the payload key, which every process holds, opens no person's key
        assert len(base64.b64decode(wrapping.decrypt(box))) == 32  # only the key file outside the database does


@pytest.fixture
def restored_url(postgres_server):
    """A second, empty database to restore a dump into; dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)


def test_a_pg_restore_of_a_dump_taken_before_an_erasure_is_erased_again_from_the_ledger(
    postgres_server, postgres_url, restored_url, tmp_path
):
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_DATABASE_URL": postgres_url}
    settings = Settings.from_env(env)
    child, world = _story(settings)
    dumped = tmp_path / "before.dump"
    _dump(postgres_server, postgres_url, dumped)

    services = build(settings)
    client = create_app(services=services).test_client()
    asked = client.post(
        f"{API}/{child}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/7"},
    )
    assert asked.status_code == 202, asked.json
    approved = client.post(f"{API}/{child}/erasure/approval", headers=world.users["auditor"].headers, json={})
    assert approved.status_code == 200, approved.json
    services.close()

    restored = subprocess.run(
        [_tool(postgres_server, "pg_restore"), "--no-owner", f"--dbname={restored_url}", str(dumped)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr.decode()
    restored_env = {**env, "SAFEHUB_DATABASE_URL": restored_url}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")}
    replay = subprocess.run(
        [sys.executable, "-m", "services.cli", "erasures", "replay", "--json"],
        env={**clean, **restored_env},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replay.returncode == 0, replay.stderr
    assert child in json.loads(replay.stdout)["keys_destroyed"]

    services = build(Settings.from_env(restored_env))
    try:
        client = create_app(services=services).test_client()
        record = client.get(f"{API}/{child}", headers=world.users["coordinator"].headers)
        assert record.status_code == 200 and record.json["given_name"] is None and record.json["erased"] is True
    finally:
        services.close()
    dump = _dump(postgres_server, restored_url)
    for text in (NAME, FAMILY, TEXT):
        assert text.encode() not in dump
