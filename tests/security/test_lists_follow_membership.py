"""Finding 5 (deadlines bypass membership), and its siblings in the other lists of the team's work.

Found: a family assistant not on a child's working group was refused the group's actions
but read the same action texts in ``deadlines``, ``deadlines?group_id=`` and
``?blue_card_id=``. Lists now follow the detail endpoints' rule: the coordinator and the
auditor see the municipality; everyone else sees a group's items only as its member, a
card's only where the card's own endpoint lets them read it, and a help plan only as the
agency that keeps it or a member of a group working on one of its children. A filter naming
a group or card the caller may not read answers exactly as that group's or card's own
endpoint answers the caller, and a group the caller may not read answers as one that does
not exist.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from tests.functional.api.test_blue_cards import fill_form_a, members, step
from tests.functional.api.test_help_plans import plan_body
from tests.functional.api.test_timeline import post_child
from tests.worlds import Member

API = "/api/v1"
SECRET_ACTION = "Wizyta dzielnicowego u ojca"


def get(client, who: Member, path: str, **query):
    return client.get(f"{API}/{path}", headers=who.headers, query_string=query)


def answer(response) -> tuple[int, str]:
    return response.status_code, (response.json or {}).get("message", "")


@pytest.fixture
def pcpr_worker(services, world) -> Member:
    """A case worker of the district family-support centre (PCPR): not OPS, on no group yet."""
    created = services.directory.create_user(
        None, role="case_worker", name="pcpr", agency_id=world.agencies["pcpr"], municipality_id=world.municipality_id
    )
    actor = services.directory.authenticate(created["token"])
    return Member(actor.user_id, created["token"], actor, world.agencies["pcpr"])


@pytest.fixture
def case(client, world, clock):
    """A card filed by the police, its group (case worker, police, school: not the family
    assistant) with an action, and the family assistant's help plan for the child."""
    u = world.users
    child = post_child(client, u["school"])
    card = fill_form_a(client, u["police"], [child]).json["id"]
    assert step(client, u["police"], card, "forward").status_code == 200
    group = client.post(
        f"{API}/working-groups",
        headers=u["coordinator"].headers,
        json={"name": "Grupa W", "members": members(world, "case_worker", "police", "school"), "blue_card_id": card},
    ).json["id"]
    action = client.post(
        f"{API}/working-groups/{group}/actions",
        headers=u["coordinator"].headers,
        json={"description": SECRET_ACTION, "due_on": "2026-03-05", "owner_agency_id": str(world.agencies["police"])},
    )
    assert action.status_code == 201, action.json
    plan = client.post(
        f"{API}/help-plans",
        headers=u["family_assistant"].headers,
        json={"child_ids": [child], "household": "Wiśniewscy", "plan": plan_body(world)},
    )
    assert plan.status_code == 201, plan.json
    clock.now += timedelta(days=20)  # the action and the plan's actions are overdue
    return {"child": child, "card": card, "group": group, "plan": plan.json["id"]}


def test_the_deadline_list_shows_a_non_member_no_item_of_the_group(client, world, case):
    assistant = world.users["family_assistant"]
    body = get(client, assistant, "deadlines")
    assert body.status_code == 200
    assert SECRET_ACTION not in body.get_data(as_text=True)
    assert not [i for i in body.json["items"] if i["group_id"] == case["group"] or i["blue_card_id"] == case["card"]]
    assert sum(body.json["summary"].values()) == len(body.json["items"])
    # The family assistant still sees what is its own agency's: the plan it keeps.
    assert {i["kind"] for i in body.json["items"]} == {"help_plan_action"}
    for member in ("case_worker", "coordinator", "auditor"):
        assert SECRET_ACTION in get(client, world.users[member], "deadlines").get_data(as_text=True), member


