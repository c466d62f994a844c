"""Children and their signals: registering, finding, recording, correcting, reading through the gate."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.pesel import make_pesel
from tests.unit.usecases.conftest import Read, register_child

BORN = date(2015, 5, 14)


def signal(children, clock, actor, child_id, kind="unexplained_absence", **extra):
    extra.setdefault("observed_at", clock() - timedelta(hours=2))
    answer, replayed = children.record_signal(actor, child_id, kind=kind, **extra)
    assert not replayed
    return UUID(answer["id"])


# --- registering and finding ----------------------------------------------------------


def test_a_school_registers_a_child_of_its_own_school(children, world):
    answer = children.register(
        world.actor("school"), given_name=" Kacper ", family_name="Wiśniewski", date_of_birth=BORN
    )
    assert (answer["given_name"], answer["family_name"], answer["date_of_birth"]) == (
        "Kacper",
        "Wiśniewski",
        "2015-05-14",
    )
    assert answer["school_id"] == str(world.agencies["school"])
    assert answer["municipality_id"] == str(world.municipality_id)
    assert answer["likely_duplicates"] == []


def test_a_known_pesel_is_refused_naming_the_existing_record(children, store, world):
    first = register_child(children, world.actor("school"), serial=1234)
    before = store.recorder.max_notification_id()
    with pytest.raises(Conflict) as refused:
        register_child(children, world.actor("case_worker"), given="Inny", serial=1234)
    assert refused.value.details == {"existing_id": str(first)}
    assert store.recorder.max_notification_id() == before


def test_the_same_pesel_in_another_municipality_is_another_child(children, world, other_world):
    first = register_child(children, world.actor("school"), serial=1234)
    assert register_child(children, other_world.actor("school"), serial=1234) != first


def test_a_pesel_of_another_birth_date_is_refused_before_anything_is_stored(children, store, world):
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        children.register(
            world.actor("school"),
            given_name="Kacper",
            family_name="Wiśniewski",
            date_of_birth=BORN,
            pesel=make_pesel(date(2015, 5, 15), 1),
        )
    assert "pesel" in refused.value.errors
    assert store.recorder.max_notification_id() == before


def test_a_birth_date_after_today_by_the_clock_is_refused(children, world, clock):
    with pytest.raises(InvalidInput) as refused:
        children.register(
            world.actor("school"),
            given_name="Jan",
            family_name="Nowak",
            date_of_birth=clock().date() + timedelta(days=1),
        )
    assert "date_of_birth" in refused.value.errors


def test_a_similar_child_on_a_near_date_is_reported_as_a_likely_duplicate(children, world):
    first = register_child(children, world.actor("school"))
    answer = children.register(
        world.actor("case_worker"),
        given_name="Kacper",
        family_name="Wiśniewsky",
        date_of_birth=BORN + timedelta(days=1),
    )
    [duplicate] = answer["likely_duplicates"]
    assert duplicate["id"] == str(first) and duplicate["match"] == "likely"
    assert duplicate["reason"] == "near date of birth"


def test_an_administrator_may_not_register_a_child(children, world):
    with pytest.raises(Forbidden):
        register_child(children, world.actor("admin"))


def test_finding_by_pesel_is_an_audited_search(children, gate, world):
    child_id = register_child(children, world.actor("school"), serial=77)
    found = children.find(world.actor("case_worker"), pesel=make_pesel(BORN, 77))
    assert [m["id"] for m in found["matches"]] == [str(child_id)]
    assert [(r.user_id, r.view) for r in gate.reads_of(child_id)] == [(world.users["case_worker"].id, "search")]


def test_an_unknown_pesel_finds_nothing_and_logs_no_read(children, gate, world):
    assert children.find(world.actor("case_worker"), pesel=make_pesel(BORN, 5))["matches"] == []
    assert gate.reads == []


def test_finding_by_name_splits_exact_matches_from_likely_duplicates(children, gate, world):
    exact = register_child(children, world.actor("school"))
    near = register_child(children, world.actor("school"), family="Wiśniewsky", born=BORN - timedelta(days=1))
    found = children.find(world.actor("case_worker"), given_name="kacper", family_name="WIŚNIEWSKI", date_of_birth=BORN)
    assert [m["id"] for m in found["matches"]] == [str(exact)]
    assert [m["id"] for m in found["likely_duplicates"]] == [str(near)]
    assert {r.child_ids for r in gate.reads} == {(str(exact),), (str(near),)}


def test_a_search_needs_a_pesel_or_the_name_and_birth_date(children, world):
    with pytest.raises(InvalidInput) as refused:
        children.find(world.actor("case_worker"), given_name="Kacper")
    assert "query" in refused.value.errors


# --- reading ------------------------------------------------------------------------------


def test_reading_a_childs_record_is_audited(children, gate, world, child):
    assert children.get(world.actor("coordinator"), child)["id"] == str(child)
    assert gate.reads == [Read(world.users["coordinator"].id, (str(child),), "identity", "coordinator")]


def test_another_municipalitys_child_is_not_found_and_no_read_is_logged(children, gate, other_world, child):
    with pytest.raises(NotFound):
        children.get(other_world.actor("coordinator"), child)
    with pytest.raises(NotFound):
        children.list_signals(other_world.actor("coordinator"), child)
    assert gate.reads == []


def test_an_unknown_child_is_not_found(children, world):
    with pytest.raises(NotFound, match="child"):
        children.get(world.actor("coordinator"), uuid4())


def test_an_administrator_reads_no_child_data(children, gate, world, child):
    with pytest.raises(Forbidden):
        children.get(world.actor("admin"), child)
    assert gate.reads == []


def test_a_read_the_audit_refuses_is_not_answered(children, gate, world, child):
    gate.refuse = RuntimeError("read audit unavailable")
    with pytest.raises(RuntimeError, match="read audit"):
        children.get(world.actor("coordinator"), child)


# --- signals ------------------------------------------------------------------------------


def test_a_signal_is_recorded_and_listed_with_its_provenance(children, gate, clock, world, child):
    signal_id = signal(children, clock, world.actor("school"), child, days=3, details="trzy dni")
    [listed] = children.list_signals(world.actor("coordinator"), child)
    assert listed["id"] == str(signal_id)
    assert (listed["kind"], listed["days"], listed["details"], listed["severity"]) == (
        "unexplained_absence",
        3,
        "trzy dni",
        "low",
    )
    assert (listed["agency_id"], listed["author_id"], listed["author_role"]) == (
        str(world.agencies["school"]),
        str(world.users["school"].id),
        "submitter",
    )
    assert [(r.view, r.child_ids) for r in gate.reads] == [("signals", (str(child),))]


def test_a_signal_outside_the_agencys_field_is_refused_naming_the_kind(children, clock, world, child):
    with pytest.raises(InvalidInput) as refused:
        signal(children, clock, world.actor("school"), child, kind="domestic_intervention")
    assert "kind" in refused.value.errors


def test_an_observation_in_the_future_of_the_clock_is_refused(children, clock, world, child):
    later = clock() + timedelta(hours=1)
    with pytest.raises(InvalidInput) as refused:
        signal(children, clock, world.actor("school"), child, observed_at=later)
    assert "observed_at" in refused.value.errors
    clock.advance(hours=2)
    assert signal(children, clock, world.actor("school"), child, observed_at=later)


def test_a_retry_with_the_same_idempotency_key_returns_the_first_signal(children, store, clock, world, child):
    school, observed = world.actor("school"), clock() - timedelta(hours=1)
    first, replayed = children.record_signal(
        school, child, kind="behaviour_change", observed_at=observed, idempotency_key="k-1"
    )
    again, replayed_again = children.record_signal(
        school, child, kind="behaviour_change", observed_at=observed, idempotency_key="k-1"
    )
    assert (replayed, replayed_again) == (False, True)
    assert again["id"] == first["id"]
    assert len(store.repository.get(child).signals) == 1


def test_an_idempotency_key_reused_for_another_request_is_a_conflict(children, clock, world, child):
    school, observed = world.actor("school"), clock() - timedelta(hours=1)
    children.record_signal(school, child, kind="behaviour_change", observed_at=observed, idempotency_key="k-1")
    with pytest.raises(Conflict, match="Idempotency-Key"):
        children.record_signal(
            school, child, kind="behaviour_change", observed_at=observed, details="inne", idempotency_key="k-1"
        )


def test_a_signal_hook_saves_its_aggregates_with_the_signal(children, store, clock, world, child):
    from domain.indexes import Pointer

    def hook(actor, record, recorded, intervention):
        return [Pointer(key=f"hooked:{recorded.signal_id}", ref=record.id)], {"hooked": True}

    children.signal_hooks.append(hook)
    answer, _ = children.record_signal(
        world.actor("school"), child, kind="behaviour_change", observed_at=clock() - timedelta(hours=1)
    )
    assert answer["hooked"] is True
    assert store.repository.get(Pointer.create_id(f"hooked:{answer['id']}")).ref == child


def test_a_correction_is_a_new_event_and_the_original_stays_in_history(children, store, clock, world, child):
    signal_id = signal(children, clock, world.actor("school"), child, days=3, details="trzy dni")
    corrected = children.correct_signal(
        world.actor("school"), child, signal_id, reason="pomyłka", days=2, details="dwa dni"
    )
    assert (corrected["days"], corrected["details"], corrected["corrected"]) == (2, "dwa dni", True)
    [note] = corrected["corrections"]
    assert note["previous"] == {"days": 3, "details": "trzy dni"} and note["reason"] == "pomyłka"
    history = list(store.events.get(child))
    assert [type(e) for e in history] == [Child.Registered, Child.SignalRecorded, Child.SignalCorrected]
    assert history[1].details == "trzy dni"


def test_only_the_submitting_agency_corrects_or_retracts_a_signal(children, clock, world, child):
    signal_id = signal(children, clock, world.actor("school"), child)
    # Another agency's signal answers like no signal at all: a guessed id confirms nothing.
    with pytest.raises(NotFound, match=r"^signal not found$"):
        children.correct_signal(world.actor("case_worker"), child, signal_id, reason="nie", details="x")
    with pytest.raises(NotFound, match=r"^signal not found$"):
        children.retract_signal(world.actor("case_worker"), child, signal_id, reason="nie")


def test_a_retracted_signal_stays_listed_as_retracted_and_cannot_change_again(children, store, clock, world, child):
    school = world.actor("school")
    signal_id = signal(children, clock, school, child)
    with pytest.raises(InvalidInput) as refused:
        children.retract_signal(school, child, signal_id, reason="  ")
    assert "reason" in refused.value.errors
    retracted = children.retract_signal(school, child, signal_id, reason="dziecko było chore")
    assert (retracted["retracted"], retracted["retraction_reason"]) == (True, "dziecko było chore")
    assert [s["retracted"] for s in children.list_signals(world.actor("coordinator"), child)] == [True]
    assert type(list(store.events.get(child))[-1]) is Child.SignalRetracted
    with pytest.raises(Conflict, match="retracted"):
        children.retract_signal(school, child, signal_id, reason="znowu")


def test_a_signal_not_on_the_record_is_not_found(children, world, child):
    with pytest.raises(NotFound, match="signal"):
        children.retract_signal(world.actor("school"), child, uuid4(), reason="?")


# --- need to know -------------------------------------------------------------------------


def test_without_group_membership_an_agency_sees_only_its_own_entries(children, gate, clock, world, child):
    signal(children, clock, world.actor("school"), child)
    own = signal(children, clock, world.actor("police"), child, kind="home_visit")
    assert [s["id"] for s in children.list_signals(world.actor("police"), child)] == [str(own)]
    assert gate.reads[-1].grounds == "own_agency"


def test_a_group_member_sees_every_entry_with_closed_categories_withheld(children, gate, clock, world, child):
    signal(children, clock, world.actor("school"), child, details="nieobecny")
    signal(children, clock, world.actor("health"), child, kind="health_referral", details="diagnoza")
    gate.add_member(world.users["police"].id, child)
    answer = {s["kind"]: s for s in children.list_signals(world.actor("police"), child)}
    assert answer["unexplained_absence"]["details"] == "nieobecny"
    assert answer["health_referral"]["details"] is None
    assert answer["health_referral"]["withheld_category"] == "health"
    last = gate.reads[-1]
    assert (last.grounds, last.view, last.withheld) == ("group_membership", "signals", ("health",))


def test_the_history_shows_the_raw_events_the_reader_may_see(children, gate, clock, world, child):
    signal_id = signal(children, clock, world.actor("school"), child)
    children.correct_signal(world.actor("school"), child, signal_id, reason="dopisek", details="więcej")
    history = children.events(world.actor("coordinator"), child)
    assert [e["type"] for e in history] == ["Registered", "SignalRecorded", "SignalCorrected"]
    assert gate.reads[-1].view == "events"
    assert [e["type"] for e in children.events(world.actor("police"), child)] == ["Registered"]


# --- merging ------------------------------------------------------------------------------


def test_a_merged_record_sends_new_signals_to_the_survivor(children, clock, world):
    survivor = register_child(children, world.actor("school"))
    duplicate = register_child(children, world.actor("case_worker"), family="Wiśniewsky")
    early = signal(children, clock, world.actor("school"), duplicate)
    merged = children.merge(world.actor("coordinator"), duplicate, survivor, reason="ten sam chłopiec")
    assert merged["merged_from"] == [str(duplicate)]
    late = signal(children, clock, world.actor("school"), duplicate)  # an old id in a school's system
    listed = children.list_signals(world.actor("coordinator"), survivor)
    assert {s["id"] for s in listed} == {str(early), str(late)}
    assert {s["child_id"] for s in listed} == {str(duplicate), str(survivor)}


def test_only_the_coordinator_merges_and_never_into_a_record_elsewhere(children, world, other_world, child):
    elsewhere = register_child(children, other_world.actor("school"))
    with pytest.raises(Forbidden):
        children.merge(world.actor("school"), child, uuid4(), reason="x")
    with pytest.raises(InvalidInput) as refused:
        children.merge(world.actor("coordinator"), child, elsewhere, reason="x")
    assert "target_id" in refused.value.errors
