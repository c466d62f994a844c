"""Finding (issue 21): adults have no keys, and a Blue Card's account outlives every erasure.

After ``POST /children/{id}/erasure`` the child's Blue Card still returned the place, the
description ("ojciec bije") and the adults' names; an adult victim or a suspected
perpetrator could never be erased at all. Now every adult on form A is a person with a key
of their own, the card's texts are sealed under the keys of everyone on it, and erasing any
one of them (``/persons/{id}/erasure`` or ``/children/{id}/erasure``, two people deciding)
leaves those texts and that person's name None in every answer about the card, while the
others keep their names and the event log's chain stays intact.
"""

from __future__ import annotations

import json

from tests.functional.api.contract.helpers import register_child

CARDS = "/api/v1/blue-cards"
PLACE, ACCOUNT, NOTE = "ul. Lipowa 5, Krasnystaw", "ojciec bije matkę i syna", "pilne: sąsiadka słyszała krzyki"
VICTIM, PERPETRATOR = "Anna Kowalska", "Jan Kowalski"
READERS = ("coordinator", "police", "auditor")


def _card(client, world) -> tuple[str, dict]:
    child = register_child(client, world.users["school"], given_name="Ewa", family_name="Kowalska")["id"]
    filled = client.post(
        CARDS,
        headers=world.users["police"].headers,
        json={
            "incident_date": "2026-03-01",
            "place": PLACE,
            "description": ACCOUNT,
            "child_victim_ids": [child],
            "adult_victims": [VICTIM],
            "perpetrators": [{"name": PERPETRATOR, "relation": "ojciec", "address": "ul. Lipowa 5"}],
        },
    )
    assert filled.status_code == 201, filled.json
    card = filled.json
    forwarded = client.post(
        f"{CARDS}/{card['id']}/forward", headers=world.users["coordinator"].headers, json={"note": NOTE}
    )
    assert forwarded.status_code == 200, forwarded.json
    return child, card


def _answers(client, world, card_id: str) -> list[dict]:
    """Every API answer that carries the card, for every reader of it."""
    answers = []
    for label in READERS:
        one = client.get(f"{CARDS}/{card_id}", headers=world.users[label].headers)
        assert one.status_code == 200, one.json
        listed = client.get(CARDS, headers=world.users[label].headers)
        assert listed.status_code == 200, listed.json
        answers += [one.json] + [c for c in listed.json if c["id"] == card_id]
    return answers


def _erase(client, world, path: str) -> None:
    asked = client.post(
        f"{path}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/9"},
    )
    assert asked.status_code == 202, asked.json
    approved = client.post(f"{path}/erasure/approval", headers=world.users["auditor"].headers, json={})
    assert approved.status_code == 200, approved.json
    assert approved.json["erased"] is True and approved.json["keys_destroyed"] >= 1


def _chain_intact(client, world) -> bool:
    answer = client.get("/api/v1/audit/verify", headers=world.users["auditor"].headers)
    assert answer.status_code == 200, answer.json
    return answer.json["intact"] is True


def test_before_any_erasure_the_card_reads_whole(client, world):
    _, card = _card(client, world)
    for answer in _answers(client, world, card["id"]):
        assert answer["place"] == PLACE and answer["description"] == ACCOUNT
        assert answer["adult_victims"] == [VICTIM] and answer["perpetrators"] == [PERPETRATOR]
        assert NOTE in json.dumps(answer, ensure_ascii=False)


def test_erasing_one_adult_closes_the_account_and_their_name_but_not_the_others(client, world):
    child, card = _card(client, world)
    [perpetrator] = card["perpetrator_ids"]
    _erase(client, world, f"/api/v1/persons/{perpetrator}")

    for answer in _answers(client, world, card["id"]):
        text = json.dumps(answer, ensure_ascii=False)
        assert answer["place"] is None and answer["description"] is None
        assert answer["perpetrators"] == [None] and answer["adult_victims"] == [VICTIM]
        for gone in (PLACE, ACCOUNT, NOTE, PERPETRATOR, "ul. Lipowa"):
            assert gone not in text
    named = client.get(f"/api/v1/children/{child}", headers=world.users["coordinator"].headers)
    assert named.status_code == 200 and named.json["given_name"] == "Ewa"
    assert _chain_intact(client, world)


def test_erasing_the_child_closes_the_account_too(client, world):
    child, card = _card(client, world)
    _erase(client, world, f"/api/v1/children/{child}")

    for answer in _answers(client, world, card["id"]):
        text = json.dumps(answer, ensure_ascii=False)
        assert answer["place"] is None and answer["description"] is None
        for gone in (PLACE, ACCOUNT, NOTE):
            assert gone not in text
        assert answer["adult_victims"] == [VICTIM] and answer["perpetrators"] == [PERPETRATOR]
    assert _chain_intact(client, world)


def test_a_person_is_erased_by_two_people_and_never_on_retention_alone(client, world):
    _, card = _card(client, world)
    [victim] = card["adult_victim_ids"]
    path = f"/api/v1/persons/{victim}/erasure"
    body = {"ground": "retention_expired", "reference": "ZI/9"}
    assert client.post(path, headers=world.users["admin"].headers, json=body).status_code == 403
    refused = client.post(path, headers=world.users["coordinator"].headers, json=body)
    assert refused.status_code == 409 and "retention_expired" in refused.json["message"]
    asked = client.post(path, headers=world.users["coordinator"].headers, json={**body, "ground": "authorised_request"})
    assert asked.status_code == 202 and asked.json["state"] == "pending"
    own = client.post(f"{path}/approval", headers=world.users["coordinator"].headers, json={})
    assert own.status_code == 403
    read = client.get(f"{CARDS}/{card['id']}", headers=world.users["coordinator"].headers)
    assert read.json["adult_victims"] == [VICTIM]  # nothing destroyed before the second person approves
    unknown = client.post(
        "/api/v1/persons/00000000-0000-4000-8000-000000000000/erasure",
        headers=world.users["coordinator"].headers,
        json={**body, "ground": "authorised_request"},
    )
    assert unknown.status_code == 404 and unknown.json["message"] == "person not found"
