"""A timeline's rendered entries are reused only while the child is unchanged, and only for the same reader class.

Every read below is compared with what an empty cache renders for the same reader, so a
stale or another reader's rendering cannot pass unnoticed; the render counter shows the
cache was in play (a hit) or was passed by (a change).
"""

from __future__ import annotations

import pytest

import services.usecases.timelines as timelines
from services.usecases.timelines import RENDERED_BYTES_PER_ROW, Rendered, rendered_timelines
from tests.functional.api import test_timeline as base
from tests.functional.api.test_blue_cards import open_group
from tests.functional.api.test_timeline import days_ago, post_child, post_signal

#: The timeline tests' child with three agencies' signals, on the real clock.
story, clock = base.story, base.clock


@pytest.fixture
def renders(monkeypatch):
    """How many times entries were rendered from rows (a cache miss)."""
    count = {"n": 0}
    original = timelines._visible

    def counting(*args, **kwargs):
        count["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(timelines, "_visible", counting)
    return count


def read(client, services, who, child, **query):
    """The body as served, checked against a rendering from an empty cache for the same reader."""
    response = client.get(f"/api/v1/children/{child}/timeline", headers=who.headers, query_string=query)
    assert response.status_code == 200, response.json
    kept = services.views.rendered
    services.views.rendered = rendered_timelines(services.settings.read_cache_rows)
    try:
        fresh = client.get(f"/api/v1/children/{child}/timeline", headers=who.headers, query_string=query)
    finally:
        services.views.rendered = kept
    assert response.json["entries"] == fresh.json["entries"]
    return response.json


def by_id(body):
    return {e["id"]: e for e in body["entries"]}


def signals(entries):
    return {i for i, e in entries.items() if e["type"] == "signal"}


def test_a_read_again_reuses_the_rendering_and_each_change_renders_anew(client, world, services, story, clock, renders):
    child, ids = story
    reader, school, police = world.users["coordinator"], world.users["school"], world.users["police"]
    first = read(client, services, reader, child)
    before = renders["n"]
    assert read(client, services, reader, child)["entries"] == first["entries"]
    assert renders["n"] == before + 1  # only the empty-cache comparison rendered: the read itself hit

    new = post_signal(client, school, child, "unexplained_absence", days_ago(clock, 1), days=1)
    before = renders["n"]
    assert new in by_id(read(client, services, reader, child))
    assert renders["n"] == before + 2  # a new signal: the read rendered again

    client.post(
        f"/api/v1/children/{child}/signals/{ids['school']}/corrections",
        headers=school.headers,
        json={"days": 6, "reason": "błąd w eksporcie"},
    )
    before = renders["n"]
    entry = by_id(read(client, services, reader, child))[ids["school"]]
    assert entry["days"] == 6 and entry["corrected"] is True
    assert renders["n"] == before + 2

    client.post(
        f"/api/v1/children/{child}/signals/{ids['police']}/retraction",
        headers=police.headers,
        json={"reason": "zła osoba"},
    )
    before = renders["n"]
    entry = by_id(read(client, services, reader, child))[ids["police"]]
    assert entry["retracted"] is True and entry["retraction_reason"] == "zła osoba"
    assert renders["n"] == before + 2


def test_a_busy_child_keeps_one_rendering_per_reader_class_not_one_per_change(client, world, services, story, clock):
    child, _ = story
    reader, school = world.users["coordinator"], world.users["school"]
    read(client, services, reader, child)
    kept = len(services.views.rendered)
    for n in range(5):
        post_signal(client, school, child, "unexplained_absence", days_ago(clock, n + 1), days=1)
        read(client, services, reader, child)
    assert len(services.views.rendered) == kept  # each change re-rendered the same entry


def test_a_merge_renders_both_records_anew(client, world, services, story):
    child, _ = story
    coordinator, school = world.users["coordinator"], world.users["school"]
    duplicate = post_child(client, school, given="Kacper", family="Wisniewski", dob="2014-03-12")
    extra = post_signal(client, school, duplicate, "behaviour_change", "2026-02-25T10:00:00+01:00")
    read(client, services, coordinator, child)
    read(client, services, coordinator, duplicate)
    merged = client.post(
        f"/api/v1/children/{duplicate}/merge",
        headers=coordinator.headers,
        json={"target_id": child, "reason": "ten sam uczeń"},
    )
    assert merged.status_code == 200, merged.json
    for requested in (child, duplicate):
        body = read(client, services, coordinator, requested)
        assert extra in by_id(body) and sorted(body["records"]) == sorted([child, duplicate])
        assert "merged_into" in [e["type"] for e in body["entries"]]


def test_an_erasure_drops_the_kept_text(client, world, services, story):
    child, _ = story
    coordinator, police = world.users["coordinator"], world.users["police"]
    post_signal(
        client, police, child, "domestic_intervention", "2026-02-25T10:00:00+01:00", details="tekst do wymazania"
    )
    assert "tekst do wymazania" in str(read(client, services, coordinator, child))
    asked = client.post(
        f"/api/v1/children/{child}/erasure",
        headers=coordinator.headers,
        json={"ground": "authorised_request", "reference": "ZI.4420.17.2026"},
    )
    assert asked.status_code == 202, asked.json  # a second person approves the coordinator's request
    erased = client.post(f"/api/v1/children/{child}/erasure/approval", headers=world.users["auditor"].headers, json={})
    assert erased.status_code == 200, erased.json
    body = read(client, services, coordinator, child)
    assert "tekst do wymazania" not in str(body) and "erased" in [e["type"] for e in body["entries"]]


ORDERS = [
    ("school", "police", "coordinator", "case_worker", "school"),
    ("coordinator", "school", "police", "case_worker", "coordinator"),
]


@pytest.mark.parametrize("order", ORDERS)
def test_readers_of_different_classes_never_get_each_others_rendering(client, world, services, story, order):
    child, ids = story
    u = world.users
    health = post_signal(
        client, u["health"], child, "health_referral", "2026-02-20T10:00:00+01:00", details="leczenie matki"
    )
    seen = {who: by_id(read(client, services, u[who], child)) for who in order}
    assert signals(seen["school"]) == {ids["school"]}
    assert signals(seen["police"]) == {ids["police"]}
    assert signals(seen["case_worker"]) == set()
    assert signals(seen["coordinator"]) == {*ids.values(), health}
    assert seen["coordinator"][health]["details"] == "leczenie matki"

    # The school joins the child's group: new grounds, the whole timeline, health text withheld
    # from a school; the case worker on the same group reads the health text.
    assert open_group(client, world, child_ids=[child]).status_code == 201
    school_view = by_id(read(client, services, u["school"], child))
    ops_view = by_id(read(client, services, u["case_worker"], child))
    assert set(school_view) == set(seen["coordinator"])
    assert school_view[health]["details"] is None and school_view[health]["withheld_category"] == "health"
    assert ops_view[health]["details"] == "leczenie matki" and "withheld_category" not in ops_view[health]
    police_view = by_id(read(client, services, u["police"], child))
    assert police_view[ids["police"]]["details"] == "awantura, dziecko obecne"
    assert len(services.views.rendered) >= 5


def test_the_read_audit_names_the_withheld_categories_of_a_kept_rendering(client, world, services, story):
    child, _ = story
    u = world.users
    post_signal(client, u["health"], child, "health_referral", "2026-02-20T10:00:00+01:00", details="x")
    open_group(client, world, child_ids=[child])
    for _ in range(2):  # rendered, then kept
        read(client, services, u["school"], child)
    lines = client.get(
        "/api/v1/audit/reads",
        headers=u["auditor"].headers,
        query_string={"child_id": child, "user_id": str(u["school"].id)},
    ).json["reads"]
    assert len(lines) == 4  # each read above is two reads (served, and the empty-cache comparison)
    assert all(line["withheld_categories"] == ["health"] for line in lines)


def test_the_kept_renderings_are_bounded_by_their_size():
    kept = rendered_timelines(rows=1)  # RENDERED_BYTES_PER_ROW bytes in all
    size = RENDERED_BYTES_PER_ROW * 2 // 5
    for n in range(5):
        kept.put(("child", n), Rendered(b"x" * size, ()))
    assert len(kept) == 2 and kept.get(("child", 4)) is not None and kept.get(("child", 0)) is None
    kept.put(("big",), Rendered(b"x" * (RENDERED_BYTES_PER_ROW + 1), ()))  # larger than the whole cache: not kept
    assert kept.get(("big",)) is None and len(kept) == 2
