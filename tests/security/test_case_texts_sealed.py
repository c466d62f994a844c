"""Issue 21 finding: erasing a child left the family work and the team's work readable.

After ``POST /children/{id}/erasure`` (asked by a coordinator, approved by the auditor) the
child's help plan still answered its household, SWOT, goals, actions, revision reason and
evaluation; the working group named after the family kept its name, meeting place, minutes,
decisions, action texts and notes; the time card kept the places, topics and participants
of the meetings with the family (and why an entry was removed); the police notice kept the
school's acknowledgement note. Now each of these texts is sealed under the keys of the
children (and adults) it concerns, so the erasure closes them: every API answer gives
None for them (the pages a short note), while the counts, dates, hours and results stay.
"""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from domain.help_plans import HelpPlan, join_plan

API = "/api/v1"
M = "QZ21"  # every text below carries it; no other data in a test does

TEXTS = {
    "household": f"{M}household Kowalscy, ul. Lipowa 1",
    "strength": f"{M}strength matka współpracuje",
    "goal": f"{M}goal bezpieczny dom",
    "long": f"{M}long ojciec kończy terapię",
    "action": f"{M}action świetlica",
    "revised action": f"{M}revised świetlica codziennie",
    "revision reason": f"{M}reason ojciec wyjechał",
    "situation": f"{M}situation sytuacja się poprawia",
    "group": f"{M}group Rodzina Kowalskich",
    "meeting place": f"{M}meetplace ul. Lipowa 1",
    "minutes": f"{M}minutes ojciec pije",
    "decision": f"{M}decision wniosek do sądu",
    "group action": f"{M}groupaction wizyta u Kowalskich",
    "done note": f"{M}donenote matka nie otworzyła",
    "entry place": f"{M}entryplace ul. Lipowa 1",
    "entry topic": f"{M}topic rozmowa o piciu ojca",
    "participants": f"{M}participants matka, Ola",
    "removal reason": f"{M}removal pomyłka",
    "ack note": f"{M}acknote wychowawczyni wie",
}
ERASED_NOTE = "(dane osobowe usunięte)"


def ok(response, status: int = 200) -> dict | list:
    assert response.status_code == status, (response.status_code, response.json)
    return response.json


def _plan_body(action_id: str | None = None, description: str = TEXTS["action"]) -> dict:
    return {
        "swot": {"strengths": [TEXTS["strength"]], "weaknesses": [], "opportunities": [], "threats": []},
        "main_goal": TEXTS["goal"],
        "long_term_goals": [TEXTS["long"]],
        "short_term_goals": [],
        "actions": [
            {
                "party": "family",
                "description": description,
                "due": "2026-03-10",
                **({"id": action_id} if action_id else {}),
            }
        ],
        "next_evaluation": "2026-04-01",
    }


