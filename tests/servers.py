"""Real servers the test session starts itself: a throw-away PostgreSQL cluster, a Redis
server, and Celery worker / beat processes.

No pytest in here, so the servers can also be started by hand while debugging::

    python -c "from tests.servers import PostgresServer; s = PostgresServer.start(); print(s.url()); input()"
    python -c "from tests.servers import RedisServer; s = RedisServer.start(); print(s.url()); input()"

PostgreSQL refuses to run as root; when the tests run as root the server commands run as
the ``postgres`` system user through ``runuser``, on a data directory handed to that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import IO

#: Where the PostgreSQL binaries are looked for, first match wins (then ``$PATH``).
POSTGRES_BIN_DIRS = ("/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))
#: The system user the server runs as when the tests run as root.
POSTGRES_OS_USER = "postgres"
#: The repository root: Celery processes run from here (``python -m services.cli``).
REPO_ROOT = Path(__file__).resolve().parents[1]
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
        self._run(
            "initdb", "-D", str(self.data_dir), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"
        )

    def _start_listening(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            options = (
                f"-p {self.port} -k {self.base / 'sock'} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                # every view keeps its own small pool in every worker process
                " -c max_connections=300"
            )
            # -l sends the server's output to a file: without it the server would inherit
            # (and hold open) our pipes, and this call would never return.
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "start",
                check=False,
            )
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
            result = subprocess.run(
                command,
                cwd=self.base,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
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


# --- Redis --------------------------------------------------------------------------------

#: Where ``redis-server`` is looked for (``SAFEHUB_TEST_REDIS_SERVER`` to choose, then ``$PATH``).
REDIS_SERVER_BIN = "/usr/bin/redis-server"


def find_redis_server() -> Path:
    """Return the ``redis-server`` binary (the Debian package's, unless told otherwise)."""
    chosen = os.environ.get("SAFEHUB_TEST_REDIS_SERVER")
    for candidate in [chosen] if chosen else [REDIS_SERVER_BIN, shutil.which("redis-server")]:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    where = chosen or f"{REDIS_SERVER_BIN} or on $PATH"
    raise ServerUnavailable(f"redis-server not found at {where} (Debian: apt-get install redis-server)")


def wait_for(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.05,
    explain: Callable[[], str] | None = None,
) -> object:
    """Poll ``condition`` until it returns something truthy; raise TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = f"\n{explain()}" if explain else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


def redis_ping(port: int, timeout: float = 0.5) -> bool:
    """True when a Redis server answers PING on the loopback port (no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A ``redis-server`` on 127.0.0.1 with no persistence; stop and start it again on its port."""

    base: Path
    binary: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.base / "redis.log"

    @classmethod
    def start(cls) -> RedisServer:
        """Start a server on a free port; raise ServerUnavailable with the reason if we cannot."""
        server = cls(Path(tempfile.mkdtemp(prefix="safehub-redis-")), find_redis_server(), free_port())
        try:
            for attempt in range(1, START_ATTEMPTS + 1):
                try:
                    server.resume()
                    return server
                except ServerUnavailable:
                    if attempt == START_ATTEMPTS:
                        raise
                    server.port = free_port()  # somebody took the port in between: try another
        except BaseException:
            server.close()
            raise
        raise AssertionError("unreachable")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def resume(self, timeout: float = 10) -> None:
        """Start (again) on the same port, empty; return once it answers PING."""
        if self.running:
            return
        command = [
            str(self.binary),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.base),
            "--logfile",
            str(self.log_file),
            "--daemonize",
            "no",
        ]
        try:
            self.process = subprocess.Popen(
                command, cwd=self.base, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise ServerUnavailable(f"{command[0]}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while not redis_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.pause()
                raise ServerUnavailable(f"redis-server did not start on port {self.port}:\n{self.log_tail()}")
            time.sleep(0.02)

    def pause(self) -> None:
        """Stop the server (its data is gone: nothing is persisted); the port stays ours to reuse."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self.pause()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db: int = 0) -> str:
        """A broker URL in the form ``SAFEHUB_BROKER_URL`` takes."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def log_tail(self, lines: int = 20) -> str:
        """The end of the server log, for error messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no server log)"


# --- Celery processes -----------------------------------------------------------------------


@dataclass
class CeleryProcess:
    """A Celery worker or beat as a real process (in its own process group).

    ``env`` is the whole environment the process gets (the ``SAFEHUB_*`` settings). It runs
    with this interpreter (``sys.executable``), so it works from any virtualenv: either the
    CLI (``-m services.cli worker``, which hands over to ``celery -A workers.app``) or
    Celery itself (``-m celery -A workers.app worker ...``) when the test needs options the
    CLI does not offer.
    """

    command: str  # "worker" or "beat"
    env: Mapping[str, str]
    log_file: Path
    argv: tuple[str, ...]  # after ``python``: ("-m", "services.cli", "worker", ...)
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    #: What Celery logs once it is ready for work.
    READY = {"worker": " ready.", "beat": "beat: Starting..."}

    def start(self, timeout: float = 30) -> CeleryProcess:
        """Start the process and return once it says it is ready (its log is kept on failure)."""
        if self.running:
            raise RuntimeError(f"{self.command} is already running")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        self._log = open(self.log_file, "ab")  # closed in _reap()
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, *self.argv],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches the pool children too
        )

        def ready() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.command} exited early:\n{self.log_tail()}")
            return self.READY[self.command] in self.log_text(offset)

        try:
            wait_for(ready, timeout, f"celery {self.command} to be ready", explain=self.log_tail)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group at once: no shutdown, no acknowledgement, no cleanup."""
        self._signal_group(signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 10) -> None:
        """Stop the process (warm shutdown: finish the task in hand), killing it if it hangs."""
        if self.running:
            self._signal_group(signal.SIGTERM)
            try:
                assert self.process is not None
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
        self._signal_group(signal.SIGKILL)  # pool children left behind by a dead parent
        self._reap()

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def _reap(self) -> None:
        if self.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self, offset: int = 0) -> str:
        """What the process has logged (from ``offset`` bytes on)."""
        with contextlib.suppress(OSError), open(self.log_file, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
        return ""

    def log_tail(self, lines: int = 40) -> str:
        """The end of the process's log, for error messages."""
        return f"--- {self.log_file} ---\n" + "\n".join(self.log_text().splitlines()[-lines:])
