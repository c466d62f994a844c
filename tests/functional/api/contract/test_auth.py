"""Bearer tokens: 401 for anyone without a valid one, 403 when the role may not."""

import pytest

from tests.functional.api.contract.helpers import API, child_body, register_child, signal_body

PROTECTED = [
    ("get", "/agencies"),
    ("get", "/users"),
    ("get", "/me"),
    ("get", "/signal-kinds"),
    ("get", "/children?given_name=Ala&family_name=Kot&date_of_birth=2015-04-03"),
    ("post", "/children/search"),
    ("get", "/children/{child}"),
    ("get", "/children/{child}/signals"),
    ("get", "/children/{child}/events"),
    ("post", "/agencies"),
    ("post", "/users"),
    ("post", "/users/{child}/token"),
    ("post", "/children"),
    ("post", "/children/{child}/signals"),
    ("post", "/children/{child}/signals/{child}/corrections"),
    ("post", "/children/{child}/signals/{child}/retraction"),
    ("post", "/children/{child}/merge"),
]


@pytest.fixture
def child_id(client, world) -> str:
    return register_child(client, world.users["school"])["id"]


def assert_unauthorised(response) -> None:
    assert response.status_code == 401, response.json
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_needs_a_token(client, child_id, method, path):
    body = {"json": {}} if method == "post" else {}
    assert_unauthorised(getattr(client, method)(API + path.format(child=child_id), **body))


@pytest.mark.parametrize("header", ["Basic YWxhOmtvdA==", "Token {token}", "{token}", "Bearer", "Bearer   "])
def test_a_header_without_the_bearer_scheme_is_refused(client, world, header):
    token = world.users["case_worker"].token
    response = client.get(f"{API}/me", headers={"Authorization": header.format(token=token)})
    assert_unauthorised(response)


def test_an_unknown_token_is_refused(client, world):
    response = client.get(f"{API}/me", headers={"Authorization": "Bearer sh_not-a-real-token"})
    assert_unauthorised(response)


def test_the_bearer_scheme_is_case_insensitive(client, world):
    token = world.users["case_worker"].token
    assert client.get(f"{API}/me", headers={"Authorization": f"bearer {token}"}).status_code == 200


def test_me_tells_who_the_token_belongs_to(client, world):
    school = world.users["school"]
    me = client.get(f"{API}/me", headers=school.headers).json
    assert me == {
        "user_id": str(school.id),
        "municipality_id": str(world.municipality_id),
        "agency_id": str(world.agencies["school"]),
        "agency_kind": "school",
        "role": "submitter",
    }


def test_a_replaced_token_stops_working_and_the_new_one_works(client, world):
    school = world.users["school"]
    issued = client.post(f"{API}/me/token", headers=school.headers)  # a reader makes their own (issue 20)
    assert issued.status_code == 201, issued.json
    assert issued.json["id"] == str(school.id)
    assert_unauthorised(client.get(f"{API}/me", headers=school.headers))
    fresh = {"Authorization": f"Bearer {issued.json['token']}"}
    assert client.get(f"{API}/me", headers=fresh).json["user_id"] == str(school.id)


def test_only_an_admin_replaces_tokens(client, world):
    school = world.users["school"]
    response = client.post(f"{API}/users/{school.id}/token", headers=world.users["coordinator"].headers)
    assert response.status_code == 403
    assert client.get(f"{API}/me", headers=school.headers).status_code == 200


def test_an_admin_cannot_replace_a_token_in_another_municipality(client, world, other_world):
    stranger = other_world.users["school"]
    response = client.post(f"{API}/users/{stranger.id}/token", headers=world.users["admin"].headers)
    assert response.status_code == 404
    assert client.get(f"{API}/me", headers=stranger.headers).status_code == 200


def test_a_token_is_checked_before_the_body(client):
    response = client.post(f"{API}/children", json={"nonsense": True})
    assert_unauthorised(response)


def test_a_token_is_checked_before_the_query(client, child_id):
    response = client.get(f"{API}/children/{child_id}/events", query_string={"as_of": "yesterday"})
    assert_unauthorised(response)


def test_a_signal_without_a_token_is_refused_and_not_recorded(client, world, child_id):
    response = client.post(f"{API}/children/{child_id}/signals", json=signal_body())
    assert_unauthorised(response)
    events = client.get(f"{API}/children/{child_id}/events", headers=world.users["case_worker"].headers).json
    assert [e["type"] for e in events] == ["Registered"]


def test_a_non_json_body_without_a_token_is_still_401(client):
    response = client.post(f"{API}/children", data="given_name=Ala", content_type="application/x-www-form-urlencoded")
    assert_unauthorised(response)


# --- 403: the role may not ------------------------------------------------------------------


def test_a_school_may_not_create_agencies(client, world):
    response = client.post(
        f"{API}/agencies", headers=world.users["school"].headers, json={"kind": "school", "name": "SP 2"}
    )
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"


def test_an_admin_may_not_read_a_child(client, world, child_id):
    response = client.get(f"{API}/children/{child_id}", headers=world.users["admin"].headers)
    assert response.status_code == 403
    assert "admin" in response.json["message"]


@pytest.mark.parametrize(
    "path",
    [
        "/children/{child}/signals",
        "/children/{child}/events",
        "/children?given_name=Ala&family_name=Kot&date_of_birth=2015-04-03",
    ],
)
def test_an_admin_may_not_read_any_child_data(client, world, child_id, path):
    response = client.get(API + path.format(child=child_id), headers=world.users["admin"].headers)
    assert response.status_code == 403


def test_an_admin_may_not_register_a_child(client, world):
    response = client.post(f"{API}/children", headers=world.users["admin"].headers, json=child_body())
    assert response.status_code == 403


def test_an_auditor_may_not_post_a_signal(client, world, child_id):
    response = client.post(
        f"{API}/children/{child_id}/signals", headers=world.users["auditor"].headers, json=signal_body()
    )
    assert response.status_code == 403


def test_an_auditor_may_not_register_a_child(client, world):
    response = client.post(f"{API}/children", headers=world.users["auditor"].headers, json=child_body())
    assert response.status_code == 403


@pytest.mark.parametrize("label", ["school", "case_worker", "family_assistant", "auditor", "admin"])
def test_only_a_coordinator_may_merge(client, world, label):
    source = register_child(client, world.users["school"])["id"]
    target = register_child(client, world.users["school"], given_name="Alicja")["id"]
    response = client.post(
        f"{API}/children/{source}/merge",
        headers=world.users[label].headers,
        json={"target_id": target, "reason": "same child"},
    )
    assert response.status_code == 403
