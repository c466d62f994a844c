"""Finding 1 (tokens): the administrator minted a token for the coordinator and read as them.

``POST /api/v1/users/{coordinator}/token`` handed the administrator a working token of a
reader, the read audit then named the coordinator, and ``TokenIssued`` recorded nobody as
the issuer. Now nobody mints a working token for another reading user: a reader makes
their own (``POST /api/v1/me/token``), the administrator may only start a reset, which ends
the old token at once and waits for a second person's approval; every ``TokenIssued``
names its issuer (an old event without one still loads, upcast to ``issued_by=None``).
"""

from __future__ import annotations

import re
from uuid import UUID

import pytest

from domain.agencies import User

API = "/api/v1"


def token_events(services, user_id) -> list:
    return [e for e in services.store.events.get(UUID(str(user_id))) if isinstance(e, User.TokenIssued)]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_issued_names_its_issuer(client, world, services):
    admin = world.users["admin"]
    other_admin = client.post(f"{API}/users", headers=admin.headers, json={"role": "admin", "name": "Drugi admin"})
    assert other_admin.status_code == 201 and other_admin.json["token"]
    minted = client.post(f"{API}/users/{other_admin.json['id']}/token", headers=admin.headers)
    assert minted.status_code == 201, minted.json
    assert token_events(services, other_admin.json["id"])[-1].issued_by == admin.id

    school = world.users["school"]
    own = client.post(f"{API}/me/token", headers=school.headers)
    assert own.status_code == 201, own.json
    assert token_events(services, school.id)[-1].issued_by == school.id
    assert client.get(f"{API}/me", headers=school.headers).status_code == 401  # the old one ended
    assert client.get(f"{API}/me", headers=bearer(own.json["token"])).json["user_id"] == str(school.id)


def test_an_old_token_event_without_an_issuer_still_loads(services, world, monkeypatch):
    """A v1 ``TokenIssued`` (written before issuers were recorded) is upcast with ``issued_by=None``."""
    school = world.users["school"]
    user = services.store.repository.get(school.id)
    with monkeypatch.context() as old_code:
        old_code.setattr(User.TokenIssued, "class_version", 1)
        user.issue_token("f" * 64, issued_by=None)
        (event,) = user.collect_events()
        object.__delattr__(event, "issued_by")  # the shape of a v1 event
        stored = services.store.mapper.to_stored_event(event)
    assert b"issued_by" not in stored.state
    services.store.recorder.insert_events([stored])
    loaded = list(services.store.events.get(school.id))[-1]
    assert isinstance(loaded, User.TokenIssued) and loaded.issued_by is None
    assert services.store.repository.get(school.id).token_hash == "f" * 64


def test_a_reset_ends_the_token_at_once_and_waits_for_the_coordinator(client, world, services):
    case_worker, admin, coordinator = world.users["case_worker"], world.users["admin"], world.users["coordinator"]
    assert client.get(f"{API}/me", headers=case_worker.headers).status_code == 200  # known to this process
    reset = client.post(f"{API}/users/{case_worker.id}/reset", headers=admin.headers, json={"reason": "zgubiony"})
    assert reset.status_code == 200, reset.json
    assert reset.json["access"] == "pending" and reset.json.get("token") is None
    assert client.get(f"{API}/me", headers=case_worker.headers).status_code == 401
    codes = {"setup_code": reset.json["setup_code"]}
    early = client.post(f"{API}/activation", json={**codes, "approval_code": "z" * 43})
    assert early.status_code == 422  # the code alone gives nothing
    pending = client.get(f"{API}/access-requests", headers=coordinator.headers).json
    assert [p["user_id"] for p in pending] == [str(case_worker.id)]
    assert pending[0]["requested_by"] == str(admin.id)
    approved = client.post(f"{API}/users/{case_worker.id}/approval", headers=coordinator.headers)
    assert approved.status_code == 200, approved.json
    activated = client.post(f"{API}/activation", json={**codes, "approval_code": approved.json["approval_code"]})
    assert activated.status_code == 201, activated.json
    assert client.get(f"{API}/me", headers=bearer(activated.json["token"])).json["user_id"] == str(case_worker.id)
    assert token_events(services, case_worker.id)[-1].issued_by == case_worker.id
    again = client.post(f"{API}/activation", json={**codes, "approval_code": approved.json["approval_code"]})
    assert again.status_code == 422  # the codes are used up


@pytest.mark.parametrize("label", ["coordinator", "case_worker", "school", "auditor"])
def test_nobody_mints_a_token_for_another_reading_user(client, world, label):
    target = world.users["school" if label != "school" else "police"]
    answer = client.post(f"{API}/users/{target.id}/token", headers=world.users[label].headers)
    assert answer.status_code == 403
    assert client.get(f"{API}/me", headers=target.headers).status_code == 200


def test_a_person_makes_their_own_token_on_the_my_account_page(client, browser, world, services):
    assert browser.sign_in("school").status_code == 302
    page = browser.get("/account").get_data(as_text=True)
    assert "Moje konto" in page and "Utwórz nowy token API" in page
    made = browser.post("/account/token", {}, token_from="/account")
    assert made.status_code == 200
    token = re.search(r"<code>(sh_[^<]+)</code>", made.get_data(as_text=True)).group(1)
    assert "no-store" in made.headers["Cache-Control"]
    assert client.get(f"{API}/me", headers=bearer(token)).json["user_id"] == str(world.users["school"].id)
    assert client.get(f"{API}/me", headers=world.users["school"].headers).status_code == 401
    assert token_events(services, world.users["school"].id)[-1].issued_by == world.users["school"].id
