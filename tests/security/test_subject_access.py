"""Finding 21.7: no subject-access export (RODO art. 15).

A person (or their parent) asking what the municipality holds about a child could not be
answered: the data was spread over the child's record, notices, Blue Cards, working
groups, help plans and time cards, and nobody could say who had read it or what was
erased. Now ``GET /api/v1/children/{id}/subject-access`` (and a printable page) gives, for
the coordinator or the auditor only, everything held with the agency that recorded it and
when, the record's read log and its erasures; another child on a shared record is only
"another child"; and the export itself leaves a read-audit line (view ``subject_access``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from uuid import UUID

import pytest

URL = "/api/v1/children/{}/subject-access"


@pytest.fixture
def case(services, world, clock):
    """Iga and her brother: school and police signals, a Blue Card, a help plan, a time-card entry."""
    school, police = world.actor("school"), world.actor("police")
    iga = UUID(
        services.children.register(school, given_name="Iga", family_name="Dostępna", date_of_birth=date(2014, 2, 1))[
            "id"
        ]
    )
    brother = UUID(
        services.children.register(school, given_name="Jan", family_name="Dostępny", date_of_birth=date(2012, 2, 1))[
            "id"
        ]
    )
    services.children.record_signal(
        school, iga, kind="behaviour_change", details="płacze na lekcjach", observed_at=clock()
    )
    services.children.record_signal(
        police, iga, kind="domestic_intervention", details="interwencja domowa nocą", observed_at=clock()
    )
    card = services.blue_cards.fill_form_a(
        police,
        incident_date=date(2026, 3, 1),
        place="ul. Cicha 5",
        description="awantura w domu",
        child_victim_ids=[iga, brother],
        perpetrators=["Adam Sprawca"],
    )
    plan = services.help_plans.draw(
        world.actor("case_worker"),
        child_ids=[iga, brother],
        household="matka i dwoje dzieci",
        plan={
            "swot": {"strengths": ["matka współpracuje"]},
            "main_goal": "Bezpieczny dom",
            "actions": [{"party": "family", "description": "świetlica", "due": date(2026, 6, 1)}],
            "next_evaluation": date(2026, 9, 1),
        },
    )
    assistant = world.actor("family_assistant")
    time_card = services.time_cards.open(assistant, "2026-03")
    services.time_cards.add_entry(
        assistant,
        UUID(time_card["id"]),
        date=date(2026, 3, 2),
        start=time(9),
        end=time(10),
        place="dom rodziny",
        topic="budżet domowy",
        child_ids=[iga],
    )
    services.time_cards.add_entry(
        assistant,
        UUID(time_card["id"]),
        date=date(2026, 3, 3),
        start=time(9),
        end=time(10),
        place="inna rodzina",
        topic="sprawy innej rodziny",
        child_ids=[brother],
    )
    services.children.get(world.actor("coordinator"), iga)  # a read to find in the read log
    return {"iga": iga, "brother": brother, "card": card["id"], "plan": plan["id"], "adult": card["perpetrator_ids"][0]}


def test_the_coordinator_gets_everything_held_with_who_recorded_it_and_when(client, services, world, case):
    answer = client.get(URL.format(case["iga"]), headers=world.users["coordinator"].headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["subject"]["id"] == str(case["iga"]) and body["subject"]["given_name"] == "Iga"
    held = body["held"]
    kinds = {e["record_type"] for e in held}
    assert {"child", "blue_card", "help_plan", "time_card"} <= kinds
    signals = [e for e in held if e["event"] == "Child.SignalRecorded"]
    assert {e["agency_id"] for e in signals} == {str(world.agencies["school"]), str(world.agencies["police"])}
    assert all(e["agency_name"] and e["at"] for e in signals)
    text = answer.get_data(as_text=True)
    assert "płacze na lekcjach" in text and "awantura w domu" in text and "budżet domowy" in text
    assert "sprawy innej rodziny" not in text  # the assistant's entry about another child is not Iga's
    assert str(case["brother"]) not in text and "another child" in text
    assert any(line["record_id"] == str(case["iga"]) for line in body["read_log"])
    assert body["retention"]["rule"] == services.retention.policy.version and body["erasures"] == []


def test_the_export_itself_is_audited(client, services, world, case):
    assert client.get(URL.format(case["iga"]), headers=world.users["auditor"].headers).status_code == 200
    reads = services.read_audit.table.newest(world.municipality_id, child_id=case["iga"], limit=20)
    assert reads[0]["view"] == "subject_access" and reads[0]["user_id"] == str(world.users["auditor"].id)


@pytest.mark.parametrize("label", ["admin", "school", "police", "case_worker", "family_assistant", "health"])
def test_only_the_coordinator_and_the_auditor_export(client, world, case, label):
    assert client.get(URL.format(case["iga"]), headers=world.users[label].headers).status_code == 403


def test_another_municipality_meets_no_such_child(client, other_world, case):
    answer = client.get(URL.format(case["iga"]), headers=other_world.users["coordinator"].headers)
    assert answer.status_code == 404 and str(case["iga"]) not in answer.get_data(as_text=True)


def test_after_an_erasure_the_export_lists_it_and_no_longer_names_the_child(client, services, world, case):
    services.erasure.request(world.actor("coordinator"), case["iga"], ground="authorised_request", reference="R/1")
    services.erasure.approve(world.actor("auditor"), case["iga"])
    answer = client.get(URL.format(case["iga"]), headers=world.users["coordinator"].headers)
    assert answer.status_code == 200
    body = answer.json
    assert body["subject"]["erased"] is True and body["subject"]["given_name"] is None
    assert [e["event"] for e in body["erasures"]] == ["Child.ErasureRequested", "Child.Erased"]
    assert "Iga" not in answer.get_data(as_text=True) and "płacze na lekcjach" not in answer.get_data(as_text=True)


def test_the_printable_page_is_polish_and_for_the_coordinator(browser, services, world, kacper):
    browser.sign_in("coordinator")
    page = browser.get(f"/children/{kacper['id']}/subject-access")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="pl"' in html and "Informacja o danych osobowych" in html and "RODO art. 15" in html
    assert "Awantura domowa, dziecko obecne" in html and "Kto odczytywał kartotekę" in html
    browser.sign_in("school")
    assert browser.get(f"/children/{kacper['id']}/subject-access").status_code == 403


def test_the_api_answers_in_a_whole_day(client, world, case):
    """Dates and moments are ISO 8601 (the printable page formats them in Polish)."""
    body = client.get(URL.format(case["iga"]), headers=world.users["coordinator"].headers).json
    assert all(datetime.fromisoformat(e["at"]).tzinfo is not None for e in body["held"])
    assert datetime.fromisoformat(body["generated_at"]) <= datetime(2100, 1, 1, tzinfo=UTC)


def test_an_adult_named_in_a_case_gets_the_same_export(client, services, world, other_world, case):
    url = f"/api/v1/persons/{case['adult']}/subject-access"
    answer = client.get(url, headers=world.users["coordinator"].headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["subject"]["type"] == "person" and body["subject"]["name"] == "Adam Sprawca"
    assert any(e["record_type"] == "blue_card" for e in body["held"]) and "awantura w domu" in answer.get_data(
        as_text=True
    )
    assert str(case["iga"]) not in answer.get_data(as_text=True)  # the children are "another child" here
    reads = services.read_audit.table.newest(world.municipality_id, limit=10)
    assert {r["child_id"] for r in reads if r["view"] == "subject_access"} >= {case["adult"], str(case["iga"])}
    assert client.get(url, headers=world.users["school"].headers).status_code == 403
    assert client.get(url, headers=other_world.users["coordinator"].headers).status_code == 404


def test_a_step_about_another_person_keeps_its_texts_back(services, world):
    """Form C about Iga's brother is his, not hers: her export shows that it happened, not what it says."""
    from uuid import uuid4

    from domain.blue_cards import BlueCard
    from services.usecases.subject_access import _entry, _People

    iga, brother = str(uuid4()), str(uuid4())
    step = object.__new__(BlueCard.FormCRecorded)
    for name, value in {
        "originator_id": uuid4(),
        "originator_version": 3,
        "timestamp": datetime(2026, 3, 3, tzinfo=UTC),
        "victim": brother,
        "assessment": "ocena sytuacji brata",
        "help_plan": "plan dla brata",
        "recorded_by": world.users["case_worker"].id,
        "subject_ids": [UUID(iga), UUID(brother)],
    }.items():
        object.__setattr__(step, name, value)
    people = _People(services.store, world.municipality_id)
    shown = _entry("blue_card", uuid4(), step, {iga}, people)
    assert "ocena sytuacji brata" not in str(shown) and brother not in str(shown)
    assert set(shown["data"]["withheld"]) == {"assessment", "help_plan"}
    assert shown["data"]["subject_ids"] == [iga, "another person"]
    own = _entry("blue_card", uuid4(), step, {brother}, people)
    assert own["data"]["assessment"] == "ocena sytuacji brata" and "withheld" not in own["data"]
