"""Finding 6: existence and counts leak, and the siblings of the same leak.

* ``GET /children/{id}`` carried ``version`` (a count of every entry, hidden ones too);
  the raw events carried their positions in the record and the timeline's milestones ids
  built from them, so a reader off the group counted what it may not see.
* The programme report (and the monthly statistics) for one day moved when another agency
  recorded a signal: both are refused below the coordinator and the auditor.
* Imported signal ids were name-based UUIDs anyone could compute; now keyed with the
  deployment's secret (a re-import still finds them).
* Correcting or retracting another agency's signal answered 403, a made-up id 404: a guess
  confirmed a health signal. Both answer 404 "signal not found", and a Blue Card the caller
  takes no part in reads as one that does not exist.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from tests.functional.api.test_blue_cards import fill_form_a, open_group, step
from tests.functional.api.test_import import HEADER_EN, upload
from tests.functional.api.test_timeline import post_child, post_signal

API = "/api/v1"
DAY = {"from": "2026-03-02", "to": "2026-03-02"}


def test_a_childs_identity_carries_no_count_of_its_entries(client, world):
    child = post_child(client, world.users["school"])
    for _ in range(3):
        post_signal(client, world.users["health"], child, "health_referral", "2026-03-02T10:00:00", details="x")
    answer = client.get(f"{API}/children/{child}", headers=world.users["school"].headers)
    assert answer.status_code == 200
    assert "version" not in answer.json


def test_the_raw_events_and_the_timeline_do_not_count_hidden_entries(client, world):
    school, coordinator = world.users["school"], world.users["coordinator"]
    child = post_child(client, school, "Ola", "Nowak", "2015-05-14")
    duplicate = post_child(client, school, "Ola", "Nowak", "2015-05-14")
    for _ in range(3):
        post_signal(client, world.users["health"], child, "health_referral", "2026-03-02T10:00:00", details="x")
    merged = client.post(
        f"{API}/children/{duplicate}/merge", headers=coordinator.headers, json={"target_id": child, "reason": "to samo"}
    )
    assert merged.status_code == 200
    events = client.get(f"{API}/children/{child}/events", headers=school.headers).json
    assert [e["type"] for e in events] == ["Registered", "Absorbed"]
    assert all(e.get("version") is None for e in events)  # 1 and 5 would say three entries are hidden
    timeline = client.get(f"{API}/children/{child}/timeline", headers=school.headers).json
    [absorbed] = [e for e in timeline["entries"] if e["type"] == "absorbed"]
    assert not absorbed["id"].endswith(":5")


def test_the_programme_report_and_the_monthly_figures_are_refused_below_the_chair(client, world):
    post_child(client, world.users["school"])
    for who in ("school", "police", "health", "case_worker", "family_assistant"):
        headers = world.users[who].headers
        assert client.get(f"{API}/reports/programme", query_string=DAY, headers=headers).status_code == 403, who
        assert client.get(f"{API}/reports/monthly", query_string={"year": 2026}, headers=headers).status_code == 403
    for who in ("coordinator", "auditor"):
        headers = world.users[who].headers
        assert client.get(f"{API}/reports/programme", query_string=DAY, headers=headers).status_code == 200, who


def test_imported_signal_ids_cannot_be_computed_from_what_they_name(client, world):
    from services.usecases import import_batch

    school = world.users["school"]
    child = post_child(client, school, "Zuzanna", "Wiśniewska", "2016-09-02")
    body = (HEADER_EN + "Zuzanna,Wiśniewska,2016-09-02,unexplained_absence,2026-03-02,1,\n").encode()
    first = upload(client, school, body).json["results"][0]
    assert first["status"] == "accepted"
    namespace = getattr(import_batch, "_SIGNAL_IDS", UUID("3b0c8f0e-9a57-4c1e-8d4f-6a2f1f2d7c11"))
    observed = "2026-03-02T00:00:00+01:00"
    guess = uuid5(namespace, "|".join((str(world.agencies["school"]), child, "unexplained_absence", observed, "1", "")))
    assert first["signal_id"] != str(guess)
    assert first["signal_id"] != str(uuid5(NAMESPACE_URL, first["child_id"]))
    again = upload(client, school, body).json["results"][0]
    assert again["status"] == "duplicate" and again["signal_id"] == first["signal_id"]  # still idempotent


def test_another_agencys_signal_and_no_signal_answer_alike(client, world):
    child = post_child(client, world.users["school"])
    health = post_signal(client, world.users["health"], child, "health_referral", "2026-03-02T10:00:00", details="x")
    school = world.users["school"]
    for rule, body in (("corrections", {"severity": "low", "reason": "?"}), ("retraction", {"reason": "?"})):
        theirs = client.post(f"{API}/children/{child}/signals/{health}/{rule}", headers=school.headers, json=body)
        made_up = client.post(f"{API}/children/{child}/signals/{uuid4()}/{rule}", headers=school.headers, json=body)
        assert theirs.status_code == made_up.status_code == 404, (theirs.json, made_up.json)
        assert theirs.json["message"] == made_up.json["message"] == "signal not found"
        assert health not in theirs.get_data(as_text=True)


def test_a_blue_card_you_take_no_part_in_reads_as_one_that_does_not_exist(client, world):
    child = post_child(client, world.users["school"])
    card = fill_form_a(client, world.users["police"], [child]).json["id"]
    health = world.users["health"]
    for path in (f"{API}/blue-cards/{card}", f"{API}/blue-cards/{uuid4()}"):
        answer = client.get(path, headers=health.headers)
        assert answer.status_code == 404 and answer.json["message"] == "blue card not found", answer.json
    theirs = step(client, health, card, "form-b", victim="Anna Wiśniewska")
    made_up = step(client, health, str(uuid4()), "form-b", victim="Anna Wiśniewska")
    assert theirs.status_code == made_up.status_code == 404
    assert step(client, world.users["police"], card, "forward").status_code == 200
    open_group(client, world, card_id=card)
    theirs = step(client, health, card, "form-c", victim=child, assessment="a", help_plan="p")
    assert theirs.status_code == 404 and theirs.json["message"] == "blue card not found"


def test_another_municipalitys_child_and_no_child_answer_alike_on_the_timeline_and_risk(client, world, other_world):
    child = post_child(client, world.users["school"])
    stranger = other_world.users["coordinator"]
    for view in ("timeline", "risk", "events", "signals"):
        theirs = client.get(f"{API}/children/{child}/{view}", headers=stranger.headers)
        made_up = client.get(f"{API}/children/{uuid4()}/{view}", headers=stranger.headers)
        assert theirs.status_code == made_up.status_code == 404, view
        assert theirs.json["message"] == made_up.json["message"] == "child not found", (view, theirs.json)


def test_another_assistants_time_card_reads_as_no_card_at_all(client, world, services):
    """A card's id is derived from the assistant and the month: a colleague's guess confirms nothing."""
    made = client.post("/api/v1/time-cards", headers=world.users["family_assistant"].headers, json={"month": "2026-03"})
    assert made.status_code == 201
    colleague = services.directory.create_user(
        None, role="family_assistant", name="Druga asystentka", agency_id=world.agencies["ops"]
    )
    headers = {"Authorization": f"Bearer {colleague['token']}"}
    theirs = client.get(f"/api/v1/time-cards/{made.json['id']}", headers=headers)
    none = client.get(f"/api/v1/time-cards/{uuid4()}", headers=headers)
    assert (
        (theirs.status_code, theirs.json["message"])
        == (none.status_code, none.json["message"])
        == (
            404,
            "time card not found",
        )
    )
    changed = client.post(f"/api/v1/time-cards/{made.json['id']}/submission", headers=headers)
    assert (changed.status_code, changed.json["message"]) == (404, "time card not found")
