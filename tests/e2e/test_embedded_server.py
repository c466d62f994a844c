"""The README's first command, for real: `safehub demo` serves, and data survives a restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`safehub demo` in a child process, with its printed tokens."""

    def __init__(self, data_dir: Path, port: int):
        env = {**os.environ, "SAFEHUB_DATA_DIR": str(data_dir)}
        self.base = f"http://127.0.0.1:{port}"
        self.log = data_dir.parent / f"server-{port}-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "demo", "--port", str(port)],
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.tokens = self._wait_ready()

    def _wait_ready(self) -> dict[str, str]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # still booting: the worker builds the app
                time.sleep(0.2)
        else:
            raise AssertionError(f"server did not start:\n{self.log.read_text()}")
        tokens = {}
        for line in self.log.read_text().splitlines():
            parts = line.split()
            if parts and parts[-1].startswith("sh_"):
                tokens.setdefault(parts[0], parts[-1])
        return tokens

    def call(self, method: str, path: str, token: str, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + "/api/v1" + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


def test_demo_serves_a_signal_and_keeps_it_after_a_restart(data_dir):
    port = free_port()
    server = Server(data_dir, port)
    try:
        school, case = server.tokens["submitter"], server.tokens["coordinator"]
        status, child = server.call(
            "POST", "/children", school, {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"}
        )
        assert status == 201, child
        path = f"/children/{child['id']}/signals"
        status, signal_body = server.call(
            "POST",
            path,
            school,
            {"kind": "missed_remote_learning", "observed_at": "2026-11-20T08:00:00", "days": 3},
            headers={"Idempotency-Key": "e2e-1"},
        )
        assert status == 201, signal_body
        status, again = server.call(
            "POST",
            path,
            school,
            {"kind": "missed_remote_learning", "observed_at": "2026-11-20T08:00:00", "days": 3},
            headers={"Idempotency-Key": "e2e-1"},
        )
        assert status == 201 and again["id"] == signal_body["id"]
        status, timeline = server.call("GET", f"/children/{child['id']}/timeline", case)
        assert status == 200, timeline
        assert [e["id"] for e in timeline["entries"] if e["type"] == "signal"] == [signal_body["id"]]
        assert timeline["freshness"]["includes_latest"] is True
    finally:
        server.stop()

    server = Server(data_dir, port)
    try:
        assert set(server.tokens) >= {"admin", "submitter", "case_worker", "coordinator", "auditor"}
        status, events = server.call("GET", f"/children/{child['id']}/events", server.tokens["coordinator"])
        assert status == 200
        assert [e["type"] for e in events] == ["Registered", "SignalRecorded"]
    finally:
        server.stop()
