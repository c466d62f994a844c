"""Fixtures for the page tests: a test world whose people have passwords, and a signed-in client."""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID

import pytest

PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    """The CSRF token a page carries in its forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """A Flask test client that signs in like a person does."""

    def __init__(self, app):
        self.client = app.test_client()

    def token(self, path: str = "/sign-in") -> str:
        return csrf_of(self.client.get(path).get_data(as_text=True))

    def sign_in(self, login: str, password: str = PASSWORD):
        if self.client.get("/sign-in").status_code == 302:  # someone is signed in: sign out first
            self.client.post("/sign-out", data={"csrf_token": self.token("/start")})
        return self.client.post("/sign-in", data={"login": login, "password": password, "csrf_token": self.token()})

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict, token_from: str | None = None, **kwargs):
        data = {"csrf_token": self.token(token_from or path), **data}
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash with argon2id at its lowest cost: the same code path, without seconds per user."""
    from argon2 import PasswordHasher

    import services.usecases.accounts as accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("no such login"))


@pytest.fixture
def logins(services, world) -> dict[str, str]:
    """Every world user gets a login (its label) and the same password."""
    accounts = services.accounts
    for label, member in world.users.items():
        accounts.set_password(member.id, PASSWORD, label.replace("_", "-"))
    return {label: label.replace("_", "-") for label in world.users}


@pytest.fixture
def browser(app, logins) -> Browser:
    return Browser(app)


@pytest.fixture
def kacper(services, world) -> dict:
    """A pupil of the world's school with one signal from the school and one from the police."""
    school = world.users["school"].actor
    child = services.children.register(
        school, given_name="Kacper", family_name="Wiśniewski", date_of_birth=date(2014, 3, 12)
    )
    now = services.children.clock()
    services.children.record_signal(
        school,
        UUID(child["id"]),
        kind="unexplained_absence",
        observed_at=now - timedelta(days=3),
        details="Nieobecny trzy dni",
        days=3,
    )
    services.children.record_signal(
        world.users["police"].actor,
        UUID(child["id"]),
        kind="domestic_intervention",
        observed_at=now - timedelta(days=2),
        details="Awantura domowa, dziecko obecne",
    )
    return child
