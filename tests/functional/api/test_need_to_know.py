"""Need-to-know: what each reader receives of a child's record, and the audit of every read."""

from __future__ import annotations

import json

import pytest

from tests.functional.api.test_blue_cards import fill_form_a, open_group, step
from tests.functional.api.test_timeline import post_child, post_signal

API = "/api/v1"


@pytest.fixture
def pupil(client, world):
    """A pupil the school registered, with a signal each from the school, the police and health."""
    u = world.users
    child = post_child(client, u["school"], "Kacper", "Wiśniewski", "2014-03-12")
    ids = {
        "school": post_signal(
            client, u["school"], child, "behaviour_change", "2026-03-02T08:00:00", details="Wycofany na przerwach."
        ),
        "police": post_signal(
            client,
            u["police"],
            child,
            "domestic_intervention",
            "2026-03-01T22:00:00",
            details="Interwencja domowa, awantura.",
        ),
        "health": post_signal(
            client,
            u["health"],
            child,
            "health_referral",
            "2026-03-03T10:00:00",
            details="Leczenie psychiatryczne matki.",
        ),
    }
    return child, ids


def get(client, who, path, **query):
    return client.get(f"{API}/{path}", headers=who.headers, query_string=query)


def timeline_entries(client, who, child):
    response = get(client, who, f"children/{child}/timeline")
    assert response.status_code == 200, response.json
    return response.json, {e["id"]: e for e in response.json["entries"] if e["type"] == "signal"}


def reads(client, who, **query):
    response = get(client, who, "audit/reads", **query)
    assert response.status_code == 200, response.json
    return response.json["reads"]


def test_a_school_off_the_group_reads_only_its_own_signals_and_no_risk(client, world, pupil):
    child, ids = pupil
    body, entries = timeline_entries(client, world.users["school"], child)
    assert body["grounds"] == "own_agency"
    assert set(entries) == {ids["school"]}
    assert get(client, world.users["school"], f"children/{child}/risk").status_code == 403


def test_sitting_on_the_childs_group_opens_the_whole_timeline(client, world, pupil):
    child, ids = pupil
    assert open_group(client, world, child_ids=[child]).status_code == 201
    body, entries = timeline_entries(client, world.users["school"], child)
    assert body["grounds"] == "group_membership"
    assert set(entries) == set(ids.values())
    assert entries[ids["police"]]["details"] == "Interwencja domowa, awantura."
    assert get(client, world.users["school"], f"children/{child}/risk").status_code == 200


def test_health_details_reach_only_the_group_members_the_policy_names(client, world, pupil):
    child, ids = pupil
    open_group(client, world, child_ids=[child])
    _, school_view = timeline_entries(client, world.users["school"], child)
    assert school_view[ids["health"]]["details"] is None
    assert school_view[ids["health"]]["withheld_category"] == "health"
    assert school_view[ids["health"]]["severity"]  # the reader still knows something was referred
    _, ops_view = timeline_entries(client, world.users["case_worker"], child)
    assert ops_view[ids["health"]]["details"] == "Leczenie psychiatryczne matki."
    events = get(client, world.users["police"], f"children/{child}/events").json
    [health_event] = [e for e in events if e["data"].get("signal_id") == ids["health"]]
    assert "details" not in health_event["data"] and health_event["withheld_category"] == "health"
    [listed] = [
        s for s in get(client, world.users["school"], f"children/{child}/signals").json if s["id"] == ids["health"]
    ]
    assert listed["details"] is None and listed["withheld_category"] == "health"


def test_a_withheld_entry_keeps_its_corrections_and_retraction_but_not_their_texts(client, world, pupil):
    child, ids = pupil
    health = world.users["health"]
    client.post(
        f"{API}/children/{child}/signals/{ids['health']}/corrections",
        headers=health.headers,
        json={"details": "Leczenie odwykowe ojca.", "reason": "pomylono osoby w rodzinie"},
    )
    client.post(
        f"{API}/children/{child}/signals/{ids['health']}/retraction",
        headers=health.headers,
        json={"reason": "skierowanie dotyczyło innej rodziny"},
    )
    open_group(client, world, child_ids=[child])
    _, entries = timeline_entries(client, world.users["school"], child)
    withheld = entries[ids["health"]]
    assert withheld["retracted"] and withheld["corrected"]
    body = json.dumps(withheld, ensure_ascii=False)
    for text in ("Leczenie", "pomylono", "innej rodziny"):
        assert text not in body
    _, full = timeline_entries(client, world.users["case_worker"], child)
    assert full[ids["health"]]["retraction_reason"] == "skierowanie dotyczyło innej rodziny"


