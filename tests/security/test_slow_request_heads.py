"""Finding 9 (cheap overload): eight idle TCP connections that never finished their request head
stopped the embedded server (gunicorn's gthread worker, 8 threads: each thread blocked reading
one head) for as long as they stayed open.

The embedded server is now waitress: its event loop reads request heads without holding a
worker thread, so a request from someone else is answered at once, and its
``channel_timeout`` (SAFEHUB_IDLE_CONNECTION_SECONDS) closes a connection that has sent
nothing for that long. The server's own settings, no timer of ours.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

IDLE_SECONDS = 3
SLOW_CLIENTS = 20


@pytest.fixture
def server(tmp_path: Path):
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "SAFEHUB_DATA_DIR": str(tmp_path / "var"),
        "SAFEHUB_IDLE_CONNECTION_SECONDS": str(IDLE_SECONDS),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"server did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    yield port, base, proc, log
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def half_a_head(port: int) -> socket.socket:
    """A client that starts a request and never finishes its head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def test_unfinished_request_heads_neither_stop_the_server_nor_stay_open(server):
    port, base, proc, log = server
    slow = [half_a_head(port) for _ in range(SLOW_CLIENTS)]
    try:
        started = time.monotonic()
        with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
            assert answer.status == 200
        assert time.monotonic() - started < 3

        closed_by = time.monotonic() + IDLE_SECONDS + 10  # the timeout, and the server's sweep after it
        for sock in slow:
            sock.settimeout(max(0.1, closed_by - time.monotonic()))
            try:
                assert sock.recv(1024) == b"", "the server answered a request it never received whole"
            except ConnectionResetError:
                pass  # closed, too
            except TimeoutError:
                raise AssertionError("an idle connection was still open after the server's timeout") from None
    finally:
        for sock in slow:
            sock.close()

    with urllib.request.urlopen(base + "/healthz", timeout=5) as answer:
        assert answer.status == 200

    os.killpg(proc.pid, signal.SIGTERM)  # and SIGTERM still stops it cleanly
    assert proc.wait(timeout=20) == 0, log.read_text()[-2000:]
