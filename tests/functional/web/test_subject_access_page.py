"""The printable subject-access export (RODO art. 15) reads as a document in Polish.

The page used to dump each entry's raw data: UUIDs, English field names and Python
reprs of nested plans. Now each entry says in Polish what happened, with short labelled
fields, and no internal id; the JSON answer of the API stays as it was.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from uuid import UUID

import pytest

UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@pytest.fixture
def case(services, world, kacper) -> dict:
    """Kacper and his sister: signals, a Blue Card with a group, a help plan, a time-card entry."""
    school, police, coordinator = world.actor("school"), world.actor("police"), world.actor("coordinator")
    child = UUID(kacper["id"])
    sister = UUID(
        services.children.register(school, given_name="Ola", family_name="Wiśniewska", date_of_birth=date(2012, 1, 5))[
            "id"
        ]
    )
    card = services.blue_cards.fill_form_a(
        police,
        incident_date=date(2026, 3, 1),
        place="ul. Cicha 5",
        description="awantura w domu",
        child_victim_ids=[child, sister],
        perpetrators=["Adam Sprawca"],
    )
    services.blue_cards.forward(police, UUID(card["id"]))
    group = services.groups.open(
        coordinator,
        name="Grupa: rodzina Wiśniewskich",
        child_ids=[child],
        members=[{"user_id": world.users["case_worker"].id}, {"user_id": world.users["police"].id}],
    )
    services.groups.schedule_meeting(
        coordinator, UUID(group["id"]), scheduled_for=services.children.clock() + timedelta(days=2), place="GOPS"
    )
    services.help_plans.draw(
        world.actor("case_worker"),
        child_ids=[child, sister],
        household="matka i dwoje dzieci",
        plan={
            "swot": {"strengths": ["matka współpracuje"], "weaknesses": ["długi"]},
            "main_goal": "Bezpieczny dom",
            "actions": [{"party": "family", "description": "zajęcia w świetlicy", "due": date(2026, 6, 1)}],
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
        child_ids=[child],
    )
    return {"child": child, "sister": sister, "adult": card["perpetrator_ids"][0], "group": group["id"]}


def page_of(browser, path: str) -> str:
    """The page's printed part (<main>); the header's language switch alone carries the page's own address."""
    browser.sign_in("coordinator")
    answer = browser.get(path)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    outside = html[: html.index("<main")] + html[html.index("</main>") :]
    assert set(UUID_PATTERN.findall(outside)) <= {path.split("/")[2]}  # the switch's "next" is this very page
    return html[html.index("<main") : html.index("</main>")]


def test_the_page_shows_no_internal_id_and_no_raw_data(browser, case):
    html = page_of(browser, f"/children/{case['child']}/subject-access")
    assert UUID_PATTERN.search(html) is None, UUID_PATTERN.search(html)
    for raw in ("municipality_id", "author_id", "subject_ids", "observed_at", "details:", "{'", "['", "None"):
        assert raw not in html, raw


def test_each_entry_says_in_polish_what_happened(browser, case):
    html = " ".join(re.sub(r"<[^>]+>", " ", page_of(browser, f"/children/{case['child']}/subject-access")).split())
    for text in (
        "Sygnał: nieusprawiedliwiona nieobecność",
        "Sygnał: interwencja domowa",
        "Niebieska Karta: formularz A",
        "Plan pomocy sporządzony",
        "Wpis w karcie czasu pracy",
        "Powiadomienie policji",
        "Posiedzenie grupy zaplanowane",
        "liczba dni: 3",
        "miejsce: ul. Cicha 5",
        "opis: awantura w domu",
        "Nieobecny trzy dni",
        "inne dziecko",
        "Mocne strony: matka współpracuje",
        "zajęcia w świetlicy — rodzina, termin 01.06.2026",
        "budżet domowy",
        "Co się wydarzyło",
        "czas trwania: 60 min",
        "koordynator zespołu interdyscyplinarnego",
    ):
        assert text in html, text


