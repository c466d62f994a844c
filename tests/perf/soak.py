"""Soak: a bounded load of writes and reads on loopback, with latency and memory figures.

    python -m tests.perf.soak --minutes 5                 # PostgreSQL + Redis + gunicorn + Celery
    python -m tests.perf.soak --minutes 5 --backend sqlite  # the embedded `safehub serve`
    python -m tests.perf.soak --minutes 35 --warmup-minutes 10   # memory from minute 10 on

It starts its own servers (tests/servers.py: a throw-away PostgreSQL and Redis; gunicorn
with deploy/gunicorn.conf.py; a Celery worker and beat), creates a municipality with a
school, the police, a case worker and a coordinator, registers children, then runs
``--clients`` closed-loop clients for the duration. Each client picks, by weight: record a
signal (with an Idempotency-Key), register a child, read a timeline, a child's signals,
its risk, or the deadline list. Any answer that is not 2xx, or a connection error, is an
error. It prints requests served, errors, p50/p95/p99 latency per operation and overall,
and the resident memory of the web and worker process trees at the start (after a warm-up
in which the caches fill towards their bounds, ``--warmup-minutes``), once a minute and at
the end, with the growth per minute after the warm-up; ``--json`` prints the same as one
JSON object. The exit status
is 1 when there were errors. tests/reliability/test_load.py runs it for 25 seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.reliability.live import WebServer, call, make_users, tree_rss_kib
from tests.servers import CeleryProcess, PostgresServer, RedisServer

#: Operation -> weight in the mix.
MIX = {"record_signal": 30, "register_child": 5, "timeline": 35, "signals": 12, "risk": 12, "deadlines": 6}
KINDS = {"school": ("behaviour_change", "unexplained_absence"), "police": ("home_visit", "domestic_intervention")}


@dataclass
class Results:
    """What the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            if error:
                self.errors[op] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{op}: {error}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Deployment:
    """The servers under load; ``memory()`` gives RSS (KiB) per process tree."""

    def __init__(self, backend: str, workdir: Path):
        self.backend = backend
        self.workdir = workdir
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.web: WebServer | None = None
        self.workers: list[CeleryProcess] = []
        self.env: dict[str, str] = {"SAFEHUB_DATA_DIR": str(workdir / "var")}

    def start(self) -> None:
        if self.backend == "stack":
            self.postgres = PostgresServer.start()
            self.redis = RedisServer.start()
            self.env.update(
                {
                    "SAFEHUB_DATABASE_URL": self.postgres.url(self.postgres.create_database("soak")),
                    "SAFEHUB_PROJECTIONS": "celery",
                    "SAFEHUB_BROKER_URL": self.redis.url(),
                    "SAFEHUB_CATCH_UP_SECONDS": "2",
                    "SAFEHUB_READ_WAIT_SECONDS": "2",
                    "SAFEHUB_WEB_THREADS": "4",
                }
            )
        self.users = make_users(self.env)[0]
        if self.backend == "stack":
            base_env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHUB_")} | self.env
            for command, argv in (
                ("worker", ("-m", "services.cli", "worker", "--concurrency", "2")),
                ("beat", ("-m", "services.cli", "beat")),
            ):
                process = CeleryProcess(command, base_env, self.workdir / f"{command}.log", argv)
                self.workers.append(process.start(60))
        self.web = WebServer(
            self.env, self.workdir / "web.log", gunicorn_workers=2 if self.backend == "stack" else 0
        ).start()

    def memory(self) -> dict[str, int]:
        out = {"web": self.web.rss_kib() if self.web else 0}
        for process in self.workers:
            if process.process is not None:
                out[process.command] = tree_rss_kib(process.process.pid)
        return out

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
        for process in self.workers:
            process.stop()
        if self.redis is not None:
            self.redis.close()
        if self.postgres is not None:
            self.postgres.stop()


