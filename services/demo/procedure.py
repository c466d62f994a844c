"""Demo data for the Blue Card procedure: one card in progress, one whose deadline was missed.

The Wiśniewski children: the police filled in form A after the night intervention, the
chair received it and a group (OPS, police, school, day centre, family assistant) meets
in three days. Antoni Grabowski: the school filled in form A on paper twelve days ago and
it never reached the chair, so "form A to the chair" is breached on the deadline list and
at the top of the team's agenda.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.access import Actor


def blue_card_demo(svc, actors: list[Actor], children: list[dict], now: datetime) -> None:
    """Add the two cards, the group and its first meeting (``actors`` in the demo's USERS order)."""
    zone = ZoneInfo(svc.settings.timezone)
    today = now.astimezone(zone).date()
    school_1, school_2, police, case_worker, assistant, day_centre, chair = (
        actors[2],
        actors[3],
        actors[4],
        actors[5],
        actors[6],
        actors[11],
        actors[13],
    )
    kacper, zuzanna, antoni = (UUID(children[i]["id"]) for i in (0, 1, 3))

    card = svc.blue_cards.fill_form_a(
        police,
        filled_on=today - timedelta(days=2),
        incident_date=today - timedelta(days=10),
        place="ul. Polna 3/4, Przykładowo",
        description="Interwencja w nocy: awantura domowa, ojciec pod wpływem alkoholu, dzieci obecne w mieszkaniu.",
        child_victim_ids=[kacper, zuzanna],
        adult_victims=["Maria Wiśniewska"],
        perpetrators=["Adam Wiśniewski"],
    )
    card_id = UUID(card["id"])
    svc.blue_cards.hand_form_b(police, card_id, victim="Maria Wiśniewska", note="wręczono na miejscu")
    svc.blue_cards.forward(chair, card_id, note="wpłynęło do przewodniczącej ZI")
    members = [
        {"user_id": a.user_id, "function": f}
        for a, f in (
            (case_worker, "pracownik socjalny"),
            (police, "dzielnicowy"),
            (school_1, "pedagog szkolny"),
            (day_centre, "wychowawca świetlicy"),
            (assistant, "asystent rodziny"),
        )
    ]
    group = svc.groups.open(
        chair, name="Grupa diagnostyczno-pomocowa: rodzina Wiśniewskich", members=members, blue_card_id=card_id
    )
    meeting_day = today + timedelta(days=3)
    svc.groups.schedule_meeting(
        chair,
        UUID(group["id"]),
        place="GOPS, pokój 12",
        scheduled_for=datetime.combine(meeting_day, time(10, 0), tzinfo=zone),
    )
    svc.groups.assign_action(
        chair,
        UUID(group["id"]),
        description="Wizyta dzielnicowego w miejscu zamieszkania",
        due_on=today + timedelta(days=5),
        owner_user_id=police.user_id,
    )

    filled = today - timedelta(days=12)
    svc.blue_cards.fill_form_a(
        school_2,
        filled_on=filled,
        incident_date=filled,
        place="Szkoła Podstawowa nr 2",
        description="Zasinienie przedramienia; dziecko mówi o upadku z roweru, boi się wracać do domu.",
        child_victim_ids=[antoni],
        perpetrators=["ojczym (imię nieznane)"],
    )
