"""/metrics, the request id, and the JSON request log (no personal data in it)."""

from __future__ import annotations

import json
import logging
import re

from domain.pesel import make_pesel
from services.runtime.logs import JsonFormatter

SIGNALS = "/api/v1/children/<uuid:child_id>/signals"


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0] if "{" not in line else line[: line.rindex("}")]))
        if line.split("{")[0].split(" ")[0] == name and all(have.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_count_requests_events_and_projection_lag(client, world):
    school = world.users["school"]
    before = client.get("/metrics").get_data(as_text=True)
    posted_before = sample(before, "safehub_http_requests_total", endpoint=SIGNALS, method="POST", status="201") or 0
    child = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Ala", "family_name": "Kot", "date_of_birth": "2015-04-03"},
    ).json
    for _ in range(2):
        answer = client.post(
            f"/api/v1/children/{child['id']}/signals",
            headers=school.headers,
            json={"kind": "behaviour_change", "observed_at": "2026-03-01T08:00:00"},
        )
        assert answer.status_code == 201
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert (
        sample(text, "safehub_http_requests_total", endpoint=SIGNALS, method="POST", status="201") == posted_before + 2
    )
    assert sample(text, "safehub_http_request_duration_seconds_count", endpoint=SIGNALS, method="POST") >= 2
    assert sample(text, "safehub_events_appended_total", kind="Child.SignalRecorded") == 2
    assert sample(text, "safehub_events_appended_total", kind="Child.Registered") == 1
    head = sample(text, "safehub_log_head")
    assert head and head > 0
    assert sample(text, "safehub_projection_lag", projection="timeline") is not None
    client.get(f"/api/v1/children/{child['id']}/timeline", headers=world.users["case_worker"].headers)
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "safehub_projection_position", projection="timeline") == head
    assert sample(text, "safehub_projection_lag", projection="timeline") == 0
    assert sample(text, "safehub_broker_up") is None, "no broker in the embedded mode"


def test_the_request_id_is_kept_or_made_and_answered(client, world):
    given = client.get("/api/v1/me", headers={**world.users["school"].headers, "X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/api/v1/me", headers=world.users["school"].headers)
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    hostile = client.get("/api/v1/me", headers={**world.users["school"].headers, "X-Request-ID": 'x" y {' + "z" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["X-Request-ID"])
    assert client.get("/api/v1/me").headers["X-Request-ID"], "a refused request has an id too"


def test_request_log_lines_are_json_without_personal_data(client, world, caplog):
    pesel = make_pesel(__import__("datetime").date(2015, 4, 3), 4321)
    with caplog.at_level(logging.INFO, logger="safehub"):
        child = client.post(
            "/api/v1/children",
            headers={**world.users["school"].headers, "X-Request-ID": "r-1"},
            json={"given_name": "Bożena", "family_name": "Zielińska", "date_of_birth": "2015-04-03", "pesel": pesel},
        ).json
        client.post(
            f"/api/v1/children/{child['id']}/signals",
            headers=world.users["school"].headers,
            json={"kind": "behaviour_change", "observed_at": "2026-03-01T08:00:00", "details": "Płacze TAJNE"},
        )
        client.post("/api/v1/children/search", headers=world.users["school"].headers, json={"pesel": pesel})
    formatter = JsonFormatter("web")
    lines = [formatter.format(r) for r in caplog.records if r.name.startswith("safehub")]
    assert any(json.loads(line).get("request_id") == "r-1" and json.loads(line)["status"] == 201 for line in lines)
    assert all(json.loads(line)["endpoint"] for line in lines if json.loads(line)["msg"] == "request")
    for line in lines:
        for secret in ("Bożena", "Zielińska", pesel, "TAJNE"):
            assert secret not in line


def test_notifications_overdue_are_counted_until_acknowledged(client, services, world, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.functional.api.test_notifications import intervene
    from tests.functional.api.test_timeline import post_child

    warsaw = ZoneInfo("Europe/Warsaw")
    child = post_child(client, world.users["school"])
    clock.now = datetime(2026, 3, 10, 21, 0, tzinfo=warsaw)  # a Tuesday evening: due Wednesday 08:00
    intervene(client, world, child, clock.now)
    assert sample(client.get("/metrics").get_data(as_text=True), "safehub_notifications_overdue") == 0
    clock.now = datetime(2026, 3, 11, 9, 0, tzinfo=warsaw)
    services.followers.catch_up()  # the gauge reads the notices read model as far as it has got
    assert sample(client.get("/metrics").get_data(as_text=True), "safehub_notifications_overdue") == 2  # school, OPS
    school = world.users["school"]
    [notice] = [
        n for n in client.get("/api/v1/notifications", headers=school.headers).json if n["direction"] == "received"
    ]
    client.post(f"/api/v1/notifications/{notice['id']}/acknowledgement", headers=school.headers, json={})
    services.followers.catch_up()
    assert sample(client.get("/metrics").get_data(as_text=True), "safehub_notifications_overdue") == 1


def test_deadline_breaches_open_are_counted_by_kind(client, world, recorded_by_clock):
    from datetime import UTC, datetime

    from tests.functional.api.test_blue_cards import fill_form_a
    from tests.functional.api.test_timeline import post_child

    clock = recorded_by_clock
    coordinator = world.users["coordinator"]
    child = post_child(client, world.users["school"])
    clock.now = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)  # Form A: five working days end on Monday 13 April
    fill_form_a(client, world.users["police"], [child])
    client.get("/api/v1/deadlines", headers=coordinator.headers)  # the read model catches up
    assert (
        sample(client.get("/metrics").get_data(as_text=True), "safehub_deadline_breaches_open", kind="form_a_to_chair")
        is None
    )
    clock.now = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    text = client.get("/metrics").get_data(as_text=True)
    assert sample(text, "safehub_deadline_breaches_open", kind="form_a_to_chair") == 1
