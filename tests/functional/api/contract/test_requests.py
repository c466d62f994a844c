"""What every request meets before a use case: body rules, health, and the API description."""

import pytest

from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.functional.api.contract.helpers import API, child_body, field_errors
from tests.functional.api.contract.worlds import lazy_world


def test_a_non_json_body_is_refused_with_415(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        data="given_name=Ala&family_name=Kot",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"


def test_a_csv_body_posted_as_a_signal_is_refused_with_415(client, world):
    child = client.post(f"{API}/children", headers=world.users["school"].headers, json=child_body()).json
    response = client.post(
        f"{API}/children/{child['id']}/signals",
        headers=world.users["school"].headers,
        data="kind,observed_at\n",
        content_type="text/csv",
    )
    assert response.status_code == 415


def test_malformed_json_is_a_client_error_naming_the_request(client, world):
    response = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        data='{"given_name": "Ala",',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "_request" in response.json["errors"]


def test_a_json_array_instead_of_an_object_is_refused(client, world):
    response = client.post(f"{API}/children", headers=world.users["school"].headers, json=[child_body()])
    assert field_errors(response)


@pytest.fixture
def small_app(tmp_path, clock):
    """An app that accepts bodies of at most 1000 bytes."""
    services = build(
        Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "small"), "SAFEHUB_MAX_BODY_BYTES": "1000"}), clock=clock
    )
    yield create_app(services=services), lazy_world(services)
    services.close()


def test_an_oversized_body_is_refused_with_413(small_app):
    app, world = small_app
    response = app.test_client().post(
        f"{API}/children", headers=world.users["school"].headers, json=child_body(given_name="A" * 2000)
    )
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_a_body_under_the_limit_is_accepted(small_app):
    app, world = small_app
    response = app.test_client().post(f"{API}/children", headers=world.users["school"].headers, json=child_body())
    assert response.status_code == 201


def test_an_unknown_api_path_is_a_json_404(client, world):
    response = client.get(f"{API}/nothing-here", headers=world.users["school"].headers)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_a_method_the_resource_lacks_is_a_json_405(client, world):
    response = client.delete(f"{API}/agencies", headers=world.users["admin"].headers)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.json["error"] == "method_not_allowed"


def test_a_malformed_id_in_the_path_is_not_found(client, world):
    assert client.get(f"{API}/children/not-a-uuid", headers=world.users["school"].headers).status_code == 404


def test_healthz_answers_without_a_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["store"] == "sqlite"
    assert isinstance(response.json["position"], int)


def test_the_openapi_document_lists_the_paths(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    for path in (
        "/api/v1/agencies",
        "/api/v1/users",
        "/api/v1/users/{user_id}/token",
        "/api/v1/children",
        "/api/v1/children/{child_id}",
        "/api/v1/children/{child_id}/merge",
        "/api/v1/children/{child_id}/signals",
        "/api/v1/children/{child_id}/events",
        "/api/v1/children/{child_id}/signals/{signal_id}/corrections",
        "/api/v1/children/{child_id}/signals/{signal_id}/retraction",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/children/{child_id}/signals"]) >= {"get", "post"}
    assert response.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_openapi_document_describes_the_signal_input(client):
    schemas = client.get(f"{API}/openapi.json").json["components"]["schemas"]
    signal_input = schemas["SignalCreate"]
    assert set(signal_input["required"]) == {"kind", "observed_at"}
    assert "agency_id" not in signal_input["properties"]


def test_the_interactive_docs_are_served(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "swagger" in response.get_data(as_text=True).lower()


def test_the_docs_assets_are_served_offline(client):
    response = client.get(f"{API}/docs/static/swagger-ui-bundle.js")
    assert response.status_code == 200
    response.close()