def run(
    seconds: float,
    clients: int = 6,
    backend: str = "stack",
    warmup: float = 5.0,
    seed: int = 11,
    say: Callable[[str], None] = lambda _: None,
    settings: dict[str, str] | None = None,
    children_at_start: int = 20,
    mix: dict[str, int] | None = None,
) -> dict:
    """Run the soak; return the figures as a dict."""
    workdir = Path(tempfile.mkdtemp(prefix="safehub-soak-", dir="/tmp"))
    workdir.chmod(0o755)
    deployment = Deployment(backend, workdir)
    deployment.env.update(settings or {})
    figures: dict | None = None
    try:
        say(f"starting the {backend} deployment in {workdir}")
        deployment.start()
        assert deployment.web is not None
        base, users = deployment.web.base, deployment.users
        children: list[str] = []
        for n in range(children_at_start):
            answer = call(
                base,
                "POST",
                "/api/v1/children",
                users["school"],
                {
                    "given_name": f"Dziecko{n}",
                    "family_name": "Obciążeniowe",
                    "date_of_birth": f"201{n % 8}-0{1 + n % 9}-1{n % 9}",
                },
            )
            assert answer.status == 201, answer.body
            children.append(answer.body["id"])
        results = Results()
        stop_at = time.monotonic() + seconds
        children_lock = threading.Lock()
        counter = iter(range(10**9))

        def client(c: int) -> None:
            rnd = random.Random(seed + c)  # a load mix, not a secret
            ops, weights = list(mix or MIX), list((mix or MIX).values())
            while time.monotonic() < stop_at:
                op = rnd.choices(ops, weights)[0]
                with children_lock:
                    child = rnd.choice(children)
                n = next(counter)
                if op == "record_signal":
                    who = rnd.choice(("school", "police"))
                    request = (
                        "POST",
                        f"/api/v1/children/{child}/signals",
                        users[who],
                        {
                            "kind": rnd.choice(KINDS[who]),
                            "observed_at": "2026-02-20T08:00:00",
                            "details": f"obserwacja {n}",
                        },
                        {"Idempotency-Key": f"soak-{n}"},
                    )
                elif op == "register_child":
                    request = (
                        "POST",
                        "/api/v1/children",
                        users["school"],
                        {
                            "given_name": f"Nowe{n}",
                            "family_name": "Obciążeniowe",
                            "date_of_birth": str(date(2009, 1, 1) + timedelta(days=rnd.randrange(4000))),
                        },
                        {},
                    )
                elif op == "deadlines":
                    request = ("GET", "/api/v1/deadlines", users["coordinator"], None, {})
                else:
                    suffix = {"timeline": "timeline", "signals": "signals", "risk": "risk"}[op]
                    request = ("GET", f"/api/v1/children/{child}/{suffix}", users["coordinator"], None, {})
                method, path, token, body, headers = request
                started = time.perf_counter()
                try:
                    answer = call(base, method, path, token, body, headers=headers, timeout=60)
                    error = None if 200 <= answer.status < 300 else f"{answer.status} {str(answer.body)[:200]}"
                except OSError as exc:
                    answer, error = None, f"connection: {exc}"
                results.add(op, time.perf_counter() - started, error)
                if op == "register_child" and answer is not None and answer.status == 201:
                    with children_lock:
                        children.append(answer.body["id"])

        threads = [threading.Thread(target=client, args=(c,), daemon=True) for c in range(clients)]
        for t in threads:
            t.start()
        time.sleep(min(warmup, seconds / 2))
        warmed_at = time.monotonic()
        memory_start = deployment.memory()
        say(f"memory after warm-up (KiB): {memory_start}")
        peak: dict[str, int] = dict(memory_start)
        samples: list[tuple[int, dict[str, int]]] = []
        began, next_sample = time.monotonic(), 60.0
        while any(t.is_alive() for t in threads):
            time.sleep(1)
            now = deployment.memory()
            for name, kib in now.items():
                peak[name] = max(peak.get(name, 0), kib)
            if time.monotonic() - began >= next_sample:  # one sample a minute: is it levelling off?
                samples.append((round(time.monotonic() - began), now))
                next_sample += 60
        for t in threads:
            t.join()
        memory_end = deployment.memory()
        measured_minutes = max((time.monotonic() - warmed_at) / 60, 1e-9)
        everything = [s for values in results.latencies.values() for s in values]
        figures = {
            "backend": backend,
            "seconds": seconds,
            "clients": clients,
            "requests": len(everything),
            "errors": sum(results.errors.values()),
            "requests_per_second": round(len(everything) / seconds, 1),
            "latency_ms": {
                "p50": round(percentile(everything, 50) * 1000, 1),
                "p95": round(percentile(everything, 95) * 1000, 1),
                "p99": round(percentile(everything, 99) * 1000, 1),
            },
            "by_operation": {
                op: {
                    "requests": len(v),
                    "errors": results.errors.get(op, 0),
                    "p50_ms": round(percentile(v, 50) * 1000, 1),
                    "p95_ms": round(percentile(v, 95) * 1000, 1),
                    "p99_ms": round(percentile(v, 99) * 1000, 1),
                }
                for op, v in sorted(results.latencies.items())
            },
            "memory_kib": {
                "start": memory_start,
                "end": memory_end,
                "peak": peak,
                "per_minute": samples,
                "warmup_seconds": round(min(warmup, seconds / 2)),
                "kib_per_minute_after_warmup": {
                    name: round((memory_end.get(name, 0) - kib) / measured_minutes, 1)
                    for name, kib in memory_start.items()
                },
            },
            "error_samples": results.samples,
        }
        return figures
    finally:
        deployment.stop()
        if not figures_ok(figures):  # keep the servers' logs: they hold the tracebacks
            kept = Path(tempfile.mkdtemp(prefix="safehub-soak-logs-", dir="/tmp"))
            for log in workdir.glob("*.log"):
                shutil.copy(log, kept / log.name)
            say(f"the servers' logs are kept in {kept}")
        shutil.rmtree(workdir, ignore_errors=True)


