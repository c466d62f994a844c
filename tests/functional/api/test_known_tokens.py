"""A token's answer is kept per web process only while the records it came from are unchanged."""

from __future__ import annotations

from uuid import UUID

from services.bootstrap import build
from services.usecases.known_tokens import KnownTokens

ME = "/api/v1/me"


def test_a_known_token_is_answered_without_looking_it_up_again(app, client, world, monkeypatch):
    school = world.users["school"]
    assert client.get(ME, headers=school.headers).status_code == 200
    known: KnownTokens = app.extensions["safehub"].known_tokens
    lookups = []
    real = known.directory.authenticate_with_basis
    monkeypatch.setattr(known.directory, "authenticate_with_basis", lambda t: lookups.append(t) or real(t))
    for _ in range(3):
        assert client.get(ME, headers=school.headers).json["user_id"] == str(school.id)
    assert lookups == []


def test_a_token_replaced_by_another_process_stops_working_at_once(app, client, world, settings, clock):
    school = world.users["school"]
    assert client.get(ME, headers=school.headers).status_code == 200  # now known to this process
    other = build(settings, clock=clock)  # the CLI, or another web process: its own cache
    try:
        fresh = other.directory.issue_token(None, school.id)["token"]
    finally:
        other.close()
    assert client.get(ME, headers=school.headers).status_code == 401
    answer = client.get(ME, headers={"Authorization": f"Bearer {fresh}"})
    assert answer.json["user_id"] == str(school.id)


def test_a_change_to_the_user_is_seen_by_the_next_request(app, client, world, services):
    school = world.users["school"]
    assert client.get(ME, headers=school.headers).json["role"] == "submitter"
    user = services.store.repository.get(school.id)
    user.deactivate("left the school")
    services.store.save(user)
    assert client.get(ME, headers=school.headers).status_code == 401


def test_versions_reads_each_aggregate_and_leaves_out_unknown_ones(services, world):
    school = world.users["school"]
    pointer_user = services.store.repository.get(school.id)
    unknown = UUID(int=7)
    assert services.store.versions([school.id, unknown]) == {school.id: pointer_user.version}
