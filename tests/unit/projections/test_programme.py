"""The programme projection and report: a crafted year whose figures are worked out by hand.

The year is 2025 in one gmina. Every expected number below is counted by hand from the
story in :func:`crafted_year`, including the Polish holidays the deadlines cross (Easter
Monday 21 April, 1 May, 11 November, and 24-26 December, 24 December being a public
holiday from 2025 on).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
MEMBERS = ("case_worker", "police", "school")


def at(day: str) -> datetime:
    """09:00 UTC on the day (10:00 or 11:00 in Warsaw, the same date)."""
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


def crafted_year(services, world, clock) -> dict[str, UUID]:
    """The story (comments give each card's dates and what they count for in 2025)."""
    u = {k: m.actor for k, m in world.users.items()}
    chair = u["coordinator"]
    members = [{"user_id": world.users[k].id, "function": k} for k in MEMBERS]
    ops = [{"agency_id": world.agencies["ops"]}]
    ids: dict[str, UUID] = {}

    def go(day: str) -> None:
        clock.now = at(day)

    def child(key: str, given: str) -> None:
        ids[key] = UUID(
            services.children.register(chair, given_name=given, family_name="Testowa", date_of_birth=date(2014, 1, 1))[
                "id"
            ]
        )

    def card(key: str, who: str, filled: str, victims: list[str], adults: tuple[str, ...] = ()) -> None:
        go(filled)
        ids[key] = UUID(
            services.blue_cards.fill_form_a(
                u[who],
                filled_on=date.fromisoformat(filled),
                incident_date=date.fromisoformat(filled),
                place="dom",
                description="zdarzenie",
                child_victim_ids=[ids[v] for v in victims],
                adult_victims=list(adults),
                perpetrators=["Jan Sprawca"],
            )["id"]
        )

    def forward(key: str, day: str) -> None:
        go(day)
        services.blue_cards.forward(chair, ids[key])

    def group(key: str, day: str) -> None:
        go(day)
        ids[f"group:{key}"] = UUID(
            services.groups.open(chair, name=f"Grupa {key}", members=members, blue_card_id=ids[key])["id"]
        )

    def meeting(key: str, day: str) -> None:
        clock.now = at(day) - timedelta(hours=2)  # scheduled early that morning, held at nine
        group_id = ids[f"group:{key}"]
        held = services.groups.schedule_meeting(chair, group_id, scheduled_for=at(day) - timedelta(hours=1))
        go(day)
        services.groups.hold_meeting(u["case_worker"], group_id, UUID(held["id"]), attendees=ops, minutes="ustalenia")

    def team_meeting(day: str) -> None:
        clock.now = at(day) - timedelta(hours=2)
        held = services.groups.schedule_team_meeting(chair, scheduled_for=at(day) - timedelta(hours=1))
        go(day)
        services.groups.hold_team_meeting(chair, UUID(held["id"]), attendees=ops, minutes="przegląd")

    def signal(who: str, key: str, kind: str, observed: str, recorded: str, **extra) -> UUID:
        go(recorded)
        made, _ = services.children.record_signal(
            u[who], ids[key], kind=kind, observed_at=at(observed), details="obserwacja", **extra
        )
        return UUID(made["id"])

    go("2024-11-25")
    for key, given in (
        ("A", "Ala"),
        ("A2", "Alicja"),
        ("B", "Bartek"),
        ("C", "Celina"),
        ("D", "Darek"),
        ("E", "Ewa"),
        ("F", "Franek"),
        ("G", "Gosia"),
    ):
        child(key, given)

    # Card 0 (F): closed in 2024; only its post-closure monitoring (to June 2025) reaches into 2025.
    card("card0", "police", "2024-12-02", ["F"])
    forward("card0", "2024-12-03")
    group("card0", "2024-12-04")
    meeting("card0", "2024-12-06")
    go("2024-12-20")
    services.blue_cards.close(chair, ids["card0"], reason="action_not_justified")
    team_meeting("2024-12-10")  # not in 2025
    signal("school", "B", "behaviour_change", "2024-12-20", "2024-12-20")  # observed in 2024

    # Card 1 (A and the adult Anna): spans two years: filled, forwarded, group and first meeting in
    # December 2024 (all its deadlines fall due in 2024), form C in January, closed in March 2025.
    card("card1", "police", "2024-12-16", ["A"], adults=("Anna  Nowak",))
    forward("card1", "2024-12-17")
    group("card1", "2024-12-18")
    meeting("card1", "2024-12-20")
    go("2025-01-10")
    services.blue_cards.record_form_c(
        u["case_worker"], ids["card1"], victim=str(ids["A"]), assessment="ocena", help_plan="plan"
    )
    # Card 5 (E): forwarded next day, group the day after, first meeting in two days: nothing late.
    card("card5", "police", "2025-02-03", ["E"])
    forward("card5", "2025-02-04")
    group("card5", "2025-02-05")
    meeting("card5", "2025-02-07")
    go("2025-02-20")
    services.blue_cards.close(chair, ids["card5"], reason="action_not_justified")
    team_meeting("2025-03-05")
    signal("school", "A", "unexplained_absence", "2025-03-10", "2025-03-10", days=2)
    go("2025-03-14")
    services.blue_cards.close(chair, ids["card1"], reason="violence_ceased_plan_done")
    signal("police", "A2", "domestic_intervention", "2025-04-16", "2025-04-16")

    # Card 2 (A2, a duplicate of A, and B; the adult "anna nowak" again): filled the Thursday
    # before Easter: due 25 April (18, 22, 23, 24, 25; Easter Monday off); forwarded 6 May after
    # the 1 May holiday: 6 working days late (28, 29, 30 April, 2, 5, 6 May). Group on 8 May (due
    # 9 May: on time); its first meeting was due 15 May and held 20 May: 3 days late.
    card("card2", "school", "2025-04-17", ["A2", "B"], adults=("anna nowak",))
    forward("card2", "2025-05-06")
    group("card2", "2025-05-08")
    meeting("card2", "2025-05-20")
    go("2025-05-05")
    behaviour = signal("school", "B", "behaviour_change", "2025-05-05", "2025-05-21")
    go("2025-05-22")
    services.children.correct_signal(
        u["school"], ids["B"], behaviour, kind="welfare_concern", reason="lepsza kategoria"
    )
    go("2025-06-02")
    services.blue_cards.start_monitoring(chair, ids["card2"])
    go("2025-06-03")
    services.blue_cards.record_form_c(
        u["case_worker"], ids["card2"], victim=str(ids["B"]), assessment="ocena", help_plan="plan"
    )
    retracted = signal("day_centre", "G", "day_centre_attendance_drop", "2025-06-10", "2025-06-10")
    go("2025-06-12")
    services.children.retract_signal(u["day_centre"], ids["G"], retracted, reason="pomyłka")
    go("2025-06-16")
    services.blue_cards.record_review(u["case_worker"], ids["card1"], outcome="stabilnie")
    go("2025-07-01")
    services.children.merge(chair, ids["A2"], ids["A"], reason="duplikat")
    go("2025-09-10")
    plan = {
        "main_goal": "bezpieczny dom",
        "next_evaluation": date(2025, 12, 1),
        "actions": [{"party": "family", "description": "wizyta", "due": date(2025, 10, 1)}],
    }
    ids["plan"] = UUID(
        services.help_plans.draw(u["family_assistant"], child_ids=[ids["G"]], household="rodzina G", plan=plan)["id"]
    )
    meeting("card2", "2025-09-15")
    team_meeting("2025-10-01")

    # Card 3 (C): filled Thursday 6 November: due 14 November (7, 10, 12, 13, 14; 11 November off);
    # forwarded 20 November: 4 days late. The group was due 25 November and is opened only on
    # 5 January 2026: at the end of 2025 it is 23 working days overdue (24-26 December off).
    signal("health", "C", "injury_treated", "2025-11-05", "2025-11-05")
    card("card3", "police", "2025-11-06", ["C"])
    forward("card3", "2025-11-20")
    # Card 4 (D): filled 22 December, due 2 January 2026: not a 2025 deadline.
    card("card4", "school", "2025-12-22", ["D"])

    # January 2026, recorded after the period: none of it may change the 2025 figures.
    group("card3", "2026-01-05")
    signal("school", "D", "unexplained_absence", "2025-12-30", "2026-01-08", days=1)
    go("2026-01-20")
    services.blue_cards.close(chair, ids["card2"], reason="violence_ceased_plan_done")
    go("2026-02-02")
    return ids


#: The 2025 figures, counted by hand from the story.
EXPECTED_2025 = {
    # A (cards 1 and 2, the latter through the merged duplicate A2), Anna Nowak (both cards, the
    # same name written differently), B, C, D, E (cards), G (help plan): 7 people, not 9 victim entries.
    "people_supported": 8,  # the adult Anna is a person on each card (named, not picked by id)
    "people_observed": 3,  # A (two signals, one on the duplicate), C, B; G's signal was retracted
    "cards_conducted": 5,  # cards 1-5; card 0 closed in 2024
    "cards_started": 4,  # cards 2, 3, 4, 5
    "cards_forwarded": 3,  # cards 2, 3, 5
    "cards_closed": 2,
    "cards_closed:violence_ceased_plan_done": 1,  # card 1 (card 2 closes in 2026)
    "cards_closed:action_not_justified": 1,  # card 5 (card 0 closed in 2024)
    "help_plans": 3,
    "help_plans:form_c": 2,  # card 1 (A), card 2 (B)
    "help_plans:family_work_plan": 1,  # G's plan
    "group_meetings": 3,  # card 5 in February, card 2 in May and September
    "families_monitored": 3,  # F (after card 0's closure), A's family (cards 1, 2), E (after card 5)
    "families_under_procedure": 4,  # A's family (cards 1 and 2 share A), C, D, E
    "team_meetings": 2,
    "signals": 4,
}


def as_dict(report: dict) -> dict[str, int]:
    return {i["key"]: i["value"] for i in report["indicators"]}


def test_a_crafted_year_gives_the_figures_counted_by_hand(services, world, recorded_by_clock):
    crafted_year(services, world, recorded_by_clock)
    chair = world.users["coordinator"].actor
    report = services.reports.programme(chair, YEAR_START, YEAR_END)
    assert as_dict(report) == EXPECTED_2025
    assert report["signals_by_agency_kind"] == {"health": 1, "police": 1, "school": 2}
    assert report["signals_by_kind"] == {
        "domestic_intervention": 1,
        "injury_treated": 1,
        "unexplained_absence": 1,
        "welfare_concern": 1,
    }
    breaches = {b["kind"]: b for b in report["deadline_breaches"]}
    form_a = breaches["form_a_to_chair"]
    assert (form_a["due"], form_a["breached"], form_a["still_open_overdue"]) == (3, 2, 0)
    assert (form_a["median_delay_working_days"], form_a["worst_delay_working_days"]) == (5, 6)
    assert (
        breaches["chair_to_group"]["due"],
        breaches["chair_to_group"]["breached"],
        breaches["chair_to_group"]["still_open_overdue"],
    ) == (3, 1, 1)
    assert breaches["chair_to_group"]["worst_delay_working_days"] == 23
    assert (
        breaches["first_group_meeting"]["due"],
        breaches["first_group_meeting"]["breached"],
        breaches["first_group_meeting"]["median_delay_working_days"],
    ) == (2, 1, 3)
    assert report["final"] is True
    assert report["recorded_by"] == "2026-01-01T00:00:00+01:00"


def test_the_cases_behind_the_figures(services, world, recorded_by_clock):
    ids = crafted_year(services, world, recorded_by_clock)
    chair = world.users["coordinator"].actor

    def cases(indicator: str) -> list[dict]:
        answer = services.reports.cases(chair, indicator, YEAR_START, YEAR_END)
        assert answer["value"] == len(answer["cases"])
        return answer["cases"]

    people = {c["id"]: c for c in cases("people_supported")}
    assert {str(ids[k]) for k in "ABCDEG"} < set(people)
    assert set(people[str(ids["A"])]["blue_card_ids"]) == {str(ids["card1"]), str(ids["card2"])}
    adults = [p for p in people.values() if p["id"].startswith("adult:")]
    assert sorted(a["blue_card_ids"] for a in adults) == sorted([[str(ids["card1"])], [str(ids["card2"])]])
    assert str(ids["A2"]) not in people
    families = {c["id"]: set(c["blue_card_ids"]) for c in cases("families_under_procedure")}
    assert families[str(ids["card1"])] == {str(ids["card1"]), str(ids["card2"])}
    assert {c["id"] for c in cases("cards_closed:violence_ceased_plan_done")} == {str(ids["card1"])}
    late = {c["blue_card_id"]: c for c in cases("deadline_breaches:form_a_to_chair")}
    assert {k: (v["state"], v["delay_working_days"]) for k, v in late.items()} == {
        str(ids["card2"]): ("late", 6),
        str(ids["card3"]): ("late", 4),
    }
    open_group = cases("deadline_breaches:chair_to_group")
    # Opened late in January 2026, but as the 2025 report stands it was still not done.
    assert [(c["blue_card_id"], c["state"], c["met_on"]) for c in open_group] == [(str(ids["card3"]), "overdue", None)]


def test_a_past_period_gives_the_same_figures_whenever_it_is_run(services, world, recorded_by_clock):
    ids = crafted_year(services, world, recorded_by_clock)
    chair = world.users["coordinator"].actor
    first = services.reports.programme(chair, YEAR_START, YEAR_END)
    recorded_by_clock.now = datetime(2026, 6, 1, 9, tzinfo=UTC)
    services.blue_cards.close(chair, ids["card3"], reason="action_not_justified")
    again = services.reports.programme(chair, YEAR_START, YEAR_END)
    moving = ("computed_at", "view_position")
    assert {k: v for k, v in again.items() if k not in moving} == {k: v for k, v in first.items() if k not in moving}
    # The same year seen from 2026 counts what was recorded since: the group of card 3 is now late.
    later = services.reports.programme(chair, YEAR_START, date(2026, 1, 31))
    assert later["last_event_position"] > first["last_event_position"]
    chair_to_group = next(b for b in later["deadline_breaches"] if b["kind"] == "chair_to_group")
    assert (chair_to_group["still_open_overdue"], chair_to_group["worst_delay_working_days"]) == (0, 25)


def test_the_monthly_statistics(services, world, recorded_by_clock):
    crafted_year(services, world, recorded_by_clock)
    monthly = services.reports.monthly(world.users["coordinator"].actor, 2025)
    months = {m["month"]: m for m in monthly["months"]}
    assert len(months) == 12
    assert {k: m["signals_by_agency_kind"] for k, m in months.items() if m["signals"]} == {
        "2025-03": {"health": 0, "police": 0, "school": 1},
        "2025-04": {"health": 0, "police": 1, "school": 0},
        "2025-05": {"health": 0, "police": 0, "school": 1},
        "2025-11": {"health": 1, "police": 0, "school": 0},
    }
    assert {k: m["cards_started"] for k, m in months.items() if m["cards_started"]} == {
        "2025-02": 1,
        "2025-04": 1,
        "2025-11": 1,
        "2025-12": 1,
    }
    assert monthly["totals"] == {
        "signals": 4,
        "signals_by_agency_kind": {"health": 1, "police": 1, "school": 2},
        "cards_started": 4,
    }


@pytest.mark.parametrize("batch_size", [500, 3])
def test_rebuild_from_zero_equals_the_live_report(services, world, recorded_by_clock, batch_size):
    crafted_year(services, world, recorded_by_clock)
    chair = world.users["coordinator"].actor
    live = services.reports.programme(chair, YEAR_START, YEAR_END)
    live_rows = services.followers["programme"].view.dump()
    assert live_rows["programme_facts"]
    for name in ("programme", "deadlines"):
        follower = services.followers[name]
        follower.batch_size = follower.rebuild_batch_size = batch_size
        follower.rebuild()
    assert services.followers["programme"].view.dump() == live_rows
    rebuilt = services.reports.programme(chair, YEAR_START, YEAR_END)
    assert {k: v for k, v in rebuilt.items() if k != "computed_at"} == {
        k: v for k, v in live.items() if k != "computed_at"
    }
