"""Settings from environment variables: the only module that reads ``os.environ``.

Every variable has a default that works for the embedded mode, so ``safehub serve`` runs
with nothing configured; production sets ``SAFEHUB_DATABASE_URL`` and friends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
CIPHER_FILE = "cipher.key"
EVENTS_FILE = "events.sqlite"
#: In the keys folder (Settings.resolved_keys_dir), never in the data directory or a backup.
WRAPPING_FILE = "wrapping.key"
BACKUP_KEY_FILE = "backup.key"
LEDGER_FILE = "erasures.jsonl"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, resolved once at start-up."""

    data_dir: Path
    database_url: str | None
    secret_key: str | None
    timezone: str
    max_body_bytes: int
    projection_mode: str
    broker_url: str
    read_wait_seconds: float
    catch_up_seconds: float
    pull_lock_seconds: int
    risk_policy_path: str | None
    cipher_key: str | None
    #: Police notices: the school-day policy file (None: the shipped default) and, in the
    #: embedded mode, how often unacknowledged notices are escalated (0 turns it off).
    school_days_path: str | None = None
    escalate_seconds: float = 60.0
    #: The Blue Card procedure policy (deadlines, reviews, agenda weights); None: the shipped default.
    procedure_policy_path: str | None = None
    #: When a record's retention ends (domain/retention.py); None: the shipped conservative default.
    retention_policy_path: str | None = None
    #: Embedded mode: how often the web process raises deadline reminders (0 turns it off).
    remind_seconds: float = 300.0
    #: Embedded mode (and Celery beat): how often the retention schedule is applied (0 turns the loop off).
    retention_seconds: float = 86400.0
    #: prometheus-client's multiprocess directory (several gunicorn workers share counters there).
    metrics_dir: str | None = None
    log_level: str = "INFO"
    #: Aggregates (children, cards, users) kept decoded per process, so a busy child is not
    #: rebuilt from its snapshot on every request; each costs tens of KiB of memory.
    aggregate_cache_size: int = 2000
    #: ... and the events they may hold together: the real memory bound (a busy child's
    #: aggregate holds thousands of signals), under 1 KiB each (a signal with a short note: about 0.4 KiB).
    aggregate_cache_events: int = 20_000
    #: Rows the timeline's and the risk view's read caches may each hold per process.
    read_cache_rows: int = 20_000
    #: A Celery worker child whose resident memory passed this many MiB is replaced after its
    #: task (0: never). A ceiling, like gunicorn's max_requests: growth never becomes an outage.
    worker_max_memory_mib: int = 512
    #: Create missing tables and indexes on start (PostgreSQL). Production sets it off for the
    #: long-running processes: `safehub init` creates the schema once, and a CREATE INDEX run by
    #: a starting process while a worker applies a batch can deadlock with it.
    create_tables: bool = True
    #: The pages' session cookie travels only over HTTPS. Default on with PostgreSQL (production
    #: sits behind TLS), off for the embedded mode on plain-http localhost; SAFEHUB_COOKIE_SECURE overrides.
    cookie_secure: bool = False
    #: The CSV import's hard limits: the file's size (refused before it is read), its data rows
    #: (refused while it is parsed) and how many imports, dry runs included, one user may start
    #: a minute (counted in the database, shared by every worker).
    import_max_bytes: int = 4 * 1024 * 1024
    import_max_rows: int = 10_000
    imports_per_minute: int = 10
    #: The embedded server closes a connection that sent or received nothing for this long,
    #: a request head it never finished included (waitress's channel_timeout).
    idle_connection_seconds: int = 30
    #: The keys folder: what stays with the deployment, never in its data directory, its database
    #: or its backups (``wrapping.key``, ``backup.key``, ``erasures.jsonl``). None: ``<data_dir>-keys``
    #: beside the data directory. Each file below can be put elsewhere on its own.
    keys_dir: Path | None = None
    #: The key (base64 AES-256) wrapping every per-person key, or the file holding it; without
    #: it a database dump or a backup opens no personal data. None: ``wrapping.key`` in the keys folder.
    wrapping_key: str | None = None
    wrapping_key_file: Path | None = None
    #: The key (base64 AES-256) that encrypts backups. None: ``backup.key`` in the keys folder.
    backup_key_file: Path | None = None
    #: The erasure ledger (subject ids and times, no personal data) a restore replays.
    #: None: ``erasures.jsonl`` in the keys folder.
    erasure_ledger: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read the ``SAFEHUB_*`` variables, falling back to embedded defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "data_dir": Path(env.get("SAFEHUB_DATA_DIR", "./var")),
            "database_url": env.get("SAFEHUB_DATABASE_URL") or None,
            "secret_key": env.get("SAFEHUB_SECRET_KEY") or None,
            "timezone": env.get("SAFEHUB_TIMEZONE", "Europe/Warsaw"),
            "max_body_bytes": int(env.get("SAFEHUB_MAX_BODY_BYTES", str(10 * 1024 * 1024))),
            "projection_mode": env.get("SAFEHUB_PROJECTIONS", "inprocess"),
            "broker_url": env.get("SAFEHUB_BROKER_URL", "redis://127.0.0.1:6379/0"),
            "read_wait_seconds": float(env.get("SAFEHUB_READ_WAIT_SECONDS", "2")),
            "catch_up_seconds": float(env.get("SAFEHUB_CATCH_UP_SECONDS", "5")),
            "pull_lock_seconds": int(env.get("SAFEHUB_PULL_LOCK_SECONDS", "60")),
            "risk_policy_path": env.get("SAFEHUB_RISK_POLICY") or None,
            "procedure_policy_path": env.get("SAFEHUB_PROCEDURE_POLICY") or None,
            "retention_policy_path": env.get("SAFEHUB_RETENTION_POLICY") or None,
            "remind_seconds": float(env.get("SAFEHUB_REMIND_SECONDS", "300")),
            "retention_seconds": float(env.get("SAFEHUB_RETENTION_SECONDS", "86400")),
            "school_days_path": env.get("SAFEHUB_SCHOOL_DAYS") or None,
            "escalate_seconds": float(env.get("SAFEHUB_ESCALATE_SECONDS", "60")),
            "cipher_key": env.get("SAFEHUB_CIPHER_KEY") or None,
            "metrics_dir": env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            "log_level": env.get("SAFEHUB_LOG_LEVEL", "INFO"),
            "aggregate_cache_size": int(env.get("SAFEHUB_AGGREGATE_CACHE_SIZE", "2000")),
            "aggregate_cache_events": int(env.get("SAFEHUB_AGGREGATE_CACHE_EVENTS", "20000")),
            "read_cache_rows": int(env.get("SAFEHUB_READ_CACHE_ROWS", "20000")),
            "worker_max_memory_mib": int(env.get("SAFEHUB_WORKER_MAX_MEMORY_MIB", "512")),
            "create_tables": env.get("SAFEHUB_CREATE_TABLES", "y").strip().lower() not in ("n", "no", "0", "false"),
            "import_max_bytes": int(env.get("SAFEHUB_IMPORT_MAX_BYTES", str(4 * 1024 * 1024))),
            "import_max_rows": int(env.get("SAFEHUB_IMPORT_MAX_ROWS", "10000")),
            "imports_per_minute": int(env.get("SAFEHUB_IMPORTS_PER_MINUTE", "10")),
            "idle_connection_seconds": int(env.get("SAFEHUB_IDLE_CONNECTION_SECONDS", "30")),
            "keys_dir": _path(env.get("SAFEHUB_KEYS_DIR")),
            "wrapping_key": env.get("SAFEHUB_KEY_WRAPPING_KEY") or None,
            "wrapping_key_file": _path(env.get("SAFEHUB_KEY_WRAPPING_KEY_FILE")),
            "backup_key_file": _path(env.get("SAFEHUB_BACKUP_KEY_FILE")),
            "erasure_ledger": _path(env.get("SAFEHUB_ERASURE_LEDGER")),
            "cookie_secure": env.get("SAFEHUB_COOKIE_SECURE", "y" if env.get("SAFEHUB_DATABASE_URL") else "n")
            .strip()
            .lower()
            not in ("n", "no", "0", "false"),
        }
        values.update(overrides)
        values["data_dir"] = Path(values["data_dir"])  # type: ignore[arg-type]
        if values["projection_mode"] not in ("inprocess", "celery"):
            raise ValueError("SAFEHUB_PROJECTIONS must be 'inprocess' or 'celery'")
        return cls(**values)  # type: ignore[arg-type]

    @property
    def import_size_limit(self) -> int:
        """The bytes an import may send: its own limit, never more than any body's."""
        return min(self.import_max_bytes, self.max_body_bytes)

    @property
    def uses_postgres(self) -> bool:
        """True when the event store is PostgreSQL rather than the embedded SQLite file."""
        return bool(self.database_url)

    def resolved_secret(self) -> bytes:
        """Return the key for hashing personal lookup keys, creating it in the data dir once."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / SECRET_FILE
        if not path.exists():
            create_once(path, secrets.token_hex(32))
        return path.read_text().strip().encode()

    def resolved_cipher_key(self) -> str:
        """Return the AES key that encrypts event payloads at rest.

        Production passes ``SAFEHUB_CIPHER_KEY``; the embedded mode keeps it in the data
        directory (owner-only), created together with a new store. A store that exists
        without its key is refused rather than silently given a key that cannot read it.
        """
        from eventsourcing.cryptography import AESCipher

        if self.cipher_key:
            return self.cipher_key
        path = self.data_dir / CIPHER_FILE
        if not path.exists():
            if not self.database_url and (self.data_dir / EVENTS_FILE).exists():
                raise RuntimeError(
                    f"{self.data_dir / EVENTS_FILE} exists but its key {path} is missing; "
                    "restore the key (or SAFEHUB_CIPHER_KEY), or start from an empty data directory"
                )
            create_once(path, AESCipher.create_key(num_bytes=32))
        return path.read_text().strip()

    @property
    def resolved_keys_dir(self) -> Path:
        """The keys folder: set, or ``<data_dir>-keys`` beside the data directory (never inside it)."""
        return self.keys_dir or self.data_dir.parent / f"{self.data_dir.name}-keys"

    @property
    def wrapping_key_path(self) -> Path:
        """The file holding the key that wraps the per-person keys."""
        return self.wrapping_key_file or self.resolved_keys_dir / WRAPPING_FILE

    @property
    def backup_key_path(self) -> Path:
        """The file holding the key that encrypts backups."""
        return self.backup_key_file or self.resolved_keys_dir / BACKUP_KEY_FILE

    @property
    def erasure_ledger_path(self) -> Path:
        """The erasure ledger a restore replays (kept outside the data directory)."""
        return self.erasure_ledger or self.resolved_keys_dir / LEDGER_FILE

    def resolved_wrapping_key(self) -> str:
        """Return the key wrapping the per-person keys, creating it (owner-only, in the keys folder) once.

        It is kept apart from the payload key on purpose: every process that reads the log
        needs that one, and a backup carries it; this one is never in a database or a backup.
        """
        if self.wrapping_key:
            return self.wrapping_key
        return _key_file(self.wrapping_key_path)

    def resolved_backup_key(self) -> str:
        """Return the key that encrypts backups, creating it (owner-only, in the keys folder) once."""
        return _key_file(self.backup_key_path)

    def eventsourcing_env(self) -> dict[str, str]:
        """Translate our settings into the eventsourcing library's environment.

        Payloads are encrypted (AES-GCM) and every stored event is linked into the hash
        chain (services.integrity) on both backends.
        """
        protection = {
            "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
            "CIPHER_KEY": self.resolved_cipher_key(),
        }
        if not self.database_url:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(private_file(self.data_dir / EVENTS_FILE)),
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": "services.adapters.integrity:SQLiteChainedRecorder",
                **protection,
            }
        return {
            **postgres_env(self.database_url),
            "APPLICATION_RECORDER_TOPIC": "services.adapters.integrity:PostgresChainedRecorder",
            **protection,
            "CREATE_TABLE": "y" if self.create_tables else "n",
        }

    def view_env(self, name: str) -> dict[str, str]:
        """Where a projection keeps its read model: its own SQLite file, or the same PostgreSQL."""
        if not self.database_url:
            folder = self.data_dir / "projections"
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(private_file(folder / f"{name}.sqlite")),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        env = postgres_env(self.database_url)
        env.update(
            {
                "POSTGRES_POOL_SIZE": "1",
                "POSTGRES_MAX_OVERFLOW": "5",
                "CREATE_TABLE": "y" if self.create_tables else "n",
            }
        )
        return env


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _key_file(path: Path) -> str:
    """A base64 AES-256 key from an owner-only file, written (with an owner-only folder) when missing."""
    from eventsourcing.cryptography import AESCipher

    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_once(path, AESCipher.create_key(num_bytes=32))
    return path.read_text().strip()


def postgres_env(url: str) -> dict[str, str]:
    """Split a ``postgresql://user:password@host:port/dbname`` URL into eventsourcing's keys."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError("SAFEHUB_DATABASE_URL must start with postgresql://")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "safehub",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        # Ten kept open from the start: opened on demand instead, requests waited longer for a
        # connection when PostgreSQL went away (tests/reliability/test_faults_postgres.py).
        # Each gunicorn worker and Celery pool process has such a pool: size max_connections.
        "POSTGRES_POOL_SIZE": "10",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }


