"""Finding: backups were plain copies, and restoring one brought an erased child back.

`safehub backup` copied the data files as they were (every signal text readable with
`sqlite3`) together with `cipher.key`, which wrapped every child's key: the backup alone
opened everything. A restore of a backup taken before an erasure gave the child back
(`erased=false`, names and texts readable). Now a backup is one encrypted archive (AES-GCM,
the backup key kept outside the data directory), it never holds the key that wraps the
per-person keys, and a restore replays the erasure ledger (subject ids and times, kept
outside the data directory and carried into every later backup): whoever was erased after
the backup is erased in the restored store, and the read models are rebuilt without them.
"""

from __future__ import annotations

import base64
import os
import stat
import tarfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from domain.pesel import make_pesel
from services.adapters.backup import backup
from services.app import create_app
from services.bootstrap import build
from services.cli.upkeep import restore
from services.config import Settings
from tests.functional.api.contract.helpers import record_signal, register_child

API = "/api/v1/children"
NAME, FAMILY, SECRET_TEXT = "Bożydar", "Zapomniany", "ojciec pije i bije wieczorami"
PESEL = make_pesel(date(2015, 4, 3), 2468)


def _keys_env(settings: Settings) -> dict[str, str]:
    """The settings that stay with the deployment, not with its data directory (the keys folder)."""
    keys_dir = getattr(settings, "keys_dir", None) or settings.data_dir.parent / f"{settings.data_dir.name}-keys"
    return {"SAFEHUB_KEYS_DIR": str(keys_dir)}


def _every_byte(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _erase(client, world, child: str) -> None:
    asked = client.post(
        f"{API}/{child}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/7"},
    )
    assert asked.status_code == 202, asked.json
    approved = client.post(f"{API}/{child}/erasure/approval", headers=world.users["auditor"].headers, json={})
    assert approved.status_code == 200, approved.json


def _child_with_a_story(client, world) -> str:
    child = register_child(client, world.users["school"], given_name=NAME, family_name=FAMILY, pesel=PESEL)["id"]
    record_signal(client, world.users["school"], child, kind="behaviour_change", details=SECRET_TEXT)
    return child


def test_a_backup_is_one_encrypted_owner_only_archive_without_the_wrapping_key(settings, services, client, world):
    _child_with_a_story(client, world)
    target = settings.data_dir.parent / "backup"
    backup(settings, target)

    files = [p for p in target.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path.name} is not owner-only"
    everything = _every_byte(target)
    assert b"SQLite format 3" not in everything, "a data file sits in the backup unencrypted"
    for text in (NAME, FAMILY, SECRET_TEXT):
        assert text.encode() not in everything
    assert (settings.data_dir / "cipher.key").read_bytes().strip() not in everything
    wrapping = getattr(settings, "resolved_wrapping_key", None)
    assert wrapping is not None, "no key wraps the per-person keys apart from the payload key"
    assert wrapping() != (settings.data_dir / "cipher.key").read_text().strip()

    from services.adapters.sealed_stream import SealedReader

    key = base64.b64decode(settings.resolved_backup_key())
    with (target / "backup.enc").open("rb") as f, tarfile.open(fileobj=SealedReader(f, key), mode="r|") as tar:
        opened = {m.name: tar.extractfile(m).read() for m in tar}
    assert "events.sqlite" in opened and "keys.sqlite" in opened
    assert not any(wrapping().encode() in data for data in opened.values()), "the backup holds the wrapping key"
    assert not (settings.data_dir / "wrapping.key").exists() and not (settings.data_dir / "backup.key").exists()


