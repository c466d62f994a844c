"""The timeline and risk endpoints as a working group reads them before a meeting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Clock


def post_child(client, who, given="Kacper", family="Wiśniewski", dob="2014-03-12"):
    response = client.post(
        "/api/v1/children", headers=who.headers, json={"given_name": given, "family_name": family, "date_of_birth": dob}
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def post_signal(client, who, child_id, kind, observed_at, **extra):
    response = client.post(
        f"/api/v1/children/{child_id}/signals",
        headers=who.headers,
        json={"kind": kind, "observed_at": observed_at, **extra},
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def clock():
    """The real clock: band history is judged at each event's recorded (real) time."""
    return Clock(datetime.now(UTC))


def days_ago(clock, days: float) -> str:
    return (clock() - timedelta(days=days)).isoformat()


@pytest.fixture
def story(client, world, clock):
    """A school, the police and a day centre each see a piece about one child, within three weeks."""
    u = world.users
    child = post_child(client, u["school"])
    ids = {
        "school": post_signal(client, u["school"], child, "missed_remote_learning", days_ago(clock, 20), days=4),
        "police": post_signal(
            client, u["police"], child, "domestic_intervention", days_ago(clock, 2), details="awantura, dziecko obecne"
        ),
        "day_centre": post_signal(client, u["day_centre"], child, "day_centre_attendance_drop", days_ago(clock, 10)),
    }
    return child, ids


def timeline(client, who, child_id, **query):
    response = client.get(f"/api/v1/children/{child_id}/timeline", headers=who.headers, query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def signals_of(body):
    return [e for e in body["entries"] if e["type"] == "signal"]


def test_entries_from_every_agency_form_one_line_ordered_by_when_they_happened(client, world, story):
    child, ids = story
    body = timeline(client, world.users["coordinator"], child)
    entries = signals_of(body)
    assert [e["id"] for e in entries] == [ids["school"], ids["day_centre"], ids["police"]]
    police = entries[2]
    assert police["agency"]["kind"] == "police" and police["agency"]["name"] == "police 1"
    assert police["author_role"] == "submitter" and police["severity"] == "high"
    assert police["label"] == "Interwencja domowa" and police["details"] == "awantura, dziecko obecne"
    assert all(e["recorded_at"] for e in entries)
    assert body["freshness"]["includes_latest"] is True and body["freshness"]["lag"] == 0


def test_labels_follow_the_readers_language(client, world, story):
    child, _ = story
    response = client.get(
        f"/api/v1/children/{child}/timeline", headers={**world.users["coordinator"].headers, "Accept-Language": "en"}
    )
    assert "Domestic intervention" in [e["label"] for e in response.json["entries"]]


def test_a_correction_shows_the_new_value_with_a_mark_and_the_old_value_kept(client, world, story):
    child, ids = story
    school = world.users["school"]
    response = client.post(
        f"/api/v1/children/{child}/signals/{ids['school']}/corrections",
        headers=school.headers,
        json={"days": 6, "reason": "błąd w eksporcie"},
    )
    assert response.status_code == 201
    entry = next(e for e in timeline(client, world.users["coordinator"], child)["entries"] if e["id"] == ids["school"])
    assert entry["days"] == 6 and entry["corrected"] is True
    assert entry["corrections"][0]["previous"] == {"days": 4}
    assert entry["corrections"][0]["reason"] == "błąd w eksporcie"


def test_a_retraction_stays_visible_as_retracted(client, world, story):
    child, ids = story
    police = world.users["police"]
    client.post(
        f"/api/v1/children/{child}/signals/{ids['police']}/retraction",
        headers=police.headers,
        json={"reason": "zła osoba"},
    )
    entry = next(e for e in timeline(client, world.users["coordinator"], child)["entries"] if e["id"] == ids["police"])
    assert entry["retracted"] is True and entry["retraction_reason"] == "zła osoba"


def test_filters_by_time_agency_kind_and_signal_kind(client, world, story, clock):
    child, ids = story
    reader = world.users["coordinator"]
    middle = days_ago(clock, 15)
    assert [e["id"] for e in signals_of(timeline(client, reader, child, since=middle))] == [
        ids["day_centre"],
        ids["police"],
    ]
    assert [e["id"] for e in signals_of(timeline(client, reader, child, until=middle))] == [ids["school"]]
    assert [e["id"] for e in timeline(client, reader, child, agency_kind="police")["entries"]] == [ids["police"]]
    assert [e["id"] for e in timeline(client, reader, child, kind="missed_remote_learning")["entries"]] == [
        ids["school"]
    ]


def test_bad_filters_are_named(client, world, story):
    child, _ = story
    response = client.get(
        f"/api/v1/children/{child}/timeline",
        headers=world.users["coordinator"].headers,
        query_string={"since": "yesterday", "agency_kind": "army"},
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"since", "agency_kind"}


def test_merged_records_show_one_timeline(client, world, story):
    child, ids = story
    school, coordinator = world.users["school"], world.users["coordinator"]
    duplicate = post_child(client, school, given="Kacper", family="Wisniewski", dob="2014-03-12")
    extra = post_signal(client, school, duplicate, "behaviour_change", "2026-02-25T10:00:00+01:00")
    merged = client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": child, "reason": "ten sam uczeń"},
    )
    assert merged.status_code == 200, merged.json
    for requested in (child, duplicate):
        body = timeline(client, coordinator, requested)
        assert body["child_id"] == child
        assert set(body["records"]) == {child, duplicate}
        assert extra in [e["id"] for e in signals_of(body)] and ids["police"] in [e["id"] for e in body["entries"]]


