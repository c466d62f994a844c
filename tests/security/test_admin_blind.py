"""Finding 1: the administrator read everything.

``POST /api/v1/users`` let the administrator create an auditor (or a reader in any
agency) and read every child's timeline with the token the answer carried. Now a grant
of a role that reads child data takes effect only when a second person who answers for
that data approves it (the municipality's coordinator; the auditor for auditors), and
the administrator never holds a working credential of such a user: the answer carries a
setup code that is worthless without the approver's code.
"""

from __future__ import annotations

import re

import pytest

from tests.functional.api.test_timeline import post_child, post_signal

API = "/api/v1"


@pytest.fixture
def child(client, world) -> str:
    """A pupil with one signal: the record the administrator tries to read."""
    child_id = post_child(client, world.users["school"], "Kacper", "Wiśniewski", "2014-03-12")
    post_signal(client, world.users["school"], child_id, "behaviour_change", "2026-03-02T08:00:00", details="Wycofany.")
    return child_id


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or 'sh_none'}"}


def create(client, world, **body):
    return client.post(f"{API}/users", headers=world.users["admin"].headers, json={"name": "Nowa osoba", **body})


def every_credential_in(answer) -> list[str]:
    """Whatever the answer hands the administrator that looks like a secret."""
    return [v for k, v in answer.json.items() if isinstance(v, str) and ("token" in k or "code" in k)]


def test_an_auditor_created_by_the_admin_reads_no_child(client, world, child):
    created = create(client, world, role="auditor")
    assert created.status_code == 201, created.json
    for secret in every_credential_in(created):
        assert client.get(f"{API}/children/{child}/timeline", headers=bearer(secret)).status_code == 401
        assert client.get(f"{API}/me", headers=bearer(secret)).status_code == 401
    assert created.json["access"] == "pending"


@pytest.mark.parametrize(
    ("role", "kind"),
    [("coordinator", "police"), ("case_worker", "school"), ("coordinator", "school"), ("family_assistant", "health")],
)
def test_a_role_in_an_agency_that_does_not_hold_it_is_refused_naming_the_role(client, world, child, role, kind):
    created = create(client, world, role=role, agency_id=str(world.agencies[kind]))
    assert created.status_code == 422, created.json
    assert list(created.json["errors"]) == ["role"]
    assert kind in created.json["errors"]["role"][0]


def test_a_case_worker_created_by_the_admin_gives_the_admin_nothing_that_reads(client, world, child):
    created = create(client, world, role="case_worker", agency_id=str(world.agencies["ops"]))
    assert created.status_code == 201, created.json
    assert created.json.get("token") is None
    for secret in every_credential_in(created):
        assert client.get(f"{API}/children/{child}/timeline", headers=bearer(secret)).status_code == 401
    # The setup code alone opens nothing, before or after the approval.
    alone = client.post(f"{API}/activation", json={"setup_code": created.json["setup_code"], "approval_code": "x" * 43})
    assert alone.status_code == 422
    approved = client.post(f"{API}/users/{created.json['id']}/approval", headers=world.users["coordinator"].headers)
    assert approved.status_code == 200, approved.json
    alone = client.post(f"{API}/activation", json={"setup_code": created.json["setup_code"], "approval_code": "y" * 43})
    assert alone.status_code == 422


def test_the_admin_cannot_mint_a_token_for_the_coordinator(client, world, child):
    coordinator = world.users["coordinator"]
    minted = client.post(f"{API}/users/{coordinator.id}/token", headers=world.users["admin"].headers)
    assert minted.status_code == 403, minted.json
    assert "me/token" in minted.json["message"] and "reset" in minted.json["message"]
    assert "token" not in minted.json
    assert client.get(f"{API}/children/{child}/timeline", headers=coordinator.headers).status_code == 200


def test_the_admin_cannot_approve_a_grant_it_requested_nor_may_the_user_itself(client, world):
    created = create(client, world, role="submitter", agency_id=str(world.agencies["school"]))
    user_id = created.json["id"]
    for who in ("admin", "school", "case_worker", "auditor"):
        answer = client.post(f"{API}/users/{user_id}/approval", headers=world.users[who].headers)
        assert answer.status_code == 403, (who, answer.json)


