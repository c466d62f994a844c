"""Finding 2 (lookups and write answers): every answer that reveals a child leaves a read-audit line.

A registration that hits a known PESEL (409 with the existing id), the likely duplicates a
registration lists, a CSV import (dry run or not) that matches a pupil on file, and the
records that writes answer with (every Blue Card step, a merge) each write a line naming
the reader and the child; a likely duplicate reveals only enough to recognise the child,
not its PESEL or school. (A signal written, corrected or retracted answers with the
writer's own agency's signal only: no read, no line.)
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from domain.pesel import make_pesel
from tests.functional.api.test_blue_cards import fill_form_a, step
from tests.functional.api.test_import import HEADER_EN, upload
from tests.functional.api.test_timeline import post_child

API = "/api/v1"


def lines(services, world, child_id, who) -> list[dict]:
    """The read-audit lines about ``child_id`` written for the user ``who`` (as the auditor lists them)."""
    reads = services.read_audit.list(world.actor("auditor"), child_id=UUID(str(child_id)), limit=1000)["reads"]
    return [r for r in reads if r["user_id"] == str(world.users[who].id)]


def views(services, world, child_id, who) -> list[str]:
    return [r["view"] for r in lines(services, world, child_id, who)]


def register(client, who, **body):
    return client.post(f"{API}/children", headers=who.headers, json=body)


def test_a_known_pesel_refused_at_registration_is_a_logged_lookup(client, world, services):
    from datetime import date

    pesel = make_pesel(date(2014, 3, 12), 1234)
    first = register(
        client,
        world.users["school"],
        given_name="Kacper",
        family_name="Wiśniewski",
        date_of_birth="2014-03-12",
        pesel=pesel,
    )
    assert first.status_code == 201
    child = first.json["id"]
    again = register(
        client,
        world.users["day_centre"],
        given_name="Kacper",
        family_name="Wiśniewski",
        date_of_birth="2014-03-12",
        pesel=pesel,
    )
    assert again.status_code == 409
    assert again.json["details"]["existing_id"] == child  # the registrant needs it to add its signal
    assert "duplicate_check" in views(services, world, child, "day_centre")


def test_a_likely_duplicate_is_named_only_enough_to_recognise_and_the_look_is_logged(client, world, services):
    from datetime import date

    pesel = make_pesel(date(2014, 3, 12), 1234)
    first = register(
        client,
        world.users["school"],
        given_name="Kacper",
        family_name="Wiśniewski",
        date_of_birth="2014-03-12",
        pesel=pesel,
        school_id=str(world.agencies["school"]),
    )
    child = first.json["id"]
    answer = register(
        client, world.users["day_centre"], given_name="Kacper", family_name="Wisniewski", date_of_birth="2014-03-13"
    )
    assert answer.status_code == 201
    [duplicate] = answer.json["likely_duplicates"]
    assert duplicate["id"] == child
    for hidden in ("pesel", "school_id", "merged_from", "merged_into", "registered_at", "version", "municipality_id"):
        assert hidden not in duplicate, hidden
    assert pesel not in answer.get_data(as_text=True)
    assert "duplicate_check" in views(services, world, child, "day_centre")


def test_an_import_that_matches_a_pupil_on_file_is_a_logged_lookup(client, world, services):
    child = post_child(client, world.users["school"], "Zuzanna", "Wiśniewska", "2016-09-02")
    body = (HEADER_EN + "Zuzanna,Wiśniewska,2016-09-02,unexplained_absence,2026-03-02,1,\n").encode()
    dry = upload(client, world.users["school"], body, dry_run=True).json
    assert dry["results"][0]["child_id"] == child
    assert "import_match" in views(services, world, child, "school")
    real = upload(client, world.users["school"], body).json
    assert real["results"][0]["child_id"] == child
    assert views(services, world, child, "school").count("import_match") == 2


def test_form_b_and_every_blue_card_step_answer_with_a_logged_read(client, world, services):
    child = post_child(client, world.users["school"])
    police = world.users["police"]
    card = fill_form_a(client, police, [child]).json
    before = len(lines(services, world, child, "police"))
    answer = step(client, police, card["id"], "form-b", victim="Anna Wiśniewska")
    assert answer.status_code == 201 and answer.json["child_victim_ids"] == [child]
    assert len(lines(services, world, child, "police")) == before + 1
    assert step(client, police, card["id"], "forward").status_code == 200
    assert len(lines(services, world, child, "police")) == before + 2
    assert views(services, world, child, "police")[0] == "blue_card"


def test_a_merge_answers_with_a_logged_read_of_both_records(client, world, services):
    duplicate = post_child(client, world.users["school"], "Ola", "Nowak", "2015-05-14")
    original = post_child(client, world.users["school"], "Ola", "Nowak", "2015-05-14")
    response = client.post(
        f"{API}/children/{duplicate}/merge",
        headers=world.users["coordinator"].headers,
        json={"target_id": original, "reason": "to samo dziecko"},
    )
    assert response.status_code == 200
    assert "identity" in views(services, world, original, "coordinator")
    assert "identity" in views(services, world, duplicate, "coordinator")


def test_the_programme_drill_down_logs_a_read_of_every_child_behind_its_cases(
    client, world, services, recorded_by_clock
):
    from tests.functional.api.test_timeline import post_signal

    child = post_child(client, world.users["school"])
    post_signal(client, world.users["police"], child, "domestic_intervention", "2026-03-02T22:00:00")
    card = fill_form_a(client, world.users["police"], [child]).json["id"]
    recorded_by_clock.now += timedelta(hours=1)  # the report counts what was recorded before now
    for indicator, listed in (("people_observed", child), ("cards_started", card)):
        before = views(services, world, child, "coordinator").count("programme_cases")
        answer = client.get(
            f"{API}/reports/programme/cases",
            headers=world.users["coordinator"].headers,
            query_string={"indicator": indicator, "from": "2026-01-01", "to": "2026-12-31"},
        )
        assert answer.status_code == 200 and [c["id"] for c in answer.json["cases"]] == [listed]
        assert views(services, world, child, "coordinator").count("programme_cases") == before + 1, indicator
