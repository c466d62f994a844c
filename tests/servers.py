"""Real servers the test session starts itself: a throw-away PostgreSQL cluster.

No pytest in here, so the server can also be started by hand while debugging::

    python -c "from tests.servers import PostgresServer; s = PostgresServer.start(); print(s.url()); input()"

PostgreSQL refuses to run as root; when the tests run as root the server commands run as
the ``postgres`` system user through ``runuser``, on a data directory handed to that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

#: Where the PostgreSQL binaries are looked for, first match wins (then ``$PATH``).
POSTGRES_BIN_DIRS = ("/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
#: The system user the server runs as when the tests run as root.
POSTGRES_OS_USER = "postgres"
#: The database superuser initdb creates (trust authentication on loopback only).
SUPERUSER = "postgres"
START_ATTEMPTS = 3
COMMAND_TIMEOUT = 60


class ServerUnavailable(RuntimeError):
    """The server could not be started here; the message says why."""


def free_port() -> int:
    """Return a loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_postgres_bin() -> Path:
    """Return the directory holding ``initdb`` and ``pg_ctl`` (``SAFEHUB_TEST_POSTGRES_BIN`` to choose)."""
    chosen = os.environ.get("SAFEHUB_TEST_POSTGRES_BIN")
    for directory in [chosen] if chosen else POSTGRES_BIN_DIRS:
        if (Path(directory) / "initdb").is_file() and (Path(directory) / "pg_ctl").is_file():
            return Path(directory)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl") and not chosen:
        return Path(initdb).parent
    raise ServerUnavailable(f"initdb and pg_ctl not found in {chosen or ', '.join(POSTGRES_BIN_DIRS)} or $PATH")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1 only."""

    base: Path
    bindir: Path
    port: int
    as_user: str | None  # run the server commands as this OS user (when we are root)
    _names: count = field(default_factory=lambda: count(1))

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    # --- life cycle --------------------------------------------------------------------

    @classmethod
    def start(cls) -> PostgresServer:
        """Create a cluster and start it; raise ServerUnavailable with the reason if we cannot."""
        bindir = find_postgres_bin()
        as_user = None
        if os.geteuid() == 0:
            as_user = POSTGRES_OS_USER
            if shutil.which("runuser") is None:
                raise ServerUnavailable("running as root but runuser is not available")
        # /tmp, not $TMPDIR: the postgres user must be able to reach the directory.
        base = Path(tempfile.mkdtemp(prefix="safehub-pg-", dir="/tmp" if as_user else None))
        server = cls(base, bindir, free_port(), as_user)
        try:
            server._init_cluster()
            server._start_listening()
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut) and remove its files."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _init_cluster(self) -> None:
        (self.base / "sock").mkdir()
        if self.as_user:
            try:
                shutil.chown(self.base, self.as_user, self.as_user)
                shutil.chown(self.base / "sock", self.as_user, self.as_user)
            except LookupError as exc:
                raise ServerUnavailable(f"running as root but there is no '{self.as_user}' user") from exc
        self._run("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER,
                  "-E", "UTF8", "--locale=C", "--no-sync")

    def _start_listening(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            options = (f"-p {self.port} -k {self.base / 'sock'} -c listen_addresses=127.0.0.1"
                       " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
            # -l sends the server's output to a file: without it the server would inherit
            # (and hold open) our pipes, and this call would never return.
            result = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                               "-o", options, "-w", "-t", "30", "start", check=False)
            if result.returncode == 0:
                return
            if attempt == START_ATTEMPTS:
                raise ServerUnavailable(f"pg_ctl start failed:\n{result.stdout}\n{self.log_tail()}")
            self.port = free_port()  # somebody took the port in between: try another

    def _run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_user:
            command = ["runuser", "-u", self.as_user, "--", *command]
        try:
            result = subprocess.run(command, cwd=self.base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, text=True, timeout=COMMAND_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerUnavailable(f"{' '.join(command)}: {exc}") from exc
        if check and result.returncode != 0:
            raise ServerUnavailable(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}")
        return result

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server log, for error messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no server log)"

    # --- databases ----------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """A connection URL in the form ``SAFEHUB_DATABASE_URL`` takes."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "safehub_test") -> str:
        """Create an empty database with a new name and return the name."""
        name = f"{prefix}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, cutting off any connection a test left open."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg  # imported late: only the PostgreSQL tests need the driver

        with psycopg.connect(self.url(), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
