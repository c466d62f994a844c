"""Back up and restore the embedded store while it serves: one encrypted archive, erasures replayed.

A backup is a directory (0700) holding one file, ``backup.enc`` (0600): a tar stream of
the erasure ledger, ``projections/*.sqlite`` (the read models), ``events.sqlite`` (the event
store), any other ``*.sqlite`` beside the log (per-person keys, side tables), the data
directory's ``*.key`` files (``secret.key`` for look-up digests, ``cipher.key`` for the
payloads) and ``manifest.json``, encrypted in 1 MiB AES-GCM chunks (services/adapters/
sealed_stream.py) with the backup key (``Settings.resolved_backup_key``: ``backup.key`` in
the keys folder, outside the data directory). The key that wraps the per-person keys is
never in it, so the archive and its key together still open no person's data.

The read models are copied *before* the event store, so each is at or behind the log it
is restored with and a restore only has to catch them up (a read model ahead of its log
would claim events that do not exist); stores beside the log are copied *after* it, so
every event copied finds what it refers to. Each copy is one read transaction (a
consistent snapshot), staged in a private folder in the data directory and gone when the
archive is written; in WAL mode writers carry on meanwhile.

A restore re-applies every erasure recorded after the backup was taken: the erasure ledger
(services/adapters/ledger.py) is kept outside the data directory and carried into every
backup; :func:`restore` answers which subjects it names that the backup did not yet know as
erased, and the caller (``safehub restore``) erases them again through the use case
(services/usecases/erasure_replay.py: the erasure is recorded in the restored log, the
look-ups released, then the key destroyed, as a live erasure does). When there are such
subjects the backup's read models are not written at all (they may hold what those people
were): they are built anew from the log, where that is sealed under the keys destroyed.
Why a ledger and not a wrapping key that changes at each erasure: that would make every
older backup unreadable for everyone, and a child-protection record must survive a
restore; the ledger holds ids and times only, so it may be copied anywhere.

PostgreSQL deployments use ``pg_dump`` / ``pg_restore`` and then ``safehub erasures replay``
(README).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from services.adapters.ledger import ErasureLedger, LedgerDamaged, parse, render
from services.adapters.sealed_stream import MAGIC, SealedReader, SealedWriter, StreamDamaged
from services.config import EVENTS_FILE, Settings

ARCHIVE = "backup.enc"
MANIFEST = "manifest.json"
LEDGER = "erasures.jsonl"
PROJECTIONS_DIR = "projections"
STAGING = ".backup-"


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why."""


