"""Small helpers so API tests read as what a person does."""

from __future__ import annotations

from typing import Any

API = "/api/v1"
#: The day before the test clock's "now" (2026-03-03 09:00 UTC), morning in Warsaw.
YESTERDAY_MORNING = "2026-03-02T08:00:00+01:00"


def child_body(**overrides: Any) -> dict:
    return {"given_name": "Ala", "family_name": "Kot", "date_of_birth": "2015-04-03", **overrides}


def register_child(client, member, **overrides: Any) -> dict:
    """Register a child as ``member`` and return the created record."""
    response = client.post(f"{API}/children", headers=member.headers, json=child_body(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def signal_body(**overrides: Any) -> dict:
    return {"kind": "injury_observed", "observed_at": YESTERDAY_MORNING, **overrides}


def post_signal(client, member, child_id: str, key: str | None = None, **overrides: Any):
    """Post a signal as ``member``; returns the response (not asserted)."""
    headers = {**member.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{API}/children/{child_id}/signals", headers=headers, json=signal_body(**overrides))


def record_signal(client, member, child_id: str, **overrides: Any) -> dict:
    """Post a signal that must be accepted and return it."""
    response = post_signal(client, member, child_id, **overrides)
    assert response.status_code == 201, response.json
    return response.json


def events(client, member, child_id: str, **query: str) -> list[dict]:
    response = client.get(f"{API}/children/{child_id}/events", headers=member.headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def event_types(client, member, child_id: str) -> list[str]:
    return [e["type"] for e in events(client, member, child_id)]


def signals(client, member, child_id: str) -> list[dict]:
    response = client.get(f"{API}/children/{child_id}/signals", headers=member.headers)
    assert response.status_code == 200, response.json
    return response.json


def field_errors(response) -> dict[str, list[str]]:
    """Assert a 422 that names fields, and return ``field -> problems``."""
    assert response.status_code == 422, (response.status_code, response.json)
    assert response.json["error"] == "invalid_input"
    return response.json["errors"]
