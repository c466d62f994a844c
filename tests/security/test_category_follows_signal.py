"""Finding 4: category by the event, not the signal.

A health agency records a signal under an open kind and then corrects its kind to
``health_referral``. From then on the signal's CURRENT category governs every event of it
in every answer: the timeline, the signal list, the raw events, and the replays to a past
instant (``as_of``), which take the stricter of the category then and the category now.
Before the fix the raw events (live and as_of) and the as_of timeline still handed a
school member the text recorded under the first kind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.functional.api.test_blue_cards import open_group
from tests.functional.api.test_timeline import post_child, post_signal

API = "/api/v1"
SECRET = "Leczenie psychiatryczne matki"
DAY = timedelta(days=1)


@pytest.fixture
def recategorised(client, world, recorded_by_clock):
    """Health records an open-category signal on day 1 and corrects it to a health referral on day 2."""
    clock = recorded_by_clock
    clock.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    child = post_child(client, world.users["school"])
    open_group(client, world, child_ids=[child])  # the school sits on the child's group
    health = world.users["health"]
    signal = post_signal(client, health, child, "behaviour_change", "2026-02-28T10:00:00+01:00", details=SECRET)
    before = clock.now + timedelta(hours=1)
    clock.now += DAY
    corrected = client.post(
        f"{API}/children/{child}/signals/{signal}/corrections",
        headers=health.headers,
        json={"kind": "health_referral", "reason": f"{SECRET}: to skierowanie"},
    )
    assert corrected.status_code == 201, corrected.json
    clock.now += DAY
    return child, signal, before


def body(client, who, path, **query) -> str:
    response = client.get(f"{API}/{path}", headers=who.headers, query_string=query)
    assert response.status_code == 200, response.json
    return json.dumps(response.json, ensure_ascii=False)


def test_the_timeline_and_the_signal_list_withhold_the_text_by_the_current_kind(client, world, recategorised):
    child, _, _ = recategorised
    school = world.users["school"]
    assert SECRET not in body(client, school, f"children/{child}/timeline")
    assert SECRET not in body(client, school, f"children/{child}/signals")


def test_the_raw_events_withhold_every_event_of_the_signal_by_its_current_kind(client, world, recategorised):
    child, signal, _ = recategorised
    school = world.users["school"]
    text = body(client, school, f"children/{child}/events")
    assert SECRET not in text
    events = json.loads(text)
    of_signal = [e for e in events if e["data"].get("signal_id") == signal]
    assert len(of_signal) == 2 and all(e["withheld_category"] == "health" for e in of_signal)


def test_a_replay_to_before_the_correction_takes_the_stricter_category(client, world, recategorised):
    child, _, before = recategorised
    school = world.users["school"]
    as_of = before.isoformat()
    assert SECRET not in body(client, school, f"children/{child}/events", as_of=as_of)
    assert SECRET not in body(client, school, f"children/{child}/timeline", as_of=as_of)


def test_readers_the_policy_names_still_read_the_text(client, world, recategorised):
    child, _, before = recategorised
    case_worker = world.users["case_worker"]  # OPS reads health details
    assert SECRET in body(client, case_worker, f"children/{child}/events")
    assert SECRET in body(client, case_worker, f"children/{child}/timeline", as_of=before.isoformat())
