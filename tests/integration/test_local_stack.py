"""The production stack on this machine, driven the way an operator and two agencies use it.

``deploy/local-stack up DIR`` starts a real PostgreSQL, Redis, gunicorn with several
workers, a Celery worker and beat; users come from ``safehub create-agency/create-user``
against the stack's settings; signals from a school and the police go in through
gunicorn; the timeline comes back after the worker projected it; ``/metrics`` counts what
happened across all web workers. Then the stack is stopped and started again and
everything is still there. Last, no log line of the whole run holds the child's name,
PESEL or the signals' text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain.pesel import make_pesel
from tests.integration.conftest import start_or_skip
from tests.servers import REPO_ROOT, ServerUnavailable, find_postgres_bin, find_redis_server, wait_for

STACK = REPO_ROOT / "deploy" / "local-stack"
GIVEN, FAMILY = "Zuzanna", "Wiśniewska-Smoketest"
PESEL = make_pesel(date(2014, 9, 17), 7315)
DETAILS = {"school": "Uczennica płakała na przerwie SMOKE-7731", "police": "Interwencja domowa SMOKE-8842"}


class Stack:
    """One stack directory and the commands that drive it."""

    def __init__(self, base: Path):
        self.base = base
        self.proc_env = {k: v for k, v in os.environ.items() if not k.startswith(("SAFEHUB_", "PROMETHEUS_"))} | {
            "SAFEHUB_PYTHON": sys.executable
        }

    def run(self, action: str, timeout: float = 180) -> str:
        result = subprocess.run(
            ["bash", str(STACK), action, str(self.base)],
            env=self.proc_env,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0 or action == "status", f"local-stack {action}:\n{result.stdout}"
        return result.stdout

    @property
    def env(self) -> dict[str, str]:
        values = {}
        for line in (self.base / "stack.env").read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                values[key] = value
        return values

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['SAFEHUB_STACK_WEB_PORT']}"

    def safehub(self, *args: str) -> dict:
        """Run the ``safehub`` CLI against the stack's settings and parse its JSON answer."""
        env = self.proc_env | {k: v for k, v in self.env.items() if not k.startswith("SAFEHUB_STACK_")}
        result = subprocess.run(
            [sys.executable, "-m", "services.cli", *args, "--json"],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        (self.base / "log" / "cli.log").open("a").write(result.stderr)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def call(
        self, method: str, path: str, token: str | None = None, body: dict | None = None, headers: dict | None = None
    ) -> tuple[int, object, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                raw, status, answer_headers = r.read(), r.status, dict(r.headers)
        except urllib.error.HTTPError as e:
            raw, status, answer_headers = e.read(), e.code, dict(e.headers)
        text = raw.decode()
        return status, (json.loads(text) if text.startswith(("{", "[")) else text), answer_headers

    def logs(self) -> dict[str, str]:
        files = [*sorted((self.base / "log").glob("*.log")), self.base / "pg" / "postgres.log"]
        return {f.name: f.read_text(errors="replace") for f in files if f.exists()}


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total, found = 0.0, False
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(match.group(4))
            found = True
    assert found, f"no sample {name}{labels} in /metrics"
    return total


@pytest.fixture
def stack() -> Iterator[Stack]:
    def binaries() -> None:
        find_postgres_bin()
        find_redis_server()
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            raise ServerUnavailable("running as root but runuser is not available")

    start_or_skip(binaries, "the local stack (PostgreSQL and Redis binaries)")
    base = Path(tempfile.mkdtemp(prefix="safehub-stack-", dir="/tmp"))
    base.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    stack = Stack(base)
    try:
        yield stack
    finally:
        if (base / "stack.env").exists():
            stack.run("down")
        print("\n".join(f"--- {name} ---\n{text[-3000:]}" for name, text in stack.logs().items()))
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.postgres
@pytest.mark.redis
def test_the_local_stack_serves_two_agencies_and_keeps_everything_across_a_restart(stack):
    started = time.monotonic()
    stack.run("up")
    status = stack.run("status")
    assert all(f"{name} running" in status for name in ("postgres", "redis", "web", "worker", "beat")), status
    assert stack.env["SAFEHUB_PROJECTIONS"] == "celery"

    school = stack.safehub("create-agency", "--kind", "school", "--name", "Szkoła Podstawowa nr 3")
    police = stack.safehub("create-agency", "--kind", "police", "--name", "Komisariat Policji")
    team = stack.safehub("create-agency", "--kind", "team", "--name", "Zespół Interdyscyplinarny")
    tokens = {
        "school": stack.safehub("create-user", "--agency", school["id"], "--role", "submitter", "--name", "Pedagog")[
            "token"
        ],
        "police": stack.safehub(
            "create-user", "--agency", police["id"], "--role", "submitter", "--name", "Dzielnicowy"
        )["token"],
        "case": stack.safehub(
            "create-user", "--agency", team["id"], "--role", "coordinator", "--name", "Koordynatorka zespołu"
        )["token"],
    }

    status_code, child, _ = stack.call(
        "POST",
        "/api/v1/children",
        tokens["school"],
        {"given_name": GIVEN, "family_name": FAMILY, "date_of_birth": "2014-09-17", "pesel": PESEL},
    )
    assert status_code == 201, child
    child_id = child["id"]  # type: ignore[index]
    observed = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    posted = {}
    for n, (who, kind) in enumerate((("school", "behaviour_change"), ("police", "domestic_intervention"))):
        status_code, signal, headers = stack.call(
            "POST",
            f"/api/v1/children/{child_id}/signals",
            tokens[who],
            {"kind": kind, "observed_at": observed, "details": DETAILS[who]},
            headers={"X-Request-ID": f"smoke-{n}"},
        )
        assert status_code == 201, signal
        assert headers.get("X-Request-ID") == f"smoke-{n}"
        posted[signal["id"]] = who  # type: ignore[index]
        stack.call("GET", f"/api/v1/children/{child_id}/timeline", tokens["case"])  # let the worker apply it

    def fresh_timeline() -> dict | None:
        code, body, _ = stack.call("GET", f"/api/v1/children/{child_id}/timeline", tokens["case"])
        assert code == 200, body
        return body if body["freshness"]["includes_latest"] else None  # type: ignore[index]

    timeline = wait_for(fresh_timeline, 60, "the worker to project the signals")
    signals = {e["id"]: e for e in timeline["entries"] if e["type"] == "signal"}  # type: ignore[index]
    assert set(signals) == set(posted)
    assert {signals[i]["agency"]["kind"] for i in signals} == {"school", "police"}

    # /metrics (any gunicorn worker answers for all of them)
    _, text, headers = stack.call("GET", "/metrics")
    assert headers["Content-Type"].startswith("text/plain")
    rule = "/api/v1/children/<uuid:child_id>/signals"
    assert metric(text, "safehub_http_requests_total", endpoint=rule, method="POST", status="201") == 2
    assert metric(text, "safehub_http_request_duration_seconds_count", endpoint=rule, method="POST") == 2
    assert metric(text, "safehub_events_appended_total", kind="Child.SignalRecorded") == 2
    assert metric(text, "safehub_projection_lag", projection="timeline") == 0
    assert metric(text, "safehub_projection_position", projection="timeline") == metric(text, "safehub_log_head")
    assert metric(text, "safehub_broker_up") == 1
    assert metric(text, "safehub_celery_queue_depth", queue="celery") >= 0

    # stop everything, start again: the data is in PostgreSQL, the tokens still work
    stack.run("down")
    assert "web stopped" in stack.run("status")
    stack.run("up")
    again = wait_for(fresh_timeline, 60, "the timeline after the restart")
    assert again["entries"] == timeline["entries"]  # type: ignore[index]
    code, found, _ = stack.call("POST", "/api/v1/children/search", tokens["school"], {"pesel": PESEL})
    assert code == 200 and [c["id"] for c in found["matches"]] == [child_id], found  # type: ignore[index]
    stack.run("down")

    logs = stack.logs()
    assert "smoke-0" in logs["web.log"] or "smoke-1" in logs["web.log"]
    assert any(f"smoke-{n}" in logs["worker.log"] for n in range(2)), "the request id reached the worker"
    for name, text in logs.items():
        for secret in (GIVEN, FAMILY, PESEL, *DETAILS.values()):
            assert secret not in text, f"{name} holds personal data: {secret!r}"
    for line in logs["web.log"].splitlines():
        if line.startswith("{"):
            json.loads(line)  # every log line of the web processes is JSON
    print(f"local stack smoke test: {time.monotonic() - started:.1f}s")