def test_the_coordinator_of_another_municipality_cannot_approve(client, world, other_world):
    created = create(client, world, role="submitter", agency_id=str(world.agencies["school"]))
    answer = client.post(f"{API}/users/{created.json['id']}/approval", headers=other_world.users["coordinator"].headers)
    assert answer.status_code == 404


def test_an_auditor_grant_is_approved_by_the_auditor_not_the_coordinator(client, world):
    created = create(client, world, role="auditor")
    user_id = created.json["id"]
    refused = client.post(f"{API}/users/{user_id}/approval", headers=world.users["coordinator"].headers)
    assert refused.status_code == 403
    assert client.post(f"{API}/users/{user_id}/approval", headers=world.users["auditor"].headers).status_code == 200


def test_both_persons_appear_in_the_events_and_to_the_auditor(client, world, services):
    from domain.agencies import User

    created = create(client, world, role="case_worker", agency_id=str(world.agencies["ops"]))
    user_id = created.json["id"]
    client.post(f"{API}/users/{user_id}/approval", headers=world.users["coordinator"].headers)
    events = list(services.store.events.get(__import__("uuid").UUID(user_id)))
    requested = [e for e in events if isinstance(e, User.AccessRequested)]
    approved = [e for e in events if isinstance(e, User.AccessApproved)]
    assert [e.requested_by for e in requested] == [world.users["admin"].id]
    assert [e.approved_by for e in approved] == [world.users["coordinator"].id]
    shown = client.get(f"{API}/users/{user_id}", headers=world.users["auditor"].headers)
    assert shown.status_code == 200, shown.json
    grant = shown.json["grant"]
    assert (grant["requested_by"], grant["approved_by"]) == (
        str(world.users["admin"].id),
        str(world.users["coordinator"].id),
    )


def test_the_coordinator_approves_on_the_page_and_the_code_is_shown_once(client, browser, world):
    created = create(client, world, role="family_assistant", agency_id=str(world.agencies["ops"]), name="Ewa Nowa")
    assert browser.sign_in("coordinator").status_code == 302
    listing = browser.get("/access-requests").get_data(as_text=True)
    assert "Ewa Nowa" in listing and "Zatwierdź" in listing
    approved = browser.post(f"/access-requests/{created.json['id']}", {}, token_from="/access-requests")
    assert approved.status_code == 200
    page = approved.get_data(as_text=True)
    code = re.search(r"<code>(sh_[^<]+)</code>", page).group(1)
    assert "Żaden wniosek nie czeka." in page
    activated = client.post(f"{API}/activation", json={"setup_code": created.json["setup_code"], "approval_code": code})
    assert activated.status_code == 201, activated.json
    assert client.get(f"{API}/me", headers=bearer(activated.json["token"])).json["role"] == "family_assistant"
    assert browser.sign_in("school").status_code == 302
    assert browser.get("/access-requests").status_code == 403


def test_the_operator_approves_when_no_other_approver_is_left(client, world, settings, monkeypatch):
    """The only auditor is reset: no second auditor exists, so the operator at the console approves."""
    from click.testing import CliRunner

    from services.cli import main

    auditor = world.users["auditor"]
    reset = client.post(f"{API}/users/{auditor.id}/reset", headers=world.users["admin"].headers, json={})
    assert reset.status_code == 200 and reset.json["access"] == "pending"
    assert client.get(f"{API}/me", headers=auditor.headers).status_code == 401
    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(main, ["approve-access", "--user", str(auditor.id)])
    assert result.exit_code == 0, result.output
    code = result.output.split("approval code: ")[1].strip()
    activated = client.post(f"{API}/activation", json={"setup_code": reset.json["setup_code"], "approval_code": code})
    assert activated.status_code == 201, activated.json
    assert client.get(f"{API}/me", headers=bearer(activated.json["token"])).json["role"] == "auditor"
