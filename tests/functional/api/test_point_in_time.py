"""'What did the group know on 3 March?': timeline and risk replayed to a past instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

DAY = timedelta(days=1)


@pytest.fixture
def history(client, world, recorded_by_clock):
    """Recorded day by day: registration, a school signal, its correction, a late police report, a merge."""
    clock = recorded_by_clock
    clock.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    school, police, coordinator = world.users["school"], world.users["police"], world.users["coordinator"]
    moments = {}

    def step(name):
        moments[name] = clock.now
        clock.now += DAY

    child = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"},
    ).json["id"]
    step("registered")
    first = client.post(
        f"/api/v1/children/{child}/signals",
        headers=school.headers,
        json={"kind": "missed_remote_learning", "observed_at": "2026-03-01T08:00:00+01:00", "days": 2},
    ).json["id"]
    step("school")
    client.post(
        f"/api/v1/children/{child}/signals/{first}/corrections",
        headers=school.headers,
        json={"days": 5, "reason": "pełny tydzień"},
    )
    step("corrected")
    police_id = client.post(
        f"/api/v1/children/{child}/signals",
        headers=police.headers,
        json={"kind": "domestic_intervention", "observed_at": "2026-02-27T23:00:00+01:00"},
    ).json["id"]
    step("police")
    duplicate = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-15"},
    ).json["id"]
    extra = client.post(
        f"/api/v1/children/{duplicate}/signals",
        headers=school.headers,
        json={"kind": "unexplained_absence", "observed_at": "2026-03-04T08:00:00+01:00"},
    ).json["id"]
    client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": child, "reason": "ten sam uczeń"},
    )
    step("merged")
    return {"child": child, "first": first, "police": police_id, "extra": extra, "at": moments}


def timeline_at(client, who, child, moment):
    answer = client.get(
        f"/api/v1/children/{child}/timeline",
        headers=who.headers,
        query_string={"as_of": (moment + timedelta(hours=1)).isoformat()},
    )
    assert answer.status_code == 200, answer.json
    return {e["id"]: e for e in answer.json["entries"] if e["type"] == "signal"}


def test_the_timeline_as_the_group_knew_it_each_day(client, world, history):
    reader, child, at = world.users["coordinator"], history["child"], history["at"]
    assert timeline_at(client, reader, child, at["registered"]) == {}
    before_correction = timeline_at(client, reader, child, at["school"])
    assert list(before_correction) == [history["first"]]
    assert before_correction[history["first"]]["days"] == 2 and not before_correction[history["first"]]["corrected"]
    corrected = timeline_at(client, reader, child, at["corrected"])
    assert corrected[history["first"]]["days"] == 5 and corrected[history["first"]]["corrected"]
    assert history["police"] not in corrected  # observed earlier, but recorded later: not known yet
    assert history["police"] in timeline_at(client, reader, child, at["police"])
    merged = timeline_at(client, reader, child, at["merged"])
    assert set(merged) == {history["first"], history["police"], history["extra"]}


def test_the_live_timeline_equals_a_replay_to_now(client, world, history):
    reader, child = world.users["coordinator"], history["child"]
    live = client.get(f"/api/v1/children/{child}/timeline", headers=reader.headers).json["entries"]
    replay = client.get(
        f"/api/v1/children/{child}/timeline",
        headers=reader.headers,
        query_string={"as_of": "2030-01-01T00:00:00+00:00"},
    ).json["entries"]
    assert replay == live


def test_the_risk_as_it_read_then(client, world, history):
    reader, child, at = world.users["coordinator"], history["child"], history["at"]
    then = client.get(
        f"/api/v1/children/{child}/risk",
        headers=reader.headers,
        query_string={"as_of": (at["corrected"] + timedelta(hours=1)).isoformat()},
    ).json
    assert [c["kind"] for c in then["contributions"]] == ["missed_remote_learning"]
    assert then["pieces_join"] is None and then["as_of"].startswith("2026-03-03T10:00")
    later = client.get(
        f"/api/v1/children/{child}/risk",
        headers=reader.headers,
        query_string={"as_of": (at["police"] + timedelta(hours=1)).isoformat()},
    ).json
    assert {c["kind"] for c in later["contributions"]} == {"missed_remote_learning", "domestic_intervention"}
    assert later["pieces_join"] is not None


def test_before_registration_the_child_did_not_exist(client, world, history):
    answer = client.get(
        f"/api/v1/children/{history['child']}/timeline",
        headers=world.users["coordinator"].headers,
        query_string={"as_of": "2026-02-01T00:00:00+00:00"},
    )
    assert answer.status_code == 404


def test_a_submitter_replays_only_what_it_may_see(client, world, history):
    school = world.users["school"]
    seen = timeline_at(client, school, history["child"], history["at"]["police"])
    assert history["police"] not in seen and history["first"] in seen


def test_the_raw_events_as_of(client, world, history):
    answer = client.get(
        f"/api/v1/children/{history['child']}/events",
        headers=world.users["coordinator"].headers,
        query_string={"as_of": (history["at"]["school"] + timedelta(hours=1)).isoformat()},
    )
    assert [e["type"] for e in answer.json] == ["Registered", "SignalRecorded"]
