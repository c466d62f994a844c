"""Demo data for the yearly programme report: a year of signals, and Kacper's help plan (form C).

Events are recorded when the demo runs, so only what the domain lets a person date (when
a signal was observed) can spread over the year: the signals from January on give the
coordinator's monthly statistics their shape. The Wiśniewski group records the help plan
made with Kacper (form C), one of the report's "individual help plans". The demo's cards
and groups stay as services/demo/procedure.py tells them (its tests pin them).
"""

from __future__ import annotations

from datetime import datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.access import Actor
from domain.procedure import add_months

# (child index, user index in the demo's USERS, kind, months back, day of month, extra)
YEAR_OF_SIGNALS = [
    (4, 3, "unexplained_absence", 10, 14, {"days": 2}),
    (7, 9, "addiction_referral", 9, 3, {}),
    (2, 2, "lack_of_learning_conditions", 9, 20, {}),
    (5, 4, "home_visit", 8, 11, {}),
    (8, 10, "welfare_concern", 8, 25, {}),
    (6, 7, "court_supervision_report", 7, 6, {}),
    (0, 2, "unexplained_absence", 7, 17, {"days": 1}),
    (3, 8, "health_referral", 6, 9, {}),
    (9, 12, "behaviour_change", 6, 23, {}),
    (1, 11, "day_centre_attendance_drop", 5, 5, {}),
    (4, 5, "home_visit", 5, 19, {}),
    (7, 4, "domestic_intervention", 4, 8, {}),
    (2, 5, "neglect_observed", 4, 22, {}),
    (6, 2, "behaviour_change", 3, 2, {}),
    (8, 6, "home_visit", 3, 16, {}),
    (0, 4, "domestic_intervention", 2, 12, {}),
    (9, 10, "welfare_concern", 2, 26, {}),
    (5, 3, "missed_remote_learning", 1, 7, {"days": 3}),
    (6, 4, "domestic_intervention", 0, 4, {}),
]


def programme_demo(svc, actors: list[Actor], children: list[dict], now: datetime) -> None:
    """Add the year of signals and the form C (``actors`` in the demo's USERS order)."""
    zone = ZoneInfo(svc.settings.timezone)
    today = now.astimezone(zone).date()
    for child, user, kind, months_back, day, extra in YEAR_OF_SIGNALS:
        month_start = add_months(today.replace(day=1), -months_back)
        observed = datetime.combine(month_start.replace(day=day), time(10, 30), tzinfo=zone)
        if observed >= now:
            continue
        svc.children.record_signal(
            actors[user],
            UUID(children[child]["id"]),
            kind=kind,
            observed_at=observed,
            details="Obserwacja z bieżącej pracy instytucji.",
            **extra,
        )
    case_worker, chair = actors[5], actors[13]
    wisniewscy = next(
        c for c in svc.blue_cards.list(chair) if children[0]["id"] in [str(v) for v in c.get("child_victim_ids", [])]
    )
    svc.blue_cards.record_form_c(
        case_worker,
        UUID(wisniewscy["id"]),
        victim=children[0]["id"],
        assessment="Kacper boi się wieczornych awantur; szkoła zgłasza nieobecności.",
        help_plan="Świetlica „Promyk” codziennie, rozmowy z pedagogiem, wizyty dzielnicowego.",
    )
