"""A first walk through the API as a school would use it."""


def test_school_registers_a_pupil_and_posts_a_signal(client, world):
    school = world.users["school"]
    created = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Ala", "family_name": "Kot", "date_of_birth": "2015-04-03"},
    )
    assert created.status_code == 201, created.json
    child_id = created.json["id"]
    posted = client.post(
        f"/api/v1/children/{child_id}/signals",
        headers=school.headers,
        json={"kind": "missed_remote_learning", "observed_at": "2026-03-02T08:00:00+01:00", "days": 3},
    )
    assert posted.status_code == 201, posted.json
    events = client.get(f"/api/v1/children/{child_id}/events", headers=school.headers).json
    assert [e["type"] for e in events] == ["Registered", "SignalRecorded"]
    assert events[1]["data"]["agency_id"] == str(world.agencies["school"])