@dataclass
class BackupResult:
    """What a backup or restore copied, and (restore) which erasures it re-applied."""

    path: Path
    head: int
    files: list[str]
    erasures_replayed: int = 0
    read_models_rebuilt: bool = False
    skipped: list[str] = field(default_factory=list)
    #: Subjects erased after the backup was taken (``subject -> erased_at``): to erase again.
    fresh: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain values for ``--json``."""
        return {
            "path": str(self.path),
            "head": self.head,
            "files": self.files,
            "erasures_replayed": self.erasures_replayed,
            "read_models_rebuilt": self.read_models_rebuilt,
        }


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database page by page in one read transaction."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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


def _backup_key(settings: Settings, *, create: bool) -> bytes:
    path = settings.backup_key_path
    if not create and not path.exists():
        raise BackupError(f"no backup key at {path}: set SAFEHUB_BACKUP_KEY_FILE (or SAFEHUB_KEYS_DIR) to it")
    try:
        return base64.b64decode(settings.resolved_backup_key(), validate=True)
    except ValueError as e:
        raise BackupError(f"{path} does not hold a backup key (base64, 32 bytes)") from e


def _kept_out(settings: Settings) -> set[Path]:
    """Key files never copied into a backup, wherever they were put."""
    return {settings.wrapping_key_path.resolve(), settings.backup_key_path.resolve()}


def backup(settings: Settings, target: Path) -> BackupResult:
    """Write the embedded store, encrypted, into ``target`` (a new or empty directory)."""
    if settings.uses_postgres:
        raise BackupError("the store is PostgreSQL: back it up with pg_dump (see the README)")
    source = settings.data_dir
    events = source / EVENTS_FILE
    if not events.exists():
        raise BackupError(f"no event store at {events}")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty")
    key = _backup_key(settings, create=True)
    ledger = ErasureLedger(settings.erasure_ledger_path).entries()  # read first: later ones replay anyway
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.chmod(0o700)
    with _one_backup_at_a_time(source):
        return _write_archive(settings, source, events, target, key, ledger)


@contextmanager
def _one_backup_at_a_time(source: Path) -> Iterator[None]:
    """Hold the data directory's backup lock, and remove what a backup that died left behind.

    A killed backup leaves its staging folder: copies that a later erasure would not reach.
    Under the lock no other backup runs, so every staging folder found is such a leftover.
    """
    fd = os.open(source / ".backup.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BackupError("another backup of this data directory is running") from e
        for leftover in source.glob(f"{STAGING}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        yield
    finally:
        os.close(fd)


def _write_archive(
    settings: Settings, source: Path, events: Path, target: Path, key: bytes, ledger: dict[str, str]
) -> BackupResult:
    staging = Path(tempfile.mkdtemp(dir=source, prefix=STAGING))  # 0700, beside what it copies
    try:
        (staging / LEDGER).write_bytes(render(ledger))
        files = []
        for view in sorted((source / PROJECTIONS_DIR).glob("*.sqlite")):  # read models first (see above)
            _copy_sqlite(view, staging / PROJECTIONS_DIR / view.name)
            files.append(f"{PROJECTIONS_DIR}/{view.name}")
        _copy_sqlite(events, staging / EVENTS_FILE)
        files.append(EVENTS_FILE)
        for other in sorted(p for p in source.glob("*.sqlite") if p.name != EVENTS_FILE):
            # Stores beside the log (per-person keys): after it, so every event copied finds its key.
            _copy_sqlite(other, staging / other.name)
            files.append(other.name)
        for key_file in sorted(source.glob("*.key")):  # secret.key, cipher.key; never the wrapping key
            if key_file.resolve() not in _kept_out(settings):
                shutil.copyfile(key_file, staging / key_file.name)
                files.append(key_file.name)
        head = _head(staging / EVENTS_FILE)
        manifest = {
            "created": datetime.now(UTC).isoformat(),
            "head": head,
            "files": {name: _sha256(staging / name) for name in files},
            "erasures": len(ledger),
            "secret_in_environment": bool(settings.secret_key),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        fd = os.open(target / ARCHIVE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            sealed = SealedWriter(out, key)
            with tarfile.open(fileobj=sealed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for name in [LEDGER, *files, MANIFEST]:  # the ledger first: a restore needs it before the views
                    tar.add(staging / name, arcname=name, recursive=False)
            sealed.finish()
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        (target / ARCHIVE).unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupResult(target, head, files)


def _write(stream: IO[bytes], path: Path) -> str:
    """Write a member to an owner-only file (created so, never widened); return its SHA-256."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _member_name(member: tarfile.TarInfo) -> str:
    name = PurePosixPath(member.name)
    if not member.isfile() or name.is_absolute() or ".." in name.parts or len(name.parts) > 2:
        raise BackupError(f"unexpected entry {member.name!r} in the backup")
    return str(name)


def carried_ledger(source: Path, key: bytes) -> dict[str, str]:
    """The erasure ledger a backup carries (its first entry: only that much is decrypted)."""
    archive = source / ARCHIVE if source.is_dir() else source
    try:
        with archive.open("rb") as f, tarfile.open(fileobj=SealedReader(f, key), mode="r|") as tar:
            first = tar.next()
            if first is None or first.name != LEDGER:
                raise BackupError(f"{source} carries no erasure ledger")
            return parse(tar.extractfile(first).read().decode())
    except (OSError, StreamDamaged, tarfile.TarError, ValueError) as e:
        raise BackupError(f"the ledger of {source} cannot be read: {e}") from e