@pytest.fixture
def case(client, world) -> dict:
    """A child with a help plan (revised, evaluated), a group's work, a time card and a police notice."""
    u = world.users
    child = ok(
        client.post(
            f"{API}/children",
            headers=u["school"].headers,
            json={"given_name": "Ola", "family_name": "Kowalska", "date_of_birth": "2015-04-03"},
        ),
        201,
    )["id"]
    assistant = u["family_assistant"].headers
    plan = ok(
        client.post(
            f"{API}/help-plans",
            headers=assistant,
            json={"child_ids": [child], "household": TEXTS["household"], "plan": _plan_body()},
        ),
        201,
    )
    action_id = plan["plan"]["actions"][0]["id"]
    ok(
        client.post(
            f"{API}/help-plans/{plan['id']}/revisions",
            headers=assistant,
            json={"reason": TEXTS["revision reason"], "plan": _plan_body(action_id, TEXTS["revised action"])},
        ),
        201,
    )
    ok(
        client.post(
            f"{API}/help-plans/{plan['id']}/evaluations",
            headers=assistant,
            json={"held_on": "2026-03-03", "results": {action_id: "partly_done"}, "situation": TEXTS["situation"]},
        ),
        201,
    )
    group = ok(
        client.post(
            f"{API}/working-groups",
            headers=u["coordinator"].headers,
            json={
                "name": TEXTS["group"],
                "members": [{"user_id": str(u[label].id)} for label in ("case_worker", "police", "school")],
                "child_ids": [child],
            },
        ),
        201,
    )["id"]
    worker = u["case_worker"].headers
    meeting = ok(
        client.post(
            f"{API}/working-groups/{group}/meetings",
            headers=worker,
            json={"scheduled_for": "2026-03-04T10:00:00+01:00", "place": TEXTS["meeting place"]},
        ),
        201,
    )["id"]
    minutes = {"minutes": TEXTS["minutes"], "attendees": [{"agency_id": str(world.agencies["police"])}]}
    assert (
        client.post(
            f"{API}/working-groups/{group}/meetings/{meeting}/minutes", headers=worker, json=minutes
        ).status_code
        < 300
    )
    decided = client.post(
        f"{API}/working-groups/{group}/meetings/{meeting}/decisions", headers=worker, json={"text": TEXTS["decision"]}
    )
    assert decided.status_code < 300, decided.json
    action = ok(
        client.post(
            f"{API}/working-groups/{group}/actions",
            headers=worker,
            json={
                "description": TEXTS["group action"],
                "due_on": "2026-03-25",
                "owner_agency_id": str(world.agencies["police"]),
                "meeting_id": meeting,
            },
        ),
        201,
    )["id"]
    done = client.post(
        f"{API}/working-groups/{group}/actions/{action}/done", headers=worker, json={"note": TEXTS["done note"]}
    )
    assert done.status_code < 300, done.json
    card = ok(client.post(f"{API}/time-cards", headers=assistant, json={"month": "2026-03"}), 201)["id"]
    entry = {"date": "2026-03-02", "place": TEXTS["entry place"], "topic": TEXTS["entry topic"], "child_ids": [child]}
    ok(
        client.post(
            f"{API}/time-cards/{card}/entries",
            headers=assistant,
            json={**entry, "start": "09:00", "end": "10:30", "participants": TEXTS["participants"]},
        ),
        201,
    )
    added = ok(
        client.post(
            f"{API}/time-cards/{card}/entries", headers=assistant, json={**entry, "start": "12:00", "end": "13:00"}
        ),
        201,
    )
    wrong = next(e["id"] for e in added["entries"] if e["start"] == "12:00")
    removed = client.post(
        f"{API}/time-cards/{card}/entries/{wrong}/removal", headers=assistant, json={"reason": TEXTS["removal reason"]}
    )
    assert removed.status_code < 300, removed.json
    ok(
        client.post(
            f"{API}/children/{child}/signals",
            headers=u["police"].headers,
            json={"kind": "domestic_intervention", "observed_at": "2026-03-02T22:00:00+01:00"},
        ),
        201,
    )
    [notice] = [
        n for n in ok(client.get(f"{API}/notifications", headers=u["school"].headers)) if n["direction"] == "received"
    ]
    ok(
        client.post(
            f"{API}/notifications/{notice['id']}/acknowledgement",
            headers=u["school"].headers,
            json={"note": TEXTS["ack note"]},
        ),
        201,
    )
    return {
        "child": child,
        "plan": plan["id"],
        "group": group,
        "meeting": meeting,
        "card": card,
        "notice": notice["id"],
    }


def answers(client, world, case: dict) -> dict[str, object]:
    """Every API answer that shows these records, read by those who may read them."""
    coordinator, school = world.users["coordinator"].headers, world.users["school"].headers
    group, plan, card = case["group"], case["plan"], case["card"]
    paths = {
        "plan": (f"{API}/help-plans/{plan}", coordinator),
        "plan version 1": (f"{API}/help-plans/{plan}?version=1", coordinator),
        "plans": (f"{API}/help-plans", coordinator),
        "child's plans": (f"{API}/help-plans?child_id={case['child']}", coordinator),
        "overdue actions": (f"{API}/help-plans/overdue-actions", coordinator),
        "group": (f"{API}/working-groups/{group}", coordinator),
        "groups": (f"{API}/working-groups", coordinator),
        "meetings": (f"{API}/working-groups/{group}/meetings", coordinator),
        "meeting": (f"{API}/working-groups/{group}/meetings/{case['meeting']}", coordinator),
        "actions": (f"{API}/working-groups/{group}/actions", coordinator),
        "time card": (f"{API}/time-cards/{card}", coordinator),
        "time cards": (f"{API}/time-cards?month=2026-03", coordinator),
        "time-card totals": (f"{API}/time-cards/totals?month=2026-03", coordinator),
        "service report": (f"{API}/time-cards/{card}/report", coordinator),
        "group agenda": (f"{API}/working-groups/{group}/agenda", coordinator),
        "team agenda": (f"{API}/team/agenda", coordinator),
        "deadlines": (f"{API}/deadlines", coordinator),
        "notice": (f"{API}/notifications/{case['notice']}", school),
        "notices": (f"{API}/notifications", school),
    }
    return {label: ok(client.get(path, headers=headers)) for label, (path, headers) in paths.items()}


def _erase(client, world, child: str) -> None:
    """The coordinator asks, the auditor approves (tests/security/test_erasure_authority.py)."""
    asked = client.post(
        f"{API}/children/{child}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/21"},
    )
    assert asked.status_code == 202, asked.json
    ok(client.post(f"{API}/children/{child}/erasure/approval", headers=world.users["auditor"].headers, json={}))


