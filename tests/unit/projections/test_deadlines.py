"""The deadlines projection: following live equals a rebuild from zero, in any batch size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from tests.unit.projections.history import generate


def procedure_history(services, world, clock, cards: int = 12) -> None:
    """Cards at every stage, spread over Easter and May 2026, with groups, meetings, actions and reminders."""
    u = {k: m.actor for k, m in world.users.items()}
    children = generate(services, world, clock, children=cards, signals=40)
    members = [{"user_id": world.users[k].id, "function": k} for k in ("case_worker", "police", "school")]
    start = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    follower = services.followers["deadlines"]
    clock.now = start
    team = services.groups.schedule_team_meeting(u["coordinator"], scheduled_for=start + timedelta(days=1))
    for n in range(cards):
        clock.now = start + timedelta(days=n * 3)
        card = services.blue_cards.fill_form_a(
            u["police"] if n % 2 else u["school"],
            incident_date=clock.now.date() - timedelta(days=5),
            filled_on=clock.now.date() - timedelta(days=n % 4),
            place="dom",
            description=f"zdarzenie {n}",
            child_victim_ids=[children[n]],
            adult_victims=["Anna Nowak"],
            perpetrators=["Jan Nowak"],
        )
        card_id = UUID(card["id"])
        if n % 6 == 5:
            continue  # never forwarded: breached
        clock.now += timedelta(days=n % 7)
        services.blue_cards.forward(u["coordinator"], card_id)
        if n % 6 == 4:
            continue  # never given a group
        clock.now += timedelta(days=(n * 5) % 6)
        group = services.groups.open(u["coordinator"], name=f"Grupa {n}", members=members, blue_card_id=card_id)
        group_id = UUID(group["id"])
        meeting = services.groups.schedule_meeting(
            u["coordinator"], group_id, scheduled_for=clock.now + timedelta(days=2)
        )
        services.groups.assign_action(
            u["case_worker"],
            group_id,
            description=f"wizyta {n}",
            due_on=clock.now.date() + timedelta(days=4),
            owner_agency_id=world.agencies["police"],
        )
        follower.catch_up()  # live, in the middle of the story
        if n % 3 == 0:
            continue
        clock.now += timedelta(days=3 + n % 5)
        services.groups.hold_meeting(
            u["case_worker"],
            group_id,
            UUID(meeting["id"]),
            minutes="ustalenia",
            attendees=[{"agency_id": world.agencies["ops"]}],
        )
        services.groups.record_decision(u["case_worker"], group_id, UUID(meeting["id"]), text="plan")
        action = services.groups.actions(u["case_worker"], group_id)[0]
        if n % 2:
            services.groups.mark_action_done(u["police"], group_id, UUID(action["id"]))
        services.blue_cards.record_form_c(
            u["case_worker"], card_id, victim=str(children[n]), assessment="a", help_plan="p"
        )
        if n % 4 == 1:
            clock.now += timedelta(days=20)
            services.blue_cards.close(u["coordinator"], card_id, reason="violence_ceased_plan_done")
            clock.now += timedelta(days=95)
            services.blue_cards.record_review(u["case_worker"], card_id, outcome="stabilnie")
        services.deadlines.remind(clock.now)
    services.groups.hold_team_meeting(
        u["coordinator"], UUID(team["id"]), minutes="przegląd spraw", attendees=[{"agency_id": world.agencies["ops"]}]
    )


def test_rebuild_from_zero_equals_the_live_deadlines(services, world, recorded_by_clock):
    procedure_history(services, world, recorded_by_clock)
    follower = services.followers["deadlines"]
    follower.catch_up()
    live = follower.view.dump()
    assert live["deadline_items"] and live["deadline_meetings"]
    kinds = {r["kind"] for r in live["deadline_items"]}
    assert kinds == {"form_a_to_chair", "chair_to_group", "first_group_meeting", "action", "monitoring_review"}
    assert {r["status"] for r in live["deadline_items"]} == {"open", "met", "late"}
    assert any(r["overdue_reminded_at"] for r in live["deadline_items"])
    assert any(
        r["held_at"] and r["group_id"] not in {g["group_id"] for g in live["deadline_groups"]}
        for r in live["deadline_meetings"]
    )  # the team's own meeting
    follower.rebuild()
    assert follower.view.dump() == live
    follower.batch_size = follower.rebuild_batch_size = 3
    follower.rebuild()
    assert follower.view.dump() == live


def test_late_items_carry_their_delay_in_working_days(services, world, recorded_by_clock):
    procedure_history(services, world, recorded_by_clock, cards=6)
    follower = services.followers["deadlines"]
    follower.catch_up()
    from domain.calendar import working_days_between

    for row in follower.view.dump()["deadline_items"]:
        if row["status"] in ("met", "late"):
            delay = working_days_between(date.fromisoformat(row["due_on"]), date.fromisoformat(row["met_on"]))
            assert row["delay_working_days"] == max(0, delay)
            assert (row["status"] == "late") == (delay > 0)


def test_the_agendas_batched_reads_agree_with_the_per_child_reads(services, world, recorded_by_clock, monkeypatch):
    """The named queries agendas ask for many records at once answer as one read per child does, across chunks."""
    import projections.views

    monkeypatch.setattr(projections.views, "IN_CHUNK", 2)  # several chunks even for a few children
    ids = [str(i) for i in generate(services, world, recorded_by_clock, children=9, signals=60)]
    risk, timeline = services.followers["risk"], services.followers["timeline"]
    risk.catch_up()
    timeline.catch_up()
    risk_rows = risk.view.dump()["risk_children"]
    roots = sorted({r["root_id"] for r in risk_rows})
    assert risk.view.band_histories(roots) == {r: h for r in roots if (h := risk.view.band_history(r))}
    assert risk.view.last_positions(ids) == {r["child_id"]: r["last_position"] for r in risk_rows}
    municipality = str(world.users["coordinator"].actor.municipality_id)
    assert risk.view.children_above_low(municipality) == {
        r["child_id"] for r in risk_rows if r["band"] != "low" and r["child_id"] == r["root_id"]
    }
    by_record = risk.view.signals_by_record(ids)
    for root in roots:
        family = [
            s
            for r in ids
            if r in by_record
            for s in by_record[r]
            if next(c["root_id"] for c in risk_rows if c["child_id"] == r) == root
        ]
        assert sorted(s.signal_id for s in family) == sorted(s.signal_id for s in risk.view.signals_of(root))
    live = timeline.view.live_signals(ids)
    assert timeline.view.last_positions(ids) == {
        r["child_id"]: r["last_position"] for r in timeline.view.dump()["timeline_children"]
    }
    for record in ids:
        expected = [
            e["entry_id"] for e in timeline.view.entries([record]) if e["entry_type"] == "signal" and not e["retracted"]
        ]
        assert [e["entry_id"] for e in live.get(record, [])] == expected
    assert any(len(rows) > 1 for rows in live.values())
