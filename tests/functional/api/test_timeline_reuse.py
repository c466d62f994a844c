"""A timeline read again is served from the kept rows only while nothing happened to the child."""

from __future__ import annotations

from tests.functional.api import test_timeline as base
from tests.functional.api.test_timeline import days_ago, post_child, post_signal, timeline

#: The timeline tests' child with three agencies' signals, on the real clock.
story, clock = base.story, base.clock


def entry(body, entry_id):
    return next(e for e in body["entries"] if e["id"] == entry_id)


def test_every_change_to_the_child_shows_on_the_next_read(client, world, story, clock):
    child, ids = story
    reader, school, police = world.users["coordinator"], world.users["school"], world.users["police"]
    first = timeline(client, reader, child)
    assert timeline(client, reader, child) == first  # read again, nothing changed

    new = post_signal(client, school, child, "unexplained_absence", days_ago(clock, 1), days=1)
    assert new in [e["id"] for e in timeline(client, reader, child)["entries"]]

    client.post(
        f"/api/v1/children/{child}/signals/{ids['school']}/corrections",
        headers=school.headers,
        json={"days": 6, "reason": "błąd w eksporcie"},
    )
    assert entry(timeline(client, reader, child), ids["school"])["days"] == 6

    client.post(
        f"/api/v1/children/{child}/signals/{ids['police']}/retraction",
        headers=police.headers,
        json={"reason": "zła osoba"},
    )
    assert entry(timeline(client, reader, child), ids["police"])["retracted"] is True


def test_a_merge_shows_on_the_next_read_of_either_record(client, world, story):
    child, _ = story
    coordinator, school = world.users["coordinator"], world.users["school"]
    duplicate = post_child(client, school, given="Kacper", family="Wisniewski", dob="2014-03-12")
    extra = post_signal(client, school, duplicate, "behaviour_change", "2026-02-25T10:00:00+01:00")
    before = timeline(client, coordinator, child)
    timeline(client, coordinator, duplicate)
    merged = client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": child, "reason": "ten sam uczeń"},
    )
    assert merged.status_code == 200, merged.json
    after = timeline(client, coordinator, child)
    assert len(after["entries"]) > len(before["entries"]) and extra in [e["id"] for e in after["entries"]]
    assert sorted(after["records"]) == sorted([child, duplicate])


def test_the_risk_read_again_counts_a_new_signal_and_a_retraction(client, world, story, clock):
    child, ids = story
    reader, police = world.users["coordinator"], world.users["police"]

    def risk():
        response = client.get(f"/api/v1/children/{child}/risk", headers=reader.headers)
        assert response.status_code == 200, response.json
        return response.json

    first = risk()
    post_signal(client, police, child, "domestic_intervention", days_ago(clock, 1), details="znowu")
    raised = risk()
    assert raised["score"] > first["score"]
    client.post(
        f"/api/v1/children/{child}/signals/{ids['police']}/retraction",
        headers=police.headers,
        json={"reason": "zła osoba"},
    )
    assert risk()["score"] < raised["score"]
