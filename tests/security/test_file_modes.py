"""Issue 21 finding: data files are mode 0644.

The event log, the key store, the read models (every signal text, health and addiction
entries included), the sessions and the secret were readable by every local user. Now
the data directory and everything in it is owner-only, created that way (the process
umask is 077 from the start of ``build``), and a directory left looser by an older
version is tightened when the services start.
"""

from __future__ import annotations

import stat
from pathlib import Path

from services.bootstrap import build
from services.config import Settings
from tests.functional.api.contract.helpers import record_signal, register_child


def _loose(folder: Path) -> list[str]:
    """Every path under (and including) ``folder`` that is not 0700 (directories) or 0600 (files)."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            found.append(f"{path.relative_to(folder.parent)} {oct(mode)}")
    return found


def test_every_file_the_service_writes_is_owner_only(client, world, services, settings):
    child = register_child(client, world.users["school"])["id"]
    record_signal(client, world.users["school"], child, details="Siniak na ramieniu.")
    assert client.get(f"/api/v1/children/{child}/timeline", headers=world.users["school"].headers).status_code == 200
    services.followers.catch_up()
    assert not _loose(settings.data_dir), _loose(settings.data_dir)


def test_a_loose_data_directory_is_tightened_on_start(tmp_path, clock):
    folder = tmp_path / "var"
    (folder / "projections").mkdir(parents=True)
    folder.chmod(0o755)
    (folder / "projections").chmod(0o755)
    old = folder / "projections" / "timeline.sqlite"
    old.write_bytes(b"")
    old.chmod(0o644)
    services = build(Settings.from_env({"SAFEHUB_DATA_DIR": str(folder)}), clock=clock)
    try:
        assert not _loose(folder), _loose(folder)
    finally:
        services.close()


def test_the_demo_leaves_every_file_owner_only(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from services.cli import main

    folder = tmp_path / "var"
    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(folder))
    result = CliRunner().invoke(main, ["demo", "--no-serve"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not _loose(folder), _loose(folder)
    keys = tmp_path / "var-keys"  # the keys folder beside the data directory, when there is one
    if keys.exists():
        assert not _loose(keys), _loose(keys)