def _ledgers(settings: Settings, extra: Iterable[Path], key: bytes) -> dict[str, str]:
    """Every erasure known outside the backup: the live ledger, and each ledger or newer backup given."""
    known = ErasureLedger(settings.erasure_ledger_path).entries()
    for path in extra:
        path = Path(path)
        if path.is_dir():
            is_backup = True
        else:
            with path.open("rb") as f:
                is_backup = f.read(len(MAGIC)) == MAGIC
        entries = carried_ledger(path, key) if is_backup else parse(path.read_text())
        for subject, at in entries.items():
            known[subject] = min(at, known.get(subject, at))
    return known


def restore(settings: Settings, source: Path, ledgers: Iterable[Path] = ()) -> BackupResult:
    """Decrypt a backup into the (empty) data directory, re-applying every erasure the ledgers know.

    The caller then catches the read models up (or builds them, when they were left out).
    On any failure nothing restored is left behind.
    """
    if settings.uses_postgres:
        raise BackupError("the store is PostgreSQL: restore it with pg_restore (see the README)")
    archive = source / ARCHIVE if source.is_dir() else source
    if not archive.exists():
        legacy = " (an unencrypted backup from an earlier version)" if (source / MANIFEST).exists() else ""
        raise BackupError(f"{source} is not a safehub backup: no {ARCHIVE}{legacy}")
    target = settings.data_dir
    if target.exists() and any(p for p in target.iterdir() if p.name != "celerybeat-schedule"):
        raise BackupError(f"{target} is not empty: restore into an empty data directory")
    key = _backup_key(settings, create=False)
    try:
        known = _ledgers(settings, ledgers, key)
    except (OSError, LedgerDamaged) as e:
        raise BackupError(f"the erasure ledger cannot be read: {e}") from e
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    before = {p.name for p in target.iterdir()}
    try:
        result = _unpack(archive, key, target, known)
    except BaseException:
        for leftover in target.iterdir():  # nothing half-restored stays behind
            if leftover.name not in before:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        raise
    ErasureLedger(settings.erasure_ledger_path).merge(result.pop("replay"))  # later backups carry them too
    # From here the ledger knows every erasure to re-apply: should the caller stop before it
    # has, ``safehub erasures replay`` finishes the job.
    return BackupResult(target, **result)


def _unpack(archive: Path, key: bytes, target: Path, known: dict[str, str]) -> dict:
    digests: dict[str, str] = {}
    manifest: dict | None = None
    replay: dict[str, str] | None = None
    fresh: set[str] = set()
    skipped: list[str] = []
    try:
        with archive.open("rb") as f, tarfile.open(fileobj=SealedReader(f, key), mode="r|") as tar:
            for member in tar:
                name = _member_name(member)
                stream = tar.extractfile(member)
                if name == LEDGER:
                    carried = parse(stream.read().decode())
                    replay = {s: min(at, known.get(s, at)) for s, at in carried.items()} | {
                        s: at for s, at in known.items() if s not in carried
                    }
                    fresh = set(replay) - set(carried)  # erased after the backup was taken
                elif replay is None:
                    raise BackupError("the backup has no erasure ledger before its data")
                elif name == MANIFEST:
                    manifest = json.loads(stream.read())
                elif name.startswith(f"{PROJECTIONS_DIR}/") and fresh:
                    skipped.append(name)  # may hold what the newly erased were: rebuilt from the log
                    digests[name] = hashlib.sha256(stream.read()).hexdigest()
                else:
                    digests[name] = _write(stream, target / name)
    except (StreamDamaged, tarfile.TarError, LedgerDamaged, ValueError) as e:
        raise BackupError(f"the backup cannot be opened: {e}") from e
    if manifest is None or digests != manifest["files"]:
        raise BackupError("the backup does not match its manifest: it is damaged or incomplete")
    for name in digests:
        if name.endswith(".sqlite") and name not in skipped:
            _check(target / name)
    head = _head(target / EVENTS_FILE)
    if head != manifest["head"]:
        raise BackupError(f"restored log ends at {head}, the backup at {manifest['head']}")
    return {
        "head": head,
        "files": list(manifest["files"]),
        "erasures_replayed": len(fresh),
        "read_models_rebuilt": bool(skipped),
        "skipped": skipped,
        "replay": replay,
        "fresh": {s: replay[s] for s in sorted(fresh)},
    }