def test_a_step_about_another_person_says_its_texts_were_withheld(app):
    from services.web.export_text import entries

    export = {
        "subject": {"type": "child"},
        "held": [
            {
                "record_type": "blue_card",
                "event": "BlueCard.FormCRecorded",
                "at": "2026-03-03T10:00:00+00:00",
                "agency_name": "OPS",
                "data": {"subject_ids": ["x", "another person"], "recorded_by": "y", "withheld": ["assessment"]},
            }
        ],
    }
    with app.test_request_context("/"):
        [entry] = entries(export, {"blue_card": "Niebieska Karta"})
        assert entry["title"] == "Niebieska Karta: formularz C" and entry["fields"] == []
        assert "dotyczy innej osoby" in entry["withheld"] and "ocena" in entry["withheld"]


def test_the_adults_page_reads_the_same(browser, case):
    html = page_of(browser, f"/persons/{case['adult']}/subject-access")
    assert UUID_PATTERN.search(html) is None, UUID_PATTERN.search(html)
    assert "Adam Sprawca" in html and "Niebieska Karta: formularz A" in html and "inne dziecko" in html


def test_the_api_answer_keeps_its_raw_shape(client, world, case):
    body = client.get(
        f"/api/v1/children/{case['child']}/subject-access", headers=world.users["coordinator"].headers
    ).json
    signal = next(e for e in body["held"] if e["event"] == "Child.SignalRecorded")
    assert signal["data"]["kind"] == "unexplained_absence" and signal["data"]["author_id"]
    assert set(body) == {"subject", "generated_at", "generated_by", "held", "read_log", "erasures", "retention"}


def test_every_kind_of_step_reads_without_ids_or_raw_structures(app):
    """Steps the world above does not reach: minutes, decisions, closing, evaluation, an adult, erasure."""
    from uuid import uuid4

    from services.web.export_text import entries

    me, other = str(uuid4()), str(uuid4())

    def held(event: str, **data) -> dict:
        return {
            "record_type": "x",
            "event": event,
            "at": "2026-03-03T10:00:00+00:00",
            "agency_name": None,
            "data": data,
        }

    export = {
        "subject": {"type": "child"},
        "held": [
            held(
                "WorkingGroup.MeetingHeld",
                meeting_id=other,
                held_on="2026-03-05",
                minutes="omówiono sytuację",
                recorded_by=other,
                subject_ids=[me],
                attendees=[{"agency_id": other, "agency_name": "Szkoła nr 1", "user_id": None, "name": ""}],
            ),
            held("WorkingGroup.DecisionRecorded", decision_id=other, text="wsparcie psychologa", knowledge_position=2),
            held("BlueCard.Closed", reason="action_not_justified", note="", closed_by=other, subject_ids=[me]),
            held("HelpPlan.Evaluated", plan_version=1, results={other: "partly_done"}, situation="lepiej"),
            held("Notification.Issued", intervention={"police_reference": "RSD-1", "child_present": True}),
            held("Person.Registered", name="Anna Nowak", role="parent", relation="matka", municipality_id=other),
            held("Child.Erased", ground="authorised_request", reference="R/1", author_id=other, author_role="x"),
            held("Something.New", blob={"a": [1, 2]}, other_id=other),
        ],
    }
    with app.test_request_context("/"):
        shown = entries(export, {})
    text = str([(e["title"], e["fields"]) for e in shown])
    assert UUID_PATTERN.search(text) is None and "{" not in text and "None" not in text
    for expected in (
        "Posiedzenie grupy odbyło się",
        "('obecni', 'Szkoła nr 1')",
        "('protokół', 'omówiono sytuację')",
        "('treść', 'wsparcie psychologa')",
        "brak zasadności podejmowania działań",
        "('wyniki działań', 'wykonane częściowo')",
        "['sygnatura policji: RSD-1', 'dziecko obecne: tak']",
        "('rola w sprawie', 'rodzic')",
        "('podstawa', 'uprawniony wniosek')",
        "('Wpis', [])",
    ):
        assert expected in text, expected