def test_a_group_on_the_childs_blue_card_counts_too(client, world, pupil):
    child, ids = pupil
    card = fill_form_a(client, world.users["police"], [child]).json
    assert step(client, world.users["police"], card["id"], "forward").status_code == 200
    assert open_group(client, world, card_id=card["id"]).status_code == 201
    _, entries = timeline_entries(client, world.users["school"], child)
    assert set(entries) == set(ids.values())


def test_membership_of_another_childs_group_opens_nothing(client, world, pupil):
    child, ids = pupil
    sibling = post_child(client, world.users["school"], "Zuzanna", "Wiśniewska", "2016-09-02")
    open_group(client, world, child_ids=[sibling])
    _, entries = timeline_entries(client, world.users["school"], child)
    assert set(entries) == {ids["school"]}


def test_the_auditor_sees_who_read_the_child_and_on_what_grounds(client, world, pupil):
    child, _ = pupil
    school = world.users["school"]
    timeline_entries(client, school, child)  # before the group: own agency
    open_group(client, world, child_ids=[child])
    timeline_entries(client, school, child)  # on the group: everything, health withheld
    logged = [
        r
        for r in reads(client, world.users["auditor"], child_id=child, user_id=str(school.id))
        if r["view"] == "timeline"
    ]
    assert [r["grounds"] for r in logged] == ["group_membership", "own_agency"]  # newest first
    assert logged[0]["withheld_categories"] == ["health"] and logged[1]["withheld_categories"] == []
    assert logged[0]["role"] == "submitter" and logged[0]["agency_kind"] == "school"


def test_the_agency_that_owns_the_case_sees_who_looked_at_its_child(client, world, pupil):
    child, _ = pupil
    timeline_entries(client, world.users["coordinator"], child)
    seen = reads(client, world.users["school"], child_id=child)  # the school registered the child
    assert any(r["user_id"] == str(world.users["coordinator"].id) and r["grounds"] == "coordinator" for r in seen)
    assert get(client, world.users["police"], "audit/reads", child_id=child).status_code == 403
    assert get(client, world.users["school"], "audit/reads").status_code == 422  # child_id is required
    assert get(client, world.users["admin"], "audit/reads").status_code == 403


def test_filing_a_blue_card_gives_no_standing_but_sitting_on_the_group_does(client, world, pupil):
    child, _ = pupil
    fill_form_a(client, world.users["police"], [child])
    assert get(client, world.users["police"], "audit/reads", child_id=child).status_code == 403
    open_group(client, world, child_ids=[child])
    assert get(client, world.users["police"], "audit/reads", child_id=child).status_code == 200


def test_another_municipality_sees_none_of_the_reads(client, world, other_world, pupil):
    child, _ = pupil
    timeline_entries(client, world.users["coordinator"], child)
    assert reads(client, other_world.users["auditor"]) == []
    assert get(client, other_world.users["coordinator"], "audit/reads", child_id=child).status_code == 404


READS = {
    "identity": lambda child: ("children/" + child, {}),
    "signals": lambda child: (f"children/{child}/signals", {}),
    "events": lambda child: (f"children/{child}/events", {}),
    "timeline": lambda child: (f"children/{child}/timeline", {}),
    "risk": lambda child: (f"children/{child}/risk", {}),
    "search": lambda child: (
        "children",
        {"given_name": "Kacper", "family_name": "Wiśniewski", "date_of_birth": "2014-03-12"},
    ),
}


