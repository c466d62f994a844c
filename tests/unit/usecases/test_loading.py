"""Loading aggregates: a missing one is NotFound with its label, or nothing at all."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.agencies import Agency, Municipality
from domain.children import Child
from domain.errors import NotFound
from domain.indexes import Bucket, Pointer
from services.usecases.loading import bucket, find, listed, load, pointed


def test_find_answers_none_for_an_unknown_id(store):
    assert find(store, uuid4()) is None


def test_find_answers_none_for_an_aggregate_of_another_kind(store, world):
    assert find(store, world.agencies["school"], Municipality) is None
    assert isinstance(find(store, world.agencies["school"], Agency), Agency)


def test_load_names_the_label_but_never_the_id_of_a_missing_aggregate(store, world):
    missing = uuid4()
    with pytest.raises(NotFound, match="help plan not found") as refused:
        load(store, Child, missing, world.actor("school"), "help plan")
    assert str(missing) not in str(refused.value)  # an id met in a listing must not reach the caller


def test_load_reads_an_aggregate_of_another_kind_as_missing(store, world):
    with pytest.raises(NotFound, match="child"):
        load(store, Child, world.agencies["school"], world.actor("school"), "child")


def test_load_hides_another_municipalitys_aggregate(store, world, other_world, child):
    with pytest.raises(NotFound):
        load(store, Child, child, other_world.actor("school"), "child")


def test_another_municipalitys_aggregate_reads_exactly_like_an_unknown_one(store, world, other_world, child):
    actor, missing = other_world.actor("school"), uuid4()
    with pytest.raises(NotFound) as elsewhere:
        load(store, Child, child, actor, "child")
    with pytest.raises(NotFound) as unknown:
        load(store, Child, missing, actor, "child")
    assert str(elsewhere.value).replace(str(child), "<id>") == str(unknown.value).replace(str(missing), "<id>")


def test_load_without_an_actor_skips_the_municipality_check(store, child):
    assert load(store, Child, child, None, "child").id == child


def test_bucket_of_an_unwritten_key_is_new_empty_and_not_stored(store):
    before = store.recorder.max_notification_id()
    listing = bucket(store, "nothing:here")
    assert isinstance(listing, Bucket) and listing.key == "nothing:here" and listing.refs == []
    assert listing.id == Bucket.create_id("nothing:here")
    assert store.recorder.max_notification_id() == before


def test_listed_of_an_unwritten_key_is_empty(store):
    assert listed(store, "nothing:here") == []


def test_listed_gives_the_ids_oldest_first(store):
    first, second = uuid4(), uuid4()
    listing = bucket(store, "some:key")
    listing.add(first)
    listing.add(second)
    listing.add(first)  # listed once
    store.save(listing)
    assert listed(store, "some:key") == [first, second]


def test_pointed_is_none_without_a_pointer_and_the_aggregate_with_one(store, world):
    assert pointed(store, "no:pointer") is None
    store.save(Pointer(key="the:school", ref=world.agencies["school"]))
    assert pointed(store, "the:school").id == world.agencies["school"]