def test_a_submitter_sees_only_what_its_agency_submitted(client, world, story):
    child, ids = story
    body = timeline(client, world.users["school"], child)
    assert [e["id"] for e in signals_of(body)] == [ids["school"]]


def test_the_risk_explains_every_signal_and_says_it_decides_nothing(client, world, story, clock):
    child, ids = story
    response = client.get(f"/api/v1/children/{child}/risk", headers=world.users["coordinator"].headers)
    assert response.status_code == 200, response.json
    risk = response.json
    assert {c["signal_id"] for c in risk["contributions"]} == set(ids.values())
    assert all({"weight", "age_days", "decay", "contribution"} <= set(c) for c in risk["contributions"])
    assert risk["score"] == pytest.approx(
        sum(c["contribution"] for c in risk["contributions"] if c["counted"]), abs=0.01
    )
    assert risk["policy_version"] and "decides nothing" in risk["notice"]
    assert risk["pieces_join"] is not None and len(set(risk["pieces_join"]["agency_kinds"])) == 3
    assert risk["band"] == "high" and risk["band_history"][-1]["to_band"] == "high"
    assert risk["freshness"]["includes_latest"] is True


def test_band_changes_are_kept_as_history(client, world, story):
    child, _ = story
    history = client.get(f"/api/v1/children/{child}/risk", headers=world.users["coordinator"].headers).json[
        "band_history"
    ]
    assert history[0]["from_band"] == "low" and history[-1]["to_band"] == "high"
    assert all(h["from_band"] != h["to_band"] for h in history)
    assert all(h["policy_version"] for h in history)
    assert [h["position"] for h in history] == sorted(h["position"] for h in history)


@pytest.mark.parametrize("who", ["school", "police", "admin"])
def test_risk_is_refused_to_roles_that_do_not_see_every_agency(client, world, story, who):
    child, _ = story
    assert client.get(f"/api/v1/children/{child}/risk", headers=world.users[who].headers).status_code == 403


def test_another_municipality_cannot_reach_the_timeline(client, world, other_world, story):
    child, _ = story
    for path in ("timeline", "risk"):
        response = client.get(f"/api/v1/children/{child}/{path}", headers=other_world.users["coordinator"].headers)
        assert response.status_code == 404


def test_unknown_child_is_404(client, world):
    response = client.get(
        "/api/v1/children/00000000-0000-0000-0000-000000000001/timeline", headers=world.users["coordinator"].headers
    )
    assert response.status_code == 404


def test_the_bodies_match_their_documented_schemas(client, world, story):
    from services.api.schemas import RiskSchema, TimelineSchema

    child, _ = story
    headers = world.users["coordinator"].headers
    assert TimelineSchema().validate(client.get(f"/api/v1/children/{child}/timeline", headers=headers).json) == {}
    assert RiskSchema().validate(client.get(f"/api/v1/children/{child}/risk", headers=headers).json) == {}


def test_after_a_merge_the_survivor_lists_every_signal_and_the_pesel_finds_it(client, world):
    from datetime import date

    from domain.pesel import make_pesel

    school, coordinator = world.users["school"], world.users["coordinator"]
    pesel = make_pesel(date(2014, 3, 12), 4321)
    kept = post_child(client, school)
    duplicate = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Kacper", "family_name": "Wisniewski", "date_of_birth": "2014-03-12", "pesel": pesel},
    ).json["id"]
    first = post_signal(client, school, kept, "behaviour_change", "2026-02-20T10:00:00+01:00")
    second = post_signal(client, school, duplicate, "unexplained_absence", "2026-02-21T10:00:00+01:00")
    client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": kept, "reason": "ten sam uczeń"},
    )
    listed = client.get(f"/api/v1/children/{kept}/signals", headers=coordinator.headers).json
    assert [s["id"] for s in listed] == [first, second]
    found = client.post("/api/v1/children/search", headers=school.headers, json={"pesel": pesel}).json
    assert [c["id"] for c in found["matches"]] == [kept]
