"""Finding 10 (first half): attempted logins were stored in clear.

The lockout table kept each failed login as typed. People type their password into the
login field often enough: it stayed on disk in ``signin.sqlite`` (and in PostgreSQL).
Now the table keeps only a keyed digest of the lower-cased login.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from services.adapters.sign_in_failures import FailureLog
from tests.functional.web.conftest import PASSWORD

TYPED = "Zimowy-Poranek-2026!"


def _files_holding(data_dir: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            found += [f"{path.name}: {needle!r}" for needle in needles if needle in content]
    return found


def test_a_password_typed_as_the_login_is_nowhere_on_disk(browser, settings, services):
    assert browser.sign_in(TYPED, "whatever was typed here").status_code == 401
    assert browser.sign_in(TYPED, "a second guess").status_code == 401
    assert browser.sign_in("school", PASSWORD).status_code == 302  # the lockout still counts and clears

    needles = [TYPED.encode(), TYPED.lower().encode(), TYPED.encode("utf-16-le")]
    assert _files_holding(settings.data_dir, needles) == []


def test_the_lockout_still_locks_by_login_whatever_its_case(tmp_path, clock):
    failures = FailureLog(sqlite_path=tmp_path / "signin.sqlite", secret=b"k" * 32)
    for _ in range(4):
        failures.fail("Szkola", clock())
    assert failures.fail(" szkola ", clock()) is not None  # the fifth, typed differently, locks
    assert failures.locked_until("SZKOLA", clock()) is not None
    assert failures.locked_until("policja", clock()) is None


def test_clear_logins_of_an_older_table_are_dropped_on_upgrade(tmp_path, clock):
    path = tmp_path / "signin.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE safehub_sign_in_failures (login TEXT PRIMARY KEY, "
            "failures INTEGER NOT NULL, first_at TEXT NOT NULL, locked_until TEXT)"
        )
        old.execute("INSERT INTO safehub_sign_in_failures VALUES (?, 3, ?, NULL)", (TYPED.lower(), clock().isoformat()))
    old.close()
    assert TYPED.lower().encode() in path.read_bytes()

    failures = FailureLog(sqlite_path=path, secret=b"k" * 32)
    failures.fail("someone", clock())
    failures.close()

    assert _files_holding(tmp_path, [TYPED.lower().encode(), b"someone"]) == []