def test_the_texts_are_readable_before_the_erasure(client, world, case):
    shown = json.dumps(answers(client, world, case), ensure_ascii=False)
    missing = [label for label, text in TEXTS.items() if text not in shown]
    assert missing == ["removal reason"]  # a removal's reason is in no answer: it is in the card's events


def test_after_the_erasure_no_answer_holds_a_text_and_the_skeleton_stays(client, world, services, case):
    _erase(client, world, case["child"])
    replayed = [  # what any replay (an as_of view, an export) reads of these records' events
        vars(e) for key in ("plan", "group", "card", "notice") for e in services.store.events.get(UUID(case[key]))
    ]
    assert len(replayed) == 3 + 6 + 4 + 3  # the plan's, the group's, the card's and the notice's events all stay
    assert [t for t, text in TEXTS.items() if text in repr(replayed)] == []
    shown = answers(client, world, case)
    leaked = {
        label: [t for t, text in TEXTS.items() if text in json.dumps(a, ensure_ascii=False)]
        for label, a in shown.items()
    }
    assert {label: found for label, found in leaked.items() if found} == {}
    assert [label for label, a in shown.items() if "None" in json.dumps(a)] == []  # no None written into a text

    plan = shown["plan"]
    assert plan["household"] is None and plan["plan"]["main_goal"] is None and plan["plan"]["swot"] is None
    [action] = plan["plan"]["actions"]
    assert action["description"] is None and (action["due"], action["party"], action["last_result"]) == (
        "2026-03-10",
        "family",
        "partly_done",
    )
    assert [v["reason"] for v in plan["versions"]] == ["", None]  # the first version has no reason
    [evaluation] = plan["evaluations"]
    assert evaluation["situation"] is None and evaluation["held_on"] == "2026-03-03"
    assert (plan["current_version"], plan["next_evaluation"]) == (2, "2026-04-01")
    assert shown["plan version 1"]["plan"]["actions"][0]["description"] is None

    assert shown["group"]["name"] is None and shown["group"]["meetings"] == 1
    [meeting] = shown["meetings"]
    assert (meeting["place"], meeting["minutes"]) == (None, None) and meeting["held_on"] == "2026-03-03"
    assert [d["text"] for d in meeting["decisions"]] == [None]
    [group_action] = shown["actions"]
    assert (group_action["description"], group_action["note"]) == (None, None)
    assert (group_action["due_on"], group_action["done"]) == ("2026-03-25", True)

    [entry] = shown["time card"]["entries"]
    assert (entry["place"], entry["topic"], entry["participants"]) == (None, None, None)
    assert (entry["date"], entry["minutes"], shown["time card"]["totals"]["minutes"]) == ("2026-03-02", 90, 90)
    assert shown["time-card totals"]["total_minutes"] == 90

    assert shown["notice"]["note"] is None and shown["notice"]["status"] == "acknowledged"


def test_the_pages_say_the_texts_were_erased(client, browser, world, case):
    _erase(client, world, case["child"])
    assert browser.sign_in("coordinator").status_code == 302
    for path in (
        f"/help-plans/{case['plan']}",
        "/help-plans",
        "/groups",
        f"/groups/{case['group']}",
        f"/groups/{case['group']}/meetings/{case['meeting']}",
    ):
        page = browser.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, (path, page.status_code)
        assert M not in html and ">None<" not in html and " None " not in html, path
        assert ERASED_NOTE in html, path
    for path in ("/deadlines", f"/groups/{case['group']}/agenda"):  # the texts' kinds stand in for them
        page = browser.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, (path, page.status_code)
        assert M not in html and ">None<" not in html and " None " not in html, path