def test_a_group_filter_answers_as_the_group_itself_and_as_a_group_that_does_not_exist(client, world, case):
    assistant, group = world.users["family_assistant"], case["group"]
    refused = get(client, assistant, "deadlines", group_id=group)
    assert SECRET_ACTION not in refused.get_data(as_text=True)
    assert answer(refused) == answer(get(client, assistant, f"working-groups/{group}"))
    assert answer(refused) == answer(get(client, assistant, "deadlines", group_id=str(uuid4())))
    assert answer(refused) == answer(get(client, assistant, f"working-groups/{uuid4()}"))
    assert refused.status_code == 404
    assert SECRET_ACTION in get(client, world.users["case_worker"], "deadlines", group_id=group).get_data(as_text=True)


def test_a_card_filter_answers_as_the_card_itself(client, world, case):
    assistant, card = world.users["family_assistant"], case["card"]
    refused = get(client, assistant, "deadlines", blue_card_id=card)
    assert SECRET_ACTION not in refused.get_data(as_text=True)
    assert refused.status_code in (403, 404)
    assert answer(refused) == answer(get(client, assistant, f"blue-cards/{card}"))
    unknown = str(uuid4())
    assert answer(get(client, assistant, "deadlines", blue_card_id=unknown)) == answer(
        get(client, assistant, f"blue-cards/{unknown}")
    )
    # The card's endpoint hides a card the reader takes no part in; so does the filter.
    assert answer(refused) == answer(get(client, assistant, "deadlines", blue_card_id=unknown))
    assert SECRET_ACTION in get(client, world.users["case_worker"], "deadlines", blue_card_id=card).get_data(
        as_text=True
    )


@pytest.mark.parametrize("tail", ["", "/meetings", "/actions", "/agenda"])
def test_a_group_the_reader_is_not_on_reads_as_one_that_does_not_exist(client, world, case, tail):
    assistant = world.users["family_assistant"]
    refused = get(client, assistant, f"working-groups/{case['group']}{tail}")
    assert answer(refused) == answer(get(client, assistant, f"working-groups/{uuid4()}{tail}"))
    assert refused.status_code == 404


def test_help_plans_list_only_for_their_agency_and_the_childs_group(client, world, services, case, pcpr_worker):
    child, plan = case["child"], case["plan"]
    for path, query in (("help-plans", {}), ("help-plans", {"child_id": child}), ("help-plans/overdue-actions", {})):
        found = get(client, pcpr_worker, path, **query)
        assert found.status_code == 200 and found.json == [], (path, query)
    deadlines = get(client, pcpr_worker, "deadlines")
    assert deadlines.status_code == 200 and deadlines.json["items"] == []
    refused = get(client, pcpr_worker, f"help-plans/{plan}")
    assert answer(refused) == answer(get(client, pcpr_worker, f"help-plans/{uuid4()}"))
    # The agency that keeps the plan (OPS) and the coordinator read it.
    for who in ("family_assistant", "case_worker", "coordinator", "auditor"):
        assert [p["id"] for p in get(client, world.users[who], "help-plans").json] == [plan], who
    # A seat on a group working on the child opens it to the PCPR too, with the same rule everywhere.
    opened = client.post(
        f"{API}/working-groups",
        headers=world.users["coordinator"].headers,
        json={
            "name": "Grupa PCPR",
            "members": [
                {"user_id": str(pcpr_worker.id)},
                *members(world, "police"),
                {"user_id": str(world.users["case_worker"].id)},
            ],
            "child_ids": [child],
        },
    )
    assert opened.status_code == 201, opened.json
    assert [p["id"] for p in get(client, pcpr_worker, "help-plans").json] == [plan]
    assert [p["id"] for p in get(client, pcpr_worker, "help-plans", child_id=child).json] == [plan]
    assert {a["help_plan_id"] for a in get(client, pcpr_worker, "help-plans/overdue-actions").json} == {plan}
    assert get(client, pcpr_worker, f"help-plans/{plan}").status_code == 200


def test_the_deadlines_page_follows_the_same_rule(browser, world, case):
    browser.sign_in("family-assistant")
    page = browser.get("/deadlines")
    assert page.status_code == 200
    assert SECRET_ACTION not in page.get_data(as_text=True)
    browser.sign_in("case-worker")
    assert SECRET_ACTION in browser.get("/deadlines").get_data(as_text=True)
