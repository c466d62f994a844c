"""Finding 7 (accounts): no user could be deactivated, so a departed employee kept access.

``User.deactivate`` existed but nothing exposed it. Now ``POST
/api/v1/users/{id}/deactivation`` (the administrator, or the coordinator for the
municipality's field staff) and ``safehub deactivate-user`` end the user's token and page
sessions at once: the per-process token cache compares aggregate versions, and the page
session asks for an active user on every request.
"""

from __future__ import annotations

from uuid import UUID

from click.testing import CliRunner

from services.cli import main

API = "/api/v1"


def deactivate(client, who, target, reason="odszedł z pracy"):
    return client.post(f"{API}/users/{target.id}/deactivation", headers=who.headers, json={"reason": reason})


def test_deactivation_ends_the_token_at_once(client, world):
    case_worker = world.users["case_worker"]
    assert client.get(f"{API}/me", headers=case_worker.headers).status_code == 200  # now cached in this process
    answer = deactivate(client, world.users["admin"], case_worker)
    assert answer.status_code == 200, answer.json
    assert answer.json["active"] is False
    assert client.get(f"{API}/me", headers=case_worker.headers).status_code == 401


def test_deactivation_ends_the_page_session_at_once(client, world, browser):
    assert browser.sign_in("case-worker").status_code == 302
    assert browser.get("/start").status_code == 200
    assert deactivate(client, world.users["admin"], world.users["case_worker"]).status_code == 200
    answer = browser.get("/start")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in")
    assert browser.sign_in("case-worker").status_code == 401


def test_the_coordinator_deactivates_field_staff_but_not_the_auditor(client, world):
    coordinator = world.users["coordinator"]
    assert deactivate(client, coordinator, world.users["auditor"]).status_code == 403
    assert deactivate(client, coordinator, world.users["school"]).status_code == 200
    assert client.get(f"{API}/me", headers=world.users["school"].headers).status_code == 401


def test_a_submitter_cannot_deactivate_and_another_municipality_sees_nobody(client, world, other_world):
    assert deactivate(client, world.users["school"], world.users["police"]).status_code == 403
    assert deactivate(client, other_world.users["admin"], world.users["police"]).status_code == 404
    assert client.get(f"{API}/me", headers=world.users["police"].headers).status_code == 200


def test_a_reason_is_required_and_a_second_deactivation_conflicts(client, world):
    admin, police = world.users["admin"], world.users["police"]
    blank = deactivate(client, admin, police, reason="  ")
    assert blank.status_code == 422 and list(blank.json["errors"]) == ["reason"]
    assert deactivate(client, admin, police).status_code == 200
    assert deactivate(client, admin, police).status_code == 409


def test_the_operator_deactivates_from_the_command_line(services, world, settings, monkeypatch):
    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(settings.data_dir))
    police = world.users["police"]
    result = CliRunner().invoke(main, ["deactivate-user", "--user", str(police.id), "--reason", "przeniesiony"])
    assert result.exit_code == 0, result.output
    assert services.directory.authenticate(police.token) is None
    user = services.store.repository.get(UUID(str(police.id)))
    assert user.active is False
