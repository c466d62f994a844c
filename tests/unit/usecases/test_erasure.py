"""Erasure by crypto-shredding: the child's key is destroyed and its personal data cannot be read again."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.unit.usecases.conftest import register_child

BORN = date(2015, 5, 14)


def erase(erasure, actor, child_id, ground="authorised_request", reference="SR 12/26"):
    return erasure.erase(actor, child_id, ground=ground, reference=reference)


@pytest.fixture
def signal_id(children, clock, world, child):
    answer, _ = children.record_signal(
        world.actor("school"),
        child,
        kind="behaviour_change",
        details="płacze",
        observed_at=clock() - timedelta(hours=1),
    )
    return answer["id"]


def test_erasing_destroys_the_key_and_the_names_can_no_longer_be_read(
    erasure, children, store, keys, world, child, signal_id
):
    answer = erase(erasure, world.actor("coordinator"), child)
    assert answer == {
        "id": str(child),
        "records": [str(child)],
        "erased": True,
        "ground": "authorised_request",
        "keys_destroyed": 1,
    }
    assert keys.is_destroyed(child)
    registered, recorded, erased = list(store.events.get(child))  # decoded again from the stored events
    assert (registered.given_name, registered.family_name, registered.date_of_birth) == (None, None, None)
    assert recorded.details is None and recorded.kind == "behaviour_change"  # the skeleton stays
    assert isinstance(erased, Child.Erased)
    record = children.get(world.actor("coordinator"), child)
    assert (record["given_name"], record["family_name"], record["erased"]) == (None, None, True)
    assert [s["details"] for s in children.list_signals(world.actor("coordinator"), child)] == [None]


def test_an_erased_child_is_no_longer_found_by_name(erasure, children, world, child):
    erase(erasure, world.actor("coordinator"), child)
    found = children.find(world.actor("coordinator"), given_name="Kacper", family_name="Wiśniewski", date_of_birth=BORN)
    assert found == {"matches": [], "likely_duplicates": []}


def test_nothing_more_can_be_recorded_on_an_erased_record(erasure, children, clock, world, child):
    erase(erasure, world.actor("admin"), child)
    with pytest.raises(Conflict, match="erased"):
        children.record_signal(
            world.actor("school"), child, kind="behaviour_change", observed_at=clock() - timedelta(hours=1)
        )


def test_erasing_again_changes_nothing(erasure, store, world, child):
    erase(erasure, world.actor("coordinator"), child)
    version = store.repository.get(child).version
    again = erase(erasure, world.actor("coordinator"), child)
    assert (again["erased"], again["keys_destroyed"]) == (True, 0)
    assert store.repository.get(child).version == version


def test_a_merged_family_is_erased_together(erasure, children, keys, world):
    survivor = register_child(children, world.actor("school"))
    duplicate = register_child(children, world.actor("case_worker"), family="Wiśniewsky")
    children.merge(world.actor("coordinator"), duplicate, survivor, reason="ten sam")
    answer = erase(erasure, world.actor("coordinator"), duplicate)  # through the old id
    assert answer["id"] == str(survivor)
    assert set(answer["records"]) == {str(survivor), str(duplicate)} and answer["keys_destroyed"] == 2
    assert keys.is_destroyed(survivor) and keys.is_destroyed(duplicate)


def test_only_the_administrator_or_the_coordinator_erases(erasure, keys, world, child):
    with pytest.raises(Forbidden):
        erase(erasure, world.actor("case_worker"), child)
    assert not keys.is_destroyed(child)


def test_an_erasure_needs_a_legal_ground_and_a_reference(erasure, keys, world, child):
    with pytest.raises(InvalidInput) as refused:
        erase(erasure, world.actor("coordinator"), child, ground="asked_nicely")
    assert "ground" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        erase(erasure, world.actor("coordinator"), child, reference=" ")
    assert "reference" in refused.value.errors
    assert not keys.is_destroyed(child)


def test_another_municipality_cannot_erase_the_child(erasure, keys, other_world, child):
    with pytest.raises(NotFound):
        erase(erasure, other_world.actor("coordinator"), child)
    assert not keys.is_destroyed(child)
