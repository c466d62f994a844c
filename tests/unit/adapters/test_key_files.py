"""Key files made by processes that start together: one key, always whole, owner-only."""

from __future__ import annotations

import stat
from functools import partial

from services.config import Settings, create_once
from tests.threads import at_once


def test_racing_writers_all_read_the_first_whole_key(tmp_path):
    path = tmp_path / "var" / "k.key"

    def write(n: int) -> str:
        create_once(path, f"key-{n}" * 8)
        return path.read_text()

    seen = at_once([partial(write, n) for n in range(16)])
    assert len(seen) == 16 and len(set(seen)) == 1, "every writer reads the one key that won"
    assert seen[0].startswith("key-") and len(seen[0]) >= 40, "never an empty or partial key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["k.key"], "no draft file is left behind"


def test_an_existing_key_is_kept(tmp_path):
    path = tmp_path / "k.key"
    create_once(path, "first")
    create_once(path, "second")
    assert path.read_text() == "first"


def test_settings_started_together_share_the_secret_and_the_cipher_key(tmp_path):
    settings = [Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var")}) for _ in range(8)]
    keys = at_once([lambda s=s: (s.resolved_secret(), s.resolved_cipher_key()) for s in settings])
    assert len(keys) == 8 and len(set(keys)) == 1
    secret, cipher = keys[0]
    assert len(secret) == 64 and cipher
