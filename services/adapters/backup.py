"""Back up and restore the embedded store while it serves (SQLite's online backup API).

A backup is a directory: ``events.sqlite`` (the event store), ``projections/*.sqlite``
(the read models), any other ``*.sqlite`` beside the log (per-subject keys), the data
directory's ``*.key`` files (``secret.key``: without it a PESEL or a birth date is never
found again; the payload encryption key) and ``manifest.json``. Keep backups as safe as
the data: they hold the keys.

The read models are copied *before* the event store, so each is at or behind the log it
is restored with and a restore only has to catch them up (a read model ahead of its log
would claim events that do not exist); stores beside the log are copied *after* it, so
every event copied finds what it refers to. Each copy is one read transaction (a
consistent snapshot); in WAL mode writers carry on meanwhile.

PostgreSQL deployments use ``pg_dump`` / ``pg_restore`` instead (README).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from services.config import EVENTS_FILE, Settings

MANIFEST = "manifest.json"
PROJECTIONS_DIR = "projections"


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why."""


@dataclass
class BackupResult:
    """What a backup or restore copied."""

    path: Path
    head: int
    files: list[str]

    def as_dict(self) -> dict:
        """Plain values for ``--json``."""
        return {"path": str(self.path), "head": self.head, "files": self.files}


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page in one read transaction."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: a consistent snapshot of the source
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
    finally:
        dst.close()
        src.close()


def _head(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%\\_events' ESCAPE '\\'"
            )
        ]
        if not tables:
            return 0
        return max(
            conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {t}").fetchone()[0]  # noqa: S608
            for t in tables
        )


def _check(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path.name} failed the integrity check: {result}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(settings: Settings, target: Path) -> BackupResult:
    """Copy the embedded store into ``target`` (a new or empty directory)."""
    if settings.uses_postgres:
        raise BackupError("the store is PostgreSQL: back it up with pg_dump (see the README)")
    source = settings.data_dir
    events = source / EVENTS_FILE
    if not events.exists():
        raise BackupError(f"no event store at {events}")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for view in sorted((source / PROJECTIONS_DIR).glob("*.sqlite")):  # read models first (see above)
        _copy_sqlite(view, target / PROJECTIONS_DIR / view.name)
        files.append(f"{PROJECTIONS_DIR}/{view.name}")
    _copy_sqlite(events, target / EVENTS_FILE)
    files.append(EVENTS_FILE)
    for other in sorted(p for p in source.glob("*.sqlite") if p.name != EVENTS_FILE):
        # Stores beside the log (per-subject keys): after it, so every event copied finds its key.
        _copy_sqlite(other, target / other.name)
        files.append(other.name)
    for key in sorted(source.glob("*.key")):  # secret.key (look-up digests), and any payload key
        shutil.copy2(key, target / key.name)
        (target / key.name).chmod(0o600)
        files.append(key.name)
    head = _head(target / EVENTS_FILE)
    manifest = {
        "created": datetime.now(UTC).isoformat(),
        "head": head,
        "files": {name: _sha256(target / name) for name in files},
        "secret_in_environment": bool(settings.secret_key),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return BackupResult(target, head, files)


def restore(settings: Settings, source: Path) -> BackupResult:
    """Copy a backup into the (empty) data directory; the caller then catches the projections up."""
    if settings.uses_postgres:
        raise BackupError("the store is PostgreSQL: restore it with pg_restore (see the README)")
    manifest_path = source / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{source} is not a safehub backup (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    target = settings.data_dir
    if target.exists() and any(p for p in target.iterdir() if p.name != "celerybeat-schedule"):
        raise BackupError(f"{target} is not empty: restore into an empty data directory")
    for name, digest in manifest["files"].items():
        if _sha256(source / name) != digest:
            raise BackupError(f"{name} does not match the manifest: the backup is damaged")
    target.mkdir(parents=True, exist_ok=True)
    for name in manifest["files"]:
        if name.endswith(".sqlite"):
            _copy_sqlite(source / name, target / name)
            _check(target / name)
        else:
            shutil.copy2(source / name, target / name)
            (target / name).chmod(0o600)
    head = _head(target / EVENTS_FILE)
    if head != manifest["head"]:
        raise BackupError(f"restored log ends at {head}, the backup at {manifest['head']}")
    return BackupResult(target, head, list(manifest["files"]))