@pytest.mark.parametrize("view", sorted(READS))
def test_every_kind_of_read_is_audited(client, world, pupil, view):
    child, _ = pupil
    reader = world.users["coordinator"]
    path, query = READS[view](child)
    assert get(client, reader, path, **query).status_code == 200
    [line] = [r for r in reads(client, world.users["auditor"], child_id=child) if r["view"] == view]
    assert (line["user_id"], line["grounds"], line["child_id"]) == (str(reader.id), "coordinator", child)


def test_a_replay_is_audited_with_its_instant(client, world, pupil):
    child, _ = pupil
    reader = world.users["auditor"]
    assert get(client, reader, f"children/{child}/timeline", as_of="2030-01-01T00:00:00+00:00").status_code == 200
    [line] = [r for r in reads(client, reader, child_id=child) if r["view"] == "timeline"]
    assert line["grounds"] == "audit" and line["detail"].startswith("as_of=2030-01-01")


def test_a_refused_read_is_not_logged_as_a_read(client, world, pupil):
    child, _ = pupil
    assert get(client, world.users["admin"], f"children/{child}/timeline").status_code == 403
    assert reads(client, world.users["auditor"], child_id=child) == []


def test_reads_of_the_procedure_and_family_work_are_audited_too(client, world, pupil):
    from tests.functional.api.test_help_plans import plan_body

    child, _ = pupil
    u = world.users
    card = fill_form_a(client, u["police"], [child]).json
    step(client, u["police"], card["id"], "forward")
    group = open_group(client, world, card_id=card["id"]).json
    plan = client.post(
        f"{API}/help-plans",
        headers=u["family_assistant"].headers,
        json={"child_ids": [child], "household": "Wiśniewscy", "plan": plan_body(world)},
    ).json
    time_card = client.post(f"{API}/time-cards", headers=u["family_assistant"].headers, json={"month": "2026-03"}).json
    client.post(
        f"{API}/time-cards/{time_card['id']}/entries",
        headers=u["family_assistant"].headers,
        json={
            "date": "2026-03-02",
            "start": "09:00",
            "end": "10:00",
            "place": "dom",
            "topic": "szkoła",
            "child_ids": [child],
        },
    )
    notice = client.post(
        f"{API}/children/{child}/signals",
        headers=u["police"].headers,
        json={
            "kind": "domestic_intervention",
            "observed_at": "2026-03-02T22:00:00",
            "intervention": {"police_reference": "RSD-9/26", "place": "ul. Polna 3", "child_present": True},
        },
    ).json
    to_school = next(n["id"] for n in notice["notified"] if n["recipient_kind"] == "school")
    reads_made = {
        "blue_card": (u["coordinator"], f"blue-cards/{card['id']}"),
        "blue_cards": (u["coordinator"], "blue-cards"),
        "working_group": (u["case_worker"], f"working-groups/{group['id']}"),
        "agenda": (u["school"], f"working-groups/{group['id']}/agenda"),
        "help_plan": (u["family_assistant"], f"help-plans/{plan['id']}"),
        "time_card": (u["family_assistant"], f"time-cards/{time_card['id']}"),
        "notification": (u["school"], f"notifications/{to_school}"),
    }
    for who, path in reads_made.values():
        assert get(client, who, path).status_code == 200, path
    logged = {(r["view"], r["user_id"]): r for r in reads(client, u["auditor"], child_id=child)}
    for view, (who, _) in reads_made.items():
        assert (view, str(who.id)) in logged, view
    assert logged[("agenda", str(u["school"].id))]["grounds"] == "group_membership"
    assert logged[("help_plan", str(u["family_assistant"].id))]["grounds"] == "own_agency"


def test_the_childs_school_owns_the_case_even_when_another_agency_registered_the_child(client, world):
    child = client.post(
        f"{API}/children",
        headers=world.users["coordinator"].headers,
        json={
            "given_name": "Lena",
            "family_name": "Pawłowska",
            "date_of_birth": "2012-01-30",
            "school_id": str(world.agencies["school"]),
        },
    ).json["id"]
    timeline_entries(client, world.users["police"], child)
    seen = reads(client, world.users["school"], child_id=child)
    assert [(r["user_id"], r["grounds"]) for r in seen] == [(str(world.users["police"].id), "own_agency")]
