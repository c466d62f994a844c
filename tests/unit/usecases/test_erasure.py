"""Erasure by crypto-shredding, decided by two people: the child's key is destroyed and its
personal data cannot be read again, once a coordinator asked and a second person approved
(or the retention rule says the record is due)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.retention import RetentionFacts, RetentionPolicy, retention_due
from tests.unit.usecases.conftest import register_child

BORN = date(2015, 5, 14)


def erase(erasure, world, child_id, ground="authorised_request", reference="SR 12/26", asker="coordinator"):
    """A coordinator asks and the auditor approves: the ordinary two-person erasure."""
    asked = erasure.request(world.actor(asker), child_id, ground=ground, reference=reference)
    return asked if asked["erased"] else erasure.approve(world.actor("auditor"), child_id)


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
    answer = erase(erasure, world, child)
    assert answer == {
        "id": str(child),
        "records": [str(child)],
        "state": "erased",
        "erased": True,
        "ground": "authorised_request",
        "reference": "SR 12/26",
        "requested_by": str(world.users["coordinator"].id),
        "approved_by": str(world.users["auditor"].id),
        "keys_destroyed": 1,
    }
    assert keys.is_destroyed(child)
    registered, recorded, asked, erased = list(store.events.get(child))  # decoded again from the stored events
    assert (registered.given_name, registered.family_name, registered.date_of_birth) == (None, None, None)
    assert recorded.details is None and recorded.kind == "behaviour_change"  # the skeleton stays
    assert isinstance(asked, Child.ErasureRequested) and asked.requested_by == world.users["coordinator"].id
    assert isinstance(erased, Child.Erased) and erased.author_id == world.users["auditor"].id
    record = children.get(world.actor("coordinator"), child)
    assert (record["given_name"], record["family_name"], record["erased"]) == (None, None, True)
    assert [s["details"] for s in children.list_signals(world.actor("coordinator"), child)] == [None]


def test_a_request_alone_destroys_nothing(erasure, children, keys, world, child):
    pending = erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    assert (pending["state"], pending["erased"], pending["keys_destroyed"]) == ("pending", False, 0)
    assert not keys.is_destroyed(child)
    assert children.get(world.actor("coordinator"), child)["given_name"] == "Kacper"


def test_the_asker_cannot_approve_and_the_administrator_never_erases(erasure, keys, world, child):
    erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    with pytest.raises(Forbidden, match="second"):
        erasure.approve(world.actor("coordinator"), child)
    for asked in (
        lambda: erasure.request(world.actor("admin"), child, ground="retention_expired", reference="x"),
        lambda: erasure.approve(world.actor("admin"), child),
    ):
        with pytest.raises(Forbidden):
            asked()
    assert not keys.is_destroyed(child)


def test_nothing_to_approve_and_one_request_at_a_time(erasure, keys, world, child):
    with pytest.raises(Conflict, match="awaits approval"):
        erasure.approve(world.actor("auditor"), child)
    erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    with pytest.raises(Conflict, match="already awaiting"):
        erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 2/26")
    assert not keys.is_destroyed(child)


def test_retention_expired_is_refused_until_due_then_one_coordinator_erases(erasure, keys, world, child, clock):
    with pytest.raises(Conflict) as refused:
        erasure.request(world.actor("coordinator"), child, ground="retention_expired", reference="JRWA B10")
    assert refused.value.details["field"] == "ground" and refused.value.details["due_on"] >= "2033-05-14"
    assert not keys.is_destroyed(child)
    clock.now = clock.now.replace(year=2050)
    done = erasure.request(world.actor("coordinator"), child, ground="retention_expired", reference="JRWA B10")
    assert done["erased"] and done["requested_by"] == done["approved_by"] == str(world.users["coordinator"].id)
    assert keys.is_destroyed(child)


def test_an_erased_child_is_no_longer_found_by_name(erasure, children, world, child):
    erase(erasure, world, child)
    found = children.find(world.actor("coordinator"), given_name="Kacper", family_name="Wiśniewski", date_of_birth=BORN)
    assert found == {"matches": [], "likely_duplicates": []}


def test_nothing_more_can_be_recorded_on_an_erased_record(erasure, children, clock, world, child):
    erase(erasure, world, child)
    with pytest.raises(Conflict, match="erased"):
        children.record_signal(
            world.actor("school"), child, kind="behaviour_change", observed_at=clock() - timedelta(hours=1)
        )


def test_erasing_again_changes_nothing(erasure, store, world, child):
    erase(erasure, world, child)
    version = store.repository.get(child).version
    again = erase(erasure, world, child)
    assert (again["erased"], again["keys_destroyed"]) == (True, 0)
    assert again["approved_by"] == str(world.users["auditor"].id)  # the decision as it was recorded
    assert store.repository.get(child).version == version


def test_a_merged_family_is_erased_together(erasure, children, keys, world):
    survivor = register_child(children, world.actor("school"))
    duplicate = register_child(children, world.actor("case_worker"), family="Wiśniewsky")
    children.merge(world.actor("coordinator"), duplicate, survivor, reason="ten sam")
    answer = erase(erasure, world, duplicate)  # through the old id
    assert answer["id"] == str(survivor)
    assert set(answer["records"]) == {str(survivor), str(duplicate)} and answer["keys_destroyed"] == 2
    assert keys.is_destroyed(survivor) and keys.is_destroyed(duplicate)


@pytest.mark.parametrize("who", ["admin", "case_worker", "school", "auditor"])
def test_only_the_coordinator_asks(erasure, keys, world, child, who):
    with pytest.raises(Forbidden):
        erasure.request(world.actor(who), child, ground="authorised_request", reference="SR 1/26")
    assert not keys.is_destroyed(child)


def test_an_erasure_needs_a_legal_ground_and_a_reference(erasure, keys, world, child):
    with pytest.raises(InvalidInput) as refused:
        erase(erasure, world, child, ground="asked_nicely")
    assert "ground" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        erase(erasure, world, child, reference=" ")
    assert "reference" in refused.value.errors
    assert not keys.is_destroyed(child)


def test_another_municipality_cannot_erase_the_child(erasure, keys, world, other_world, child):
    with pytest.raises(NotFound):
        erasure.request(other_world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    with pytest.raises(NotFound):
        erasure.approve(other_world.actor("auditor"), child)
    assert not keys.is_destroyed(child)


# --- the retention rule (pure) ----------------------------------------------------------------

POLICY = RetentionPolicy(version="t", years_after_last_entry=10, adult_at=18)


def test_retention_ends_at_the_later_of_adulthood_and_ten_years_after_the_last_entry():
    young = RetentionFacts(date_of_birth=date(2015, 5, 14), last_entry=date(2020, 1, 2), open_cards=0)
    assert retention_due(young, POLICY, date(2033, 5, 13)).due_on == date(2033, 5, 14)
    assert not retention_due(young, POLICY, date(2033, 5, 13)).due
    assert retention_due(young, POLICY, date(2033, 5, 14)).due
    late = RetentionFacts(date_of_birth=date(2008, 2, 29), last_entry=date(2024, 2, 29), open_cards=0)
    assert retention_due(late, POLICY, date(2030, 1, 1)).due_on == date(2034, 3, 1)  # never a day early


def test_an_open_blue_card_keeps_the_record_whatever_the_dates():
    facts = RetentionFacts(date_of_birth=date(1990, 1, 1), last_entry=date(2000, 1, 1), open_cards=1)
    verdict = retention_due(facts, POLICY, date(2050, 1, 1))
    assert not verdict.due and verdict.due_on is None and "Blue Card" in verdict.reason


def test_the_shipped_retention_policy_is_conservative_and_a_bad_file_names_its_field():
    from domain.retention import load_retention_policy, parse_retention_policy

    shipped = load_retention_policy()
    assert (shipped.years_after_last_entry, shipped.adult_at) == (10, 18) and shipped.version
    with pytest.raises(InvalidInput) as refused:
        parse_retention_policy({"version": "x", "years_after_last_entry": 0, "adult_at": 18})
    assert "years_after_last_entry" in refused.value.errors
