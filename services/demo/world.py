"""Demo data: a small gmina with every kind of agency, users, children and a few weeks of signals.

It tells a recognisable story: Kacper stops logging in to remote lessons, the police are
called to his home a week later and the day-care centre sees him less: no single signal
is severe, but the pieces join across three agencies.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.access import Actor
from domain.errors import Conflict
from domain.pesel import make_pesel
from services.bootstrap import Services
from services.demo.procedure import blue_card_demo
from services.demo.programme import programme_demo

DEMO_MUNICIPALITY = "Gmina Przykładowo (demo)"

AGENCIES = [
    ("school", "Szkoła Podstawowa nr 1 im. Marii Konopnickiej"),
    ("school", "Szkoła Podstawowa nr 2"),
    ("police", "Komisariat Policji w Przykładowie"),
    ("ops", "Gminny Ośrodek Pomocy Społecznej"),
    ("court_curator", "Zespół Kuratorskiej Służby Sądowej"),
    ("health", "Przychodnia Rodzinna „Zdrowie”"),
    ("gkrpa", "Gminna Komisja Rozwiązywania Problemów Alkoholowych"),
    ("pcpr", "Powiatowe Centrum Pomocy Rodzinie"),
    ("day_centre", "Świetlica Środowiskowa „Promyk”"),
    ("ngo", "Stowarzyszenie „Bezpieczne Dzieciństwo”"),
    ("team", "Zespół Interdyscyplinarny"),
]

# (agency index, role, name)
USERS = [
    (None, "admin", "Administrator systemu"),
    (None, "auditor", "Inspektor ochrony danych"),
    (0, "submitter", "Anna Nowak (pedagog szkolny, SP1)"),
    (1, "submitter", "Piotr Zieliński (pedagog szkolny, SP2)"),
    (2, "submitter", "asp. Marek Wójcik (dzielnicowy)"),
    (3, "case_worker", "Ewa Kowalczyk (pracownik socjalny)"),
    (3, "family_assistant", "Joanna Lewandowska (asystent rodziny)"),
    (4, "submitter", "Tomasz Kamiński (kurator sądowy)"),
    (5, "submitter", "dr Katarzyna Dąbrowska (lekarz rodzinny)"),
    (6, "submitter", "Barbara Mazur (GKRPA)"),
    (7, "submitter", "Krzysztof Jankowski (PCPR)"),
    (8, "submitter", "Magdalena Szymańska (świetlica)"),
    (9, "submitter", "Agnieszka Woźniak (NGO)"),
    (10, "coordinator", "Małgorzata Kozłowska (przewodnicząca ZI)"),
]

#: Web sign-in names of USERS, in the same order.
LOGINS = [
    "admin",
    "iod",
    "anna.nowak",
    "piotr.zielinski",
    "marek.wojcik",
    "ewa.kowalczyk",
    "joanna.lewandowska",
    "tomasz.kaminski",
    "katarzyna.dabrowska",
    "barbara.mazur",
    "krzysztof.jankowski",
    "magdalena.szymanska",
    "agnieszka.wozniak",
    "malgorzata.kozlowska",
]

# (given, family, date of birth, school index or None, with PESEL)
CHILDREN = [
    ("Kacper", "Wiśniewski", date(2014, 3, 12), 0, True),
    ("Zuzanna", "Wiśniewska", date(2016, 9, 2), 0, True),
    ("Julia", "Kaczmarek", date(2013, 11, 23), 0, True),
    ("Antoni", "Grabowski", date(2015, 6, 7), 1, False),
    ("Lena", "Pawłowska", date(2012, 1, 30), 1, True),
    ("Szymon", "Michalski", date(2017, 4, 18), 0, False),
    ("Maja", "Król", date(2014, 8, 9), 1, True),
    ("Jan", "Wieczorek", date(2011, 12, 1), 0, True),
    ("Oliwia", "Jabłońska", date(2016, 2, 14), 1, False),
    ("Filip", "Nowakowski", date(2013, 5, 27), 0, True),
]

# (child index, user index, kind, days ago, details, extra)
SIGNALS = [
    (0, 2, "missed_remote_learning", 21, "Brak logowania do dziennika i lekcji zdalnych.", {"days": 5}),
    (0, 2, "unexplained_absence", 14, "Nieobecny bez usprawiedliwienia, rodzic nie odbiera telefonu.", {"days": 3}),
    (0, 4, "domestic_intervention", 10, "Interwencja w nocy, awantura domowa, dziecko obecne w mieszkaniu.", {}),
    (0, 11, "day_centre_attendance_drop", 7, "Od dwóch tygodni nie przychodzi na zajęcia w świetlicy.", {}),
    (1, 2, "behaviour_change", 12, "Wycofanie, płaczliwość na przerwach.", {}),
    (1, 4, "domestic_intervention", 10, "Ta sama interwencja co u brata; dziecko spało w drugim pokoju.", {}),
    (2, 2, "lack_of_learning_conditions", 18, "Brak komputera i miejsca do nauki w domu.", {}),
    (2, 5, "home_visit", 9, "Wizyta w środowisku; mieszkanie przeludnione, matka współpracuje.", {}),
    (3, 3, "injury_observed", 6, "Zasinienie na przedramieniu, dziecko mówi o upadku z roweru.", {}),
    (3, 8, "injury_treated", 5, "Opatrzone otarcia i stłuczenie przedramienia.", {}),
    (4, 3, "missed_remote_learning", 16, "Nie loguje się do lekcji online.", {"days": 2}),
    (6, 7, "court_supervision_report", 20, "Nadzór kuratora nad rodziną; sytuacja stabilna.", {}),
    (7, 9, "addiction_referral", 25, "Ojciec skierowany na leczenie odwykowe.", {}),
    (7, 2, "behaviour_change", 8, "Agresja wobec rówieśników.", {}),
    (9, 10, "welfare_concern", 4, "Zgłoszenie rodziny zastępczej o trudnościach.", {}),
    (9, 12, "neglect_observed", 3, "Dziecko głodne, nieadekwatnie ubrane do pogody.", {}),
]


@dataclass
class DemoResult:
    """What the demo created, for printing."""

    municipality_id: UUID
    users: list[dict] = field(default_factory=list)
    children: list[dict] = field(default_factory=list)
    created: bool = True


def find_demo_municipality(svc: Services) -> dict | None:
    """Return the demo municipality if demo data was loaded before."""
    return next((m for m in svc.directory.list_municipalities() if m["name"] == DEMO_MUNICIPALITY), None)


def load_demo(svc: Services, now: datetime) -> DemoResult:
    """Create the demo gmina once; on later runs, issue fresh tokens for its users."""
    existing = find_demo_municipality(svc)
    if existing is not None:
        return _refresh_tokens(svc, UUID(existing["id"]))
    municipality_id = UUID(svc.directory.create_municipality(DEMO_MUNICIPALITY)["id"])
    agencies = [svc.directory.create_agency(None, municipality_id, kind, name) for kind, name in AGENCIES]
    result = DemoResult(municipality_id)
    actors: list[Actor] = []
    for agency_index, role, name in USERS:
        agency_id = UUID(agencies[agency_index]["id"]) if agency_index is not None else None
        user = svc.directory.create_user(
            None, role=role, name=name, agency_id=agency_id, municipality_id=municipality_id
        )
        result.users.append({**user, "agency": agencies[agency_index]["name"] if agency_index is not None else ""})
        _give_password(svc, result.users[-1], LOGINS[len(result.users) - 1])
        actors.append(svc.directory.authenticate(user["token"]))
    schools = [a for a in agencies if a["kind"] == "school"]
    coordinator = actors[-1]
    for serial, (given, family, dob, school, with_pesel) in enumerate(CHILDREN, start=1):
        child = svc.children.register(
            coordinator,
            given_name=given,
            family_name=family,
            date_of_birth=dob,
            pesel=make_pesel(dob, 1000 + serial * 7) if with_pesel else None,
            school_id=UUID(schools[school]["id"]),
        )
        result.children.append(child)
    for child_index, user_index, kind, days_ago, details, extra in SIGNALS:
        svc.children.record_signal(
            actors[user_index],
            UUID(result.children[child_index]["id"]),
            kind=kind,
            observed_at=now - timedelta(days=days_ago, hours=user_index),
            details=details,
            **extra,
        )
    _family_work(svc, actors, result, agencies, now)
    blue_card_demo(svc, actors, result.children, now)
    programme_demo(svc, actors, result.children, now)  # a year of signals and a form C
    return result


def _refresh_tokens(svc: Services, municipality_id: UUID) -> DemoResult:
    result = DemoResult(municipality_id, created=False)
    agencies = {a["id"]: a["name"] for a in _agencies(svc, municipality_id)}
    logins = {name: login for (_, _, name), login in zip(USERS, LOGINS, strict=True)}
    for user in svc.directory.list_users(_operator(svc, municipality_id)):
        fresh = svc.directory.issue_token(None, UUID(user["id"]))
        result.users.append({**fresh, "agency": agencies.get(user["agency_id"], "")})
        if user["name"] in logins:
            _give_password(svc, result.users[-1], logins[user["name"]])
    return result


def _give_password(svc: Services, user: dict, login: str) -> None:
    """A fresh random password for the pages, printed by the demo like the tokens."""
    password = "demo-" + secrets.token_urlsafe(8)
    accounts = svc.accounts
    for candidate in [login, *(f"{login}-{n}" for n in range(2, 100))]:  # logins are deployment-wide
        try:
            accounts.set_password(UUID(user["id"]), password, candidate)
        except Conflict:
            continue  # another municipality's user has it
        user.update(login=candidate, password=password)
        return


def _operator(svc: Services, municipality_id: UUID) -> Actor:
    """An in-process administrator identity for the CLI's own listing."""
    return Actor(UUID(int=0), municipality_id, None, None, "admin")