def create_once(path: Path, content: str) -> None:
    """Write a new owner-only key file, unless another process has just written one.

    Processes starting together (gunicorn's workers) may all find the file missing. The
    content goes to a private temporary file first and is then hard-linked into place,
    which fails if the name exists: the file under ``path`` is always whole, so no
    process ever reads a half-written (empty) key, and the first writer's key wins.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        os.unlink(draft)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the name itself survives a power cut: a lost cipher key loses every event
    finally:
        os.close(folder)


#: The process umask: every file and folder safehub creates is its owner's alone (0600/0700).
PRIVATE_UMASK = 0o077


def private_files() -> None:
    """Create every later file and folder of this process owner-only (umask 077).

    Called first by ``services.bootstrap.build`` and the CLI, before anything is opened:
    SQLite makes its -wal and -shm files, and the backup and export code their files, with
    the process umask, so the mode is right from the first byte, not tightened afterwards.
    """
    os.umask(PRIVATE_UMASK)


def tighten(folder: Path) -> None:
    """Make ``folder`` and everything under it owner-only: folders 0700, files 0600.

    A data directory written by an older version (files 0644) is tightened at start; links
    are left alone (their targets are not ours to change), and a file that vanished while
    walking (a -wal file checkpointed away) is skipped.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in [folder, *folder.rglob("*")]:
        try:
            if path.is_symlink():
                continue
            wanted = 0o700 if path.is_dir() else 0o600
            if path.stat().st_mode & 0o777 != wanted:
                path.chmod(wanted)
        except FileNotFoundError:
            continue


def private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) owner-only if missing, or make an existing one so.

    For SQLite databases: SQLite gives the -wal, -shm and -journal files the mode of the
    database file itself, so a database created 0600 keeps its logs 0600 whatever the umask.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o777 != 0o600:
        path.chmod(0o600)
    return path
