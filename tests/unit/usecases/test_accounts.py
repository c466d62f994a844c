"""Passwords and sign-in: logins unique, failures counted by the clock, a new password ends old sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from argon2 import PasswordHasher

from domain.errors import Conflict, InvalidInput, NotFound
from services.adapters.sign_in_failures import FailureLog
from services.usecases import accounts as accounts_module
from services.usecases.accounts import Accounts

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost takes a third of a second per hash; the rules do not depend on it."""
    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts_module, "_HASHER", quick)
    monkeypatch.setattr(accounts_module, "_DUMMY_HASH", quick.hash("no such login"))


@pytest.fixture
def failures() -> Iterator[FailureLog]:
    log = FailureLog(secret=b"test secret", sqlite_path=Path(":memory:"), max_failures=3, lock_minutes=15)
    yield log
    log.close()


@pytest.fixture
def accounts(store, directory, failures, clock) -> Accounts:
    return Accounts(store, directory, failures, clock)


@pytest.fixture
def login(accounts, world) -> str:
    return accounts.set_password(world.users["case_worker"].id, PASSWORD, login=" Anna.Nowak ")["login"]


def test_a_user_signs_in_with_the_login_and_password_set(accounts, world, login):
    assert login == "anna.nowak"
    result = accounts.sign_in("ANNA.NOWAK", PASSWORD)
    assert result.problem is None and result.actor == world.actor("case_worker")


def test_a_wrong_password_or_an_unknown_login_is_invalid(accounts, login):
    assert accounts.sign_in(login, "wrong password!").problem == "invalid"
    assert accounts.sign_in("nobody", PASSWORD).problem == "invalid"


def test_a_login_is_locked_after_repeated_failures_until_the_window_passes(accounts, login, clock):
    assert [accounts.sign_in(login, "wrong password!").problem for _ in range(3)] == ["invalid", "invalid", "locked"]
    locked = accounts.sign_in(login, PASSWORD)  # even the right password waits for the lock
    assert locked.problem == "locked" and locked.locked_until == clock() + timedelta(minutes=15)
    clock.advance(minutes=16)
    assert accounts.sign_in(login, PASSWORD).actor is not None


def test_a_login_taken_by_another_user_is_refused(accounts, world, login):
    with pytest.raises(Conflict, match=r"anna\.nowak"):
        accounts.set_password(world.users["police"].id, PASSWORD, login="anna.nowak")


def test_a_first_password_needs_a_login(accounts, world):
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(world.users["police"].id, PASSWORD)
    assert "login" in refused.value.errors


def test_a_short_password_is_refused(accounts, world):
    with pytest.raises(InvalidInput) as refused:
        accounts.set_password(world.users["police"].id, "short", login="policjant")
    assert "password" in refused.value.errors


def test_an_unknown_user_is_not_found(accounts):
    with pytest.raises(NotFound, match="user"):
        accounts.set_password(uuid4(), PASSWORD, login="ktos")


def test_a_new_password_ends_sessions_signed_in_with_the_old_one(accounts, world, login):
    stamp = accounts.sign_in(login, PASSWORD).password_stamp
    user_id = world.users["case_worker"].id
    assert accounts.session_actor(user_id, stamp) == world.actor("case_worker")
    accounts.set_password(user_id, "another long password")
    assert accounts.session_actor(user_id, stamp) is None