def _agencies(svc: Services, municipality_id: UUID) -> list[dict]:
    return svc.directory.list_agencies(_operator(svc, municipality_id))


# (day of last month, from, to, place, topic)
VISITS = [
    (3, time(9, 0), time(11, 0), "mieszkanie rodziny", "Budżet domowy: spis stałych opłat, plan spłaty zaległości."),
    (10, time(15, 0), time(16, 30), "Szkoła Podstawowa nr 1", "Spotkanie z wychowawcą Kacpra w sprawie frekwencji."),
    (17, time(9, 30), time(12, 0), "GOPS", "Wniosek o zasiłek celowy na opał; wsparcie matki w urzędzie."),
    (24, time(16, 0), time(17, 0), "mieszkanie rodziny", "Rozmowa wspierająca; plan tygodnia dzieci."),
]


def _family_work(svc: Services, actors: list[Actor], result: DemoResult, agencies: list[dict], now: datetime) -> None:
    """The Wiśniewski family's help plan and their assistant's time card for last month (submitted)."""
    assistant = actors[6]
    today = now.astimezone(ZoneInfo(svc.settings.timezone)).date()
    day_centre = next(a for a in agencies if a["kind"] == "day_centre")
    plan = svc.help_plans.draw(
        assistant,
        child_ids=[UUID(c["id"]) for c in result.children[:2]],
        household="Wiśniewscy: matka, ojciec, Kacper i Zuzanna; ul. Polna 3/4",
        plan={
            "swot": {
                "strengths": ["matka współpracuje z asystentem", "dzieci związane z rodzicami"],
                "weaknesses": ["zaległości w opłatach", "brak komputera do nauki"],
                "opportunities": ["miejsce w świetlicy „Promyk”", "program „Rodzina 800+”"],
                "threats": ["nadużywanie alkoholu przez ojca", "interwencje domowe"],
            },
            "main_goal": "Bezpieczny dom i regularna nauka dzieci",
            "long_term_goals": ["ojciec kończy terapię uzależnień"],
            "short_term_goals": ["Kacper codziennie loguje się na lekcje", "spłata zaległości za czynsz"],
            "actions": [
                {"party": "family", "description": "zapisać Kacpra do świetlicy", "due": today - timedelta(days=3)},
                {
                    "party": "family_assistant",
                    "description": "pomoc w planie spłaty zaległości",
                    "due": today + timedelta(days=7),
                },
                {"party": "social_worker", "description": "zasiłek celowy na opał", "due": today + timedelta(days=14)},
                {
                    "party": "agency",
                    "agency_id": UUID(day_centre["id"]),
                    "description": "miejsce na zajęciach",
                    "due": today + timedelta(days=10),
                },
            ],
            "next_evaluation": today + timedelta(days=30),
        },
    )
    last_month = today.replace(day=1) - timedelta(days=1)
    card = svc.time_cards.open(assistant, last_month.strftime("%Y-%m"))
    for day, start, end, place, topic in VISITS:
        svc.time_cards.add_entry(
            assistant,
            UUID(card["id"]),
            date=last_month.replace(day=day),
            start=start,
            end=end,
            place=place,
            topic=topic,
            participants="matka, asystent rodziny",
            help_plan_id=UUID(plan["id"]),
        )
    svc.time_cards.submit(assistant, UUID(card["id"]))
