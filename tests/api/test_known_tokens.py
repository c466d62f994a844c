"""A token's actor is kept between requests only while its user is unchanged."""

from __future__ import annotations

API = "/api/v1"


def me(client, headers):
    return client.get(f"{API}/me", headers=headers)


def test_a_used_token_is_refused_at_once_when_replaced(client, world, app):
    school = world.users["school"]
    assert me(client, school.headers).status_code == 200  # now kept
    assert me(client, school.headers).status_code == 200
    assert len(app.extensions["safehub.tokens"]._items) == 1
    issued = client.post(f"{API}/users/{school.id}/token", headers=world.users["admin"].headers)
    assert issued.status_code == 201, issued.json
    assert me(client, school.headers).status_code == 401
    fresh = {"Authorization": f"Bearer {issued.json['token']}"}
    assert me(client, fresh).json["user_id"] == str(school.id)


def test_a_used_token_is_refused_at_once_when_its_user_is_deactivated(client, world, services):
    police = world.users["police"]
    assert me(client, police.headers).status_code == 200
    user = services.store.repository.get(police.id)
    user.deactivate("odszedł z pracy")
    services.store.save(user)
    assert me(client, police.headers).status_code == 401


def test_the_kept_actor_is_the_tokens_own(client, world):
    for label in ("school", "police", "coordinator", "school", "police"):
        who = world.users[label]
        assert me(client, who.headers).json["user_id"] == str(who.id)