@pytest.mark.parametrize("card_given", ["when_opening", "assigned_later"])
def test_erasing_an_adult_closes_the_plans_naming_them_and_their_cards_group_work(client, world, card_given):
    u = world.users
    child = ok(
        client.post(
            f"{API}/children",
            headers=u["school"].headers,
            json={"given_name": "Jan", "family_name": "Nowak", "date_of_birth": "2014-01-02"},
        ),
        201,
    )["id"]
    card = ok(
        client.post(
            f"{API}/blue-cards",
            headers=u["police"].headers,
            json={
                "incident_date": "2026-03-01",
                "place": "ul. Polna",
                "description": "awantura",
                "child_victim_ids": [child],
                "adult_victims": ["Maria Nowak"],
                "perpetrators": ["Piotr Nowak"],
            },
        ),
        201,
    )
    [mother] = card["adult_victim_ids"]
    ok(client.post(f"{API}/blue-cards/{card['id']}/forward", headers=u["police"].headers, json={}))
    plan = ok(
        client.post(
            f"{API}/help-plans",
            headers=u["family_assistant"].headers,
            json={"child_ids": [child], "person_ids": [mother], "household": TEXTS["household"], "plan": _plan_body()},
        ),
        201,
    )["id"]
    coordinator = u["coordinator"].headers
    members = [{"user_id": str(u[label].id)} for label in ("case_worker", "police")]
    opening = {"name": TEXTS["group"], "members": members}
    if card_given == "when_opening":
        opening["blue_card_id"] = card["id"]
    group = ok(client.post(f"{API}/working-groups", headers=coordinator, json=opening), 201)["id"]
    if card_given == "assigned_later":  # opened naming nobody: its name is about no person
        ok(client.post(f"{API}/blue-cards/{card['id']}/group", headers=coordinator, json={"group_id": group}))
    action = {"description": TEXTS["group action"], "due_on": "2026-03-25", "owner_user_id": str(u["police"].id)}
    ok(client.post(f"{API}/working-groups/{group}/actions", headers=coordinator, json=action), 201)
    asked = client.post(
        f"{API}/persons/{mother}/erasure",
        headers=coordinator,
        json={"ground": "authorised_request", "reference": "ZI/22"},
    )
    assert asked.status_code == 202, asked.json
    ok(client.post(f"{API}/persons/{mother}/erasure/approval", headers=u["auditor"].headers, json={}))

    shown = ok(client.get(f"{API}/help-plans/{plan}", headers=coordinator))
    assert shown["household"] is None and shown["plan"]["main_goal"] is None
    assert shown["person_ids"] == [mother] and shown["plan"]["actions"][0]["due"] == "2026-03-10"
    [assigned] = ok(client.get(f"{API}/working-groups/{group}/actions", headers=coordinator))
    assert assigned["description"] is None and assigned["due_on"] == "2026-03-25"
    name = ok(client.get(f"{API}/working-groups/{group}", headers=coordinator))["name"]
    assert name == (None if card_given == "when_opening" else TEXTS["group"])


def test_a_plan_names_only_persons_of_the_municipality(client, world, other_world):
    child = ok(
        client.post(
            f"{API}/children",
            headers=world.users["school"].headers,
            json={"given_name": "Jan", "family_name": "Nowak", "date_of_birth": "2014-01-02"},
        ),
        201,
    )["id"]
    stranger = str(other_world.users["school"].id)  # an id, but no person of this municipality
    refused = client.post(
        f"{API}/help-plans",
        headers=world.users["family_assistant"].headers,
        json={"child_ids": [child], "person_ids": [stranger], "plan": _plan_body()},
    )
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["person_ids.0"], refused.json
    assert stranger not in json.dumps(refused.json)


def _store_as_version_1(store, events: list, to_v1) -> None:
    """Store events as the code before this change did: version 1 shape, texts unsealed."""
    plain = Mapper(transcoder=store.mapper.transcoder, compressor=store.mapper.compressor, cipher=store.mapper.cipher)
    stored = []
    for e in events:
        state = dict(vars(e))
        originator_id, version = state.pop("originator_id"), state.pop("originator_version")
        to_v1(type(e).__name__, state)
        data = plain.transcoder.encode(state)
        data = plain.compressor.compress(data) if plain.compressor else data
        data = plain.cipher.encrypt(data) if plain.cipher else data
        stored.append(
            StoredEvent(originator_id=originator_id, originator_version=version, topic=get_topic(type(e)), state=data)
        )
    store.recorder.insert_events(stored)


def test_version_1_events_stored_before_the_change_read_as_before(services, world):
    child = uuid4()
    plan = HelpPlan.draw(
        municipality_id=world.municipality_id,
        child_ids=[child],
        household=TEXTS["household"],
        plan={
            **_plan_body(),
            "actions": [{"party": "family", "description": TEXTS["action"], "due": date(2026, 3, 10)}],
            "next_evaluation": date(2026, 4, 1),
        },
        author_id=uuid4(),
        agency_id=uuid4(),
        today=date(2026, 3, 3),
    )
    action_id = plan.current["actions"][0]["id"]
    plan.evaluate(
        held_on=date(2026, 3, 3),
        results={action_id: "done"},
        situation=TEXTS["situation"],
        author_id=uuid4(),
        today=date(2026, 3, 3),
    )
    expected = (plan.household, plan.current, plan.evaluations)

    def to_v1(name: str, state: dict) -> None:
        if name == "Drawn":
            state["plan"] = join_plan(state["plan"], state.pop("texts"))
            state.pop("person_ids")
        state.pop("subject_ids", None)

    _store_as_version_1(services.store, plan.collect_events(), to_v1)
    read = services.store.repository.get(plan.id)
    assert (read.household, read.current, read.evaluations) == expected
    assert read.person_ids == [] and read.subject_ids == [child]