def figures_ok(figures: dict | None) -> bool:
    """A run that finished without errors (its logs need not be kept)."""
    return figures is not None and not figures["errors"]


def report(figures: dict) -> str:
    """The figures as a few readable lines."""
    lat = figures["latency_ms"]
    lines = [
        f"soak: {figures['backend']}, {figures['clients']} clients, {figures['seconds']:.0f} s",
        f"requests served: {figures['requests']} ({figures['requests_per_second']}/s), errors: {figures['errors']}",
        f"latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}",
    ]
    for op, f in figures["by_operation"].items():
        lines.append(
            f"  {op:<15} {f['requests']:>6} req  {f['errors']} err  p50 {f['p50_ms']:>7}  "
            f"p95 {f['p95_ms']:>7}  p99 {f['p99_ms']:>7}"
        )
    memory = figures["memory_kib"]
    lines.append(f"memory from the end of the {memory['warmup_seconds']} s warm-up to the end:")
    for name in memory["start"]:
        lines.append(
            f"memory {name}: start {memory['start'][name] / 1024:.1f} MiB, "
            f"end {memory['end'].get(name, 0) / 1024:.1f} MiB, "
            f"peak {memory['peak'].get(name, 0) / 1024:.1f} MiB, "
            f"{memory['kib_per_minute_after_warmup'][name] / 1024:+.2f} MiB a minute"
        )
    for elapsed, sample in memory.get("per_minute", []):
        lines.append(f"  at {elapsed:>4} s: " + ", ".join(f"{k} {v / 1024:.1f} MiB" for k, v in sample.items()))
    lines.extend(f"error: {s}" for s in figures["error_samples"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--backend", choices=("stack", "sqlite"), default="stack")
    parser.add_argument("--children", type=int, default=20, help="children registered before the load starts")
    parser.add_argument(
        "--mix",
        default=None,
        metavar="OP=WEIGHT,...",
        help=f"the operations' weights (default {','.join(f'{k}={v}' for k, v in MIX.items())})",
    )
    parser.add_argument(
        "--warmup-minutes",
        type=float,
        default=0.25,
        help="load before the starting memory is read (the caches fill to their bounds)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SAFEHUB_X=VALUE",
        help="a setting for the servers under load (repeatable), e.g. SAFEHUB_AGGREGATE_CACHE_SIZE=50",
    )
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    if any(not key.startswith("SAFEHUB_") for key in settings):
        parser.error("--set takes SAFEHUB_ settings")
    mix = {op: int(weight) for op, weight in (item.split("=", 1) for item in args.mix.split(","))} if args.mix else None
    if mix and set(mix) - set(MIX):
        parser.error(f"--mix takes {', '.join(MIX)}")
    figures = run(
        args.minutes * 60,
        args.clients,
        args.backend,
        warmup=args.warmup_minutes * 60,
        say=lambda text: print(text, file=sys.stderr, flush=True),
        settings=settings,
        children_at_start=args.children,
        mix=mix,
    )
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
