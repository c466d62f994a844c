"""Issue 21 finding: read models keep what an erasure destroyed.

After ``POST /children/{id}/erasure`` the deadline list kept the group's name (named after
the family), the meeting's place and the action's text, and the erased names and signal
texts stayed on disk in ``projections/*.sqlite-wal`` until some later process checkpointed
them. Now every view scrubs the rows about an erased person in the erasure's own batch
(``projections.erasure``), with ``secure_delete`` on every view connection and a
``wal_checkpoint(TRUNCATE)`` after the batch, so neither the tables nor any byte of the
view files hold the texts; a rebuild from the log gives no text of the erased either.
"""

from __future__ import annotations

import json

from tests.security.erasure_case import ADULT_VICTIM, CHILD_TEXTS, build_case, erase_child, files_holding

#: What the views copy of the case (the rest is never in a read model).
IN_VIEWS = {
    k: CHILD_TEXTS[k]
    for k in (
        "child given name",
        "child family name",
        "signal details",
        "correction reason",
        "group name",
        "meeting place",
        "action",
    )
}


def _views_holding(services) -> list[str]:
    found = []
    for name in services.followers.names():
        dump = json.dumps(services.followers[name].view.dump(), ensure_ascii=False, default=str)
        found += [f"{label} in view {name}" for label, text in IN_VIEWS.items() if text in dump]
    return found


def _catch_up(services) -> None:
    services.followers.catch_up()


def test_the_views_hold_the_case_before_and_nothing_of_it_after_the_erasure(client, world, services, settings):
    case = build_case(client, world)
    _catch_up(services)
    before = _views_holding(services)
    assert any("group name" in f for f in before) and any("signal details" in f for f in before), before

    erase_child(client, world, case.child)
    _catch_up(services)
    leaks = _views_holding(services) + files_holding(settings.data_dir / "projections", IN_VIEWS)
    assert not leaks, leaks


def test_a_rebuild_after_the_erasure_holds_none_of_it_either(client, world, services, settings):
    case = build_case(client, world)
    erase_child(client, world, case.child)
    for name in services.followers.names():
        services.followers[name].rebuild()
    # The erasure is in the log: a rebuild applies it too (and the sealed fields come back None).
    leaks = _views_holding(services)
    assert not leaks, leaks


def test_deadlines_after_the_erasure_list_the_items_without_their_texts(client, world, services):
    case = build_case(client, world)
    erase_child(client, world, case.child)
    listed = client.get("/api/v1/deadlines", headers=world.users["coordinator"].headers)
    assert listed.status_code == 200, listed.json
    text = json.dumps(listed.json, ensure_ascii=False)
    assert case.action in text  # the item is still there: dates and counts remain
    assert CHILD_TEXTS["action"] not in text and CHILD_TEXTS["group name"] not in text


def test_erasing_an_adult_on_the_card_scrubs_the_groups_texts_too(client, world, services, settings):
    """A victim's erasure closes every text of their card's group (the child's own texts stay)."""
    case = build_case(client, world)
    adult = next(p["id"] for p in case.card["persons"] if p["name"] == ADULT_VICTIM)
    coordinator, auditor = world.users["coordinator"].headers, world.users["auditor"].headers
    body = {"ground": "authorised_request", "reference": "ZI/21/A"}
    assert client.post(f"/api/v1/persons/{adult}/erasure", headers=coordinator, json=body).status_code == 202
    assert client.post(f"/api/v1/persons/{adult}/erasure/approval", headers=auditor, json={}).status_code == 200
    _catch_up(services)
    group_texts = {k: IN_VIEWS[k] for k in ("group name", "meeting place", "action")}
    leaks = [f for f in _views_holding(services) if f.split(" in view")[0] in group_texts]
    leaks += files_holding(settings.data_dir / "projections", group_texts)
    assert not leaks, leaks
    assert "signal details in view timeline" in _views_holding(services)  # the child was not erased