def test_a_restore_of_a_backup_taken_before_an_erasure_yields_the_erased_state(
    settings, services, client, world, clock, tmp_path, monkeypatch
):
    child = _child_with_a_story(client, world)
    kept = register_child(client, world.users["school"], given_name="Zostaje", family_name="Pamiętany")["id"]
    target = tmp_path / "backup"
    backup(settings, target)
    _erase(client, world, child)  # after the backup was taken
    services.close()

    restored_dir = tmp_path / "restored"
    env = {"SAFEHUB_DATA_DIR": str(restored_dir), **_keys_env(settings)}
    for name in list(os.environ):
        if name.startswith("SAFEHUB_"):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(restore, [str(target), "--json"], env=env)
    assert result.exit_code == 0, result.output

    restored = build(Settings.from_env(env), clock=clock)
    try:
        app = create_app(services=restored)
        app.config["TESTING"] = True
        reader = app.test_client()
        coordinator, school = world.users["coordinator"].headers, world.users["school"].headers
        record = reader.get(f"{API}/{child}", headers=coordinator)
        assert record.status_code == 200, record.json
        assert record.json["given_name"] is None and record.json["family_name"] is None, record.json
        assert record.json["erased"] is True, "the restored record does not say it was erased"
        found = reader.post(
            f"{API}/search",
            headers=school,
            json={"given_name": NAME, "family_name": FAMILY, "date_of_birth": "2015-04-03"},
        )
        assert found.status_code in (200, 404)
        assert child not in str(found.json), "the erased child is found by name after the restore"
        by_pesel = reader.post(f"{API}/search", headers=school, json={"pesel": PESEL})
        assert child not in str(by_pesel.json), "the erased child's PESEL still finds it after the restore"
        anew = reader.post(
            API,
            headers=school,
            json={"given_name": "Nowy", "family_name": "Zapis", "date_of_birth": "2015-04-03", "pesel": PESEL},
        )
        assert anew.status_code == 201, anew.json
        story = reader.get(f"{API}/{child}/signals", headers=coordinator)
        assert SECRET_TEXT not in str(story.json)
        other = reader.get(f"{API}/{kept}", headers=coordinator)
        assert other.status_code == 200 and other.json["given_name"] == "Zostaje", "the others were restored"
    finally:
        restored.close()

    everything = _every_byte(restored_dir)
    for text in (NAME, FAMILY, SECRET_TEXT):
        assert text.encode() not in everything, f"{text!r} is on disk in the restored data directory"


@pytest.mark.parametrize("tamper", ["truncate", "flip"])
def test_a_damaged_backup_is_refused(settings, services, client, world, tmp_path, tamper, monkeypatch):
    _child_with_a_story(client, world)
    target = tmp_path / "backup"
    backup(settings, target)
    (archive,) = [p for p in target.rglob("*") if p.is_file() and p.suffix == ".enc"]
    data = bytearray(archive.read_bytes())
    if tamper == "truncate":
        del data[len(data) // 2 :]
    else:
        data[len(data) // 2] ^= 1
    archive.write_bytes(bytes(data))
    for name in list(os.environ):
        if name.startswith("SAFEHUB_"):
            monkeypatch.delenv(name)
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "restored"), **_keys_env(settings)}
    result = CliRunner().invoke(restore, [str(target)], env=env)
    assert result.exit_code != 0
    assert not (tmp_path / "restored" / "events.sqlite").exists(), "a damaged backup left a store behind"


def test_a_backup_opens_only_with_its_own_key(settings, services, client, world, tmp_path, monkeypatch):
    _child_with_a_story(client, world)
    target = tmp_path / "backup"
    backup(settings, target)
    for name in list(os.environ):
        if name.startswith("SAFEHUB_"):
            monkeypatch.delenv(name)
    other_keys = tmp_path / "other-keys"
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "restored"), "SAFEHUB_KEYS_DIR": str(other_keys)}
    result = CliRunner().invoke(restore, [str(target)], env=env)
    assert result.exit_code != 0 and "no backup key" in result.output
    Settings.from_env(env).resolved_backup_key()  # a backup key, but not the one that sealed it
    result = CliRunner().invoke(restore, [str(target)], env=env)
    assert result.exit_code != 0 and "another key" in result.output, result.output
    assert not (tmp_path / "restored" / "events.sqlite").exists()


def test_every_erasure_is_in_the_ledger_outside_the_data_directory(settings, services, client, world):
    child = _child_with_a_story(client, world)
    _erase(client, world, child)
    ledger = settings.erasure_ledger_path
    assert settings.data_dir.resolve() not in ledger.resolve().parents
    text = ledger.read_text()
    assert child in text and NAME not in text and FAMILY not in text
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600


def test_a_newer_backup_carries_the_ledger_to_a_restore_elsewhere(
    settings, services, client, world, clock, tmp_path, monkeypatch
):
    child = _child_with_a_story(client, world)
    backup(settings, tmp_path / "older")
    _erase(client, world, child)
    backup(settings, tmp_path / "newer")  # carries the ledger with the erasure
    services.close()
    settings.erasure_ledger_path.unlink()  # another machine: the keys, but not the live ledger

    for name in list(os.environ):
        if name.startswith("SAFEHUB_"):
            monkeypatch.delenv(name)
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "restored"), **_keys_env(settings)}
    result = CliRunner().invoke(restore, [str(tmp_path / "older"), "--ledger", str(tmp_path / "newer")], env=env)
    assert result.exit_code == 0, result.output
    restored = build(Settings.from_env(env), clock=clock)
    try:
        app = create_app(services=restored)
        record = app.test_client().get(f"{API}/{child}", headers=world.users["coordinator"].headers)
        assert record.status_code == 200 and record.json["erased"] is True and record.json["given_name"] is None
    finally:
        restored.close()
    assert child in settings.erasure_ledger_path.read_text(), "the live ledger learnt the erasure again"
