"""A real safehub web server in a child process, and a small HTTP client for it.

The reliability tests kill, starve and flood real processes, so they talk HTTP over
loopback (``http.client``, one connection per call: a killed server must show as a
refused or reset connection, not as a stuck keep-alive). No pytest in here: the soak
script (tests/perf/soak.py) uses the same pieces.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from services.bootstrap import build
from services.config import Settings
from tests.servers import REPO_ROOT, free_port


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names) and the body (JSON when it is JSON)."""

    status: int
    headers: dict[str, str]
    body: Any
    seconds: float = 0.0

    @property
    def json(self) -> Any:
        return self.body


def call(
    base: tuple[str, int],
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    timeout: float = 30,
) -> Answer:
    """Send one request on a fresh connection; connection errors propagate (OSError)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    sent = {
        **({"Content-Type": content_type} if data is not None else {}),
        **({"Authorization": f"Bearer {token}"} if token else {}),
        **(headers or {}),
    }
    conn = http.client.HTTPConnection(*base, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()
    text = payload.decode(errors="replace")
    parsed: Any = text
    if answer_headers.get("content-type", "").startswith("application/json") and text:
        parsed = json.loads(text)
    return Answer(response.status, answer_headers, parsed, time.perf_counter() - started)


def rss_kib(pid: int) -> int:
    """Resident memory of one process in KiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers, Celery's pool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found.append(int(entry.name))
    return found


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    return rss_kib(pid) + sum(tree_rss_kib(child) for child in children_of(pid))


def make_users(env: dict[str, str], municipalities: int = 1) -> list[dict[str, str]]:
    """Create municipalities with a school, the police, OPS and the team, and a token per user.

    Runs in this process on the server's store, before the server starts (or while it runs:
    the store takes concurrent writers). Returns, per municipality, label -> token (and "id").
    """
    services = build(Settings.from_env(env))
    try:
        worlds = []
        for n in range(municipalities):
            municipality = services.directory.create_municipality(f"Gmina Próbna {n + 1}")["id"]
            people: dict[str, str] = {"id": municipality}
            for label, kind, role in (
                ("school", "school", "submitter"),
                ("police", "police", "submitter"),
                ("case_worker", "ops", "case_worker"),
                ("coordinator", "team", "coordinator"),
            ):
                agency = services.directory.create_agency(None, UUID(municipality), kind, f"{kind} {n + 1}")["id"]
                user = services.directory.create_user(
                    None, role=role, name=f"{label} {n + 1}", agency_id=UUID(agency), municipality_id=UUID(municipality)
                )
                people[label] = user["token"]
            worlds.append(people)
        return worlds
    finally:
        services.close()


@dataclass
class WebServer:
    """``safehub serve`` (embedded: one gunicorn worker with threads) or production gunicorn.

    ``env`` holds the ``SAFEHUB_*`` settings; the rest of the environment is this process's.
    """

    env: dict[str, str]
    log_file: Path
    gunicorn_workers: int = 0  # 0: `safehub serve`; n: gunicorn -c deploy/gunicorn.conf.py with n workers
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def start(self, timeout: float = 60) -> WebServer:
        process_env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")}
        process_env.update(self.env)
        process_env["PYTHONUNBUFFERED"] = "1"
        if self.gunicorn_workers:
            process_env.update(
                {"SAFEHUB_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(self.gunicorn_workers)}
            )
            argv = ["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.app:create_app()"]
        else:
            argv = ["-m", "services.cli", "serve", "--port", str(self.port)]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *argv],
                env=process_env,
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web server exited early:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if call(self.base, "GET", "/healthz", timeout=2).status == 200:
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"the web server did not answer /healthz:\n{self.log_tail()}")
            time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_kib(self) -> int:
        """Memory of the server: gunicorn's master and workers together."""
        return tree_rss_kib(self.pid) if self.process is not None else 0

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no flush, no cleanup."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def log_text(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")
        return ""

    def log_tail(self, lines: int = 40) -> str:
        return f"--- {self.log_file} ---\n" + "\n".join(self.log_text().splitlines()[-lines:])

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, **kwargs: Any) -> Answer:
        return call(self.base, method, path, token, body, **kwargs)
