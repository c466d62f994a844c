"""The authorisation matrix: every endpoint, every role, and a user of another municipality.

Each row names an endpoint (method and URL rule) and, per reader, what must happen:

* ``A`` allowed: the request passes the access checks (any answer but 401/403/404/5xx;
  a 409 or a domain 422 means the policy let the caller in and the state said no);
* ``D`` refused with 403;
* ``H`` hidden: 404, the record does not exist for the caller (another municipality);
* ``O`` own data only: answered, but nothing of the first municipality is in the body.

The readers: ``admin``, ``auditor``, ``school``/``police``/``health`` (submitters; the
school and the police sit on the child's working group, health does not), ``case_worker``
(on the group), ``family_assistant`` (not on it, keeps the family's plan and time card),
``coordinator``, and ``other`` (the coordinator of another municipality).

``test_every_endpoint_has_a_row`` fails when an API endpoint is added without one (the web
pages, signed in with a session rather than a token, have their own matrix in tests/web).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.conftest import Clock
from tests.worlds import make_world

ROLES = ("admin", "auditor", "school", "police", "health", "case_worker", "family_assistant", "coordinator", "other")
PUBLIC = {
    "/healthz",
    "/metrics",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/docs/static/<path:filename>",
    "/static/<path:filename>",
}

ALL = "A" * 9
NO_ADMIN = "DAAAAAAAH"  # every reader of the municipality but the administrator; hidden from the other one


def row(cells: str) -> dict[str, str]:
    assert len(cells) == len(ROLES), cells
    return dict(zip(ROLES, cells, strict=True))


#: (method, rule) -> (cells in ROLES order, request builder: ids -> (path, json body, query)).
Request = Callable[[dict], tuple[str, object, dict]]
MATRIX: dict[tuple[str, str], tuple[str, Request]] = {}


def entry(method: str, rule: str, cells: str, build_request: Request) -> None:
    MATRIX[(method, rule)] = (cells, build_request)


def get(path_of: Callable[[dict], str], **query: str) -> Request:
    return lambda ids: (path_of(ids), None, {k: v.format(**ids) for k, v in query.items()})


def post(path_of: Callable[[dict], str], body: Callable[[dict], object]) -> Request:
    return lambda ids: (path_of(ids), body(ids), {})


# --- directory --------------------------------------------------------------------------
entry("GET", "/api/v1/me", ALL, get(lambda i: "/api/v1/me"))
entry("GET", "/api/v1/signal-kinds", ALL, get(lambda i: "/api/v1/signal-kinds"))
entry("GET", "/api/v1/agencies", "AAAAAAAAO", get(lambda i: "/api/v1/agencies"))
entry(
    "POST",
    "/api/v1/agencies",
    "ADDDDDDDD",
    post(lambda i: "/api/v1/agencies", lambda i: {"kind": "ngo", "name": f"Fundacja {uuid4().hex[:6]}"}),
)
entry("GET", "/api/v1/agencies/<uuid:agency_id>", "AAAAAAAAH", get(lambda i: f"/api/v1/agencies/{i['school_agency']}"))
# The auditor reads the directory of people too: who was given access, by whom, approved by whom.
entry("GET", "/api/v1/users", "AADDDDDDD", get(lambda i: "/api/v1/users"))
entry(
    "POST",
    "/api/v1/users",
    "ADDDDDDDD",
    post(lambda i: "/api/v1/users", lambda i: {"role": "auditor", "name": f"Audytor {uuid4().hex[:6]}"}),
)
entry("GET", "/api/v1/users/<uuid:user_id>", "AADDDDDDD", get(lambda i: f"/api/v1/users/{i['spare_user']}"))
# Only an administrator's token is minted by another (an administrator); a reader makes their own.
entry(
    "POST",
    "/api/v1/users/<uuid:user_id>/token",
    "ADDDDDDDD",
    post(lambda i: f"/api/v1/users/{i['spare_admin']}/token", lambda i: {}),
)
# Access grants: the administrator requests, the coordinator (the auditor for auditors) approves.
entry("GET", "/api/v1/access-requests", "AADDDDDAO", get(lambda i: "/api/v1/access-requests"))
entry(
    "POST",
    "/api/v1/users/<uuid:user_id>/approval",
    "DDDDDDDAH",
    post(lambda i: f"/api/v1/users/{i['pending_user']}/approval", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/users/<uuid:user_id>/reset",
    "ADDDDDDDD",
    post(lambda i: f"/api/v1/users/{i['reset_user']}/reset", lambda i: {"reason": "zgubiony token"}),
)
# The administrator deactivates anyone, the coordinator field staff (the second call meets 409).
entry(
    "POST",
    "/api/v1/users/<uuid:user_id>/deactivation",
    "ADDDDDDAH",
    post(lambda i: f"/api/v1/users/{i['leaving_user']}/deactivation", lambda i: {"reason": "odejście z pracy"}),
)
# No bearer token needed: wrong codes answer 422 to anyone.
entry(
    "POST",
    "/api/v1/activation",
    ALL,
    post(lambda i: "/api/v1/activation", lambda i: {"setup_code": "sh_wrong", "approval_code": "sh_wrong"}),
)

# --- audit ------------------------------------------------------------------------------
entry("GET", "/api/v1/audit/verify", "DADDDDDDD", get(lambda i: "/api/v1/audit/verify"))
# Standing: the coordinator, the school (it registered the child) and the group (school, police, case worker).
entry("GET", "/api/v1/audit/reads", "DAAADADAH", get(lambda i: "/api/v1/audit/reads", child_id="{child}"))

# --- children and signals ---------------------------------------------------------------
# A PESEL is searched by POST only (never in a URL); the query string searches by name and birth date.
entry(
    "GET",
    "/api/v1/children",
    "DAAAAAAAO",
    get(lambda i: "/api/v1/children", given_name="Kacper", family_name="Wiśniewski", date_of_birth="2014-03-12"),
)
entry(
    "POST",
    "/api/v1/children/search",
    "DAAAAAAAO",
    post(lambda i: "/api/v1/children/search", lambda i: {"pesel": i["pesel"]}),
)
entry(
    "POST",
    "/api/v1/children",
    "DDAAAAAAO",
    post(
        lambda i: "/api/v1/children",
        lambda i: {"given_name": "Ola", "family_name": f"Nowak{uuid4().hex[:4]}", "date_of_birth": "2015-05-14"},
    ),
)
entry("GET", "/api/v1/children/<uuid:child_id>", NO_ADMIN, get(lambda i: f"/api/v1/children/{i['child']}"))
entry(
    "GET", "/api/v1/children/<uuid:child_id>/events", NO_ADMIN, get(lambda i: f"/api/v1/children/{i['child']}/events")
)
entry(
    "GET",
    "/api/v1/children/<uuid:child_id>/timeline",
    NO_ADMIN,
    get(lambda i: f"/api/v1/children/{i['child']}/timeline"),
)
entry(
    "GET", "/api/v1/children/<uuid:child_id>/signals", NO_ADMIN, get(lambda i: f"/api/v1/children/{i['child']}/signals")
)
# The score sums every agency's signals: only full grounds (group, coordinator, auditor).
entry("GET", "/api/v1/children/<uuid:child_id>/risk", "DAAADADAH", get(lambda i: f"/api/v1/children/{i['child']}/risk"))
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/signals",
    "DDAAAAAAH",
    post(
        lambda i: f"/api/v1/children/{i['child']}/signals",
        lambda i: {"kind": "disclosure_by_child", "observed_at": "2026-03-02T10:00:00"},
    ),
)
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/signals/<uuid:signal_id>/corrections",
    "DDAHHHHHH",  # another agency's signal reads as no signal
    post(
        lambda i: f"/api/v1/children/{i['child']}/signals/{i['school_signal']}/corrections",
        lambda i: {"severity": "medium", "reason": "ponowna ocena"},
    ),
)
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/signals/<uuid:signal_id>/retraction",
    "DDAHHHHHH",
    post(
        lambda i: f"/api/v1/children/{i['child']}/signals/{i['spare_signal']}/retraction",
        lambda i: {"reason": "wpis do niewłaściwego dziecka"},
    ),
)
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/merge",
    "DDDDDDDAH",
    post(
        lambda i: f"/api/v1/children/{i['duplicate']}/merge",
        lambda i: {"target_id": i["original"], "reason": "to samo dziecko"},
    ),
)
# Erasure: the coordinator asks (202, pending), a second person approves; the administrator never erases.
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/erasure",
    "DDDDDDDAH",
    post(
        lambda i: f"/api/v1/children/{i['to_erase']}/erasure",
        lambda i: {"ground": "authorised_request", "reference": "DPO/2026/7"},
    ),
)
# The auditor approves the coordinator's request (the coordinator then meets an erased record: 200, nothing changes).
entry(
    "POST",
    "/api/v1/children/<uuid:child_id>/erasure/approval",
    "DADDDDDAH",
    post(lambda i: f"/api/v1/children/{i['to_erase']}/erasure/approval", lambda i: {}),
)
# An adult named on a card is erased the same way (a person of another municipality reads as unknown).
entry(
    "POST",
    "/api/v1/persons/<uuid:person_id>/erasure",
    "DDDDDDDAH",
    post(
        lambda i: f"/api/v1/persons/{i['person_to_erase']}/erasure",
        lambda i: {"ground": "authorised_request", "reference": "DPO/2026/8"},
    ),
)
entry(
    "POST",
    "/api/v1/persons/<uuid:person_id>/erasure/approval",
    "DADDDDDAH",
    post(lambda i: f"/api/v1/persons/{i['person_to_erase']}/erasure/approval", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/signals/import",
    "DDAAAAAAO",
    lambda i: (
        "/api/v1/signals/import",
        (
            "given_name,family_name,date_of_birth,kind,observed_at,days,details\n"
            "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n"
        ),
        {},
    ),
)
entry("GET", "/api/v1/signals/import/example", ALL, get(lambda i: "/api/v1/signals/import/example"))

# --- Blue Card procedure ----------------------------------------------------------------
CARD = "/api/v1/blue-cards/{card}"
entry("GET", "/api/v1/blue-cards", "DAAAAAAAO", get(lambda i: "/api/v1/blue-cards"))
entry(
    "POST",
    "/api/v1/blue-cards",
    "DDAAAAADD",
    post(
        lambda i: "/api/v1/blue-cards",
        lambda i: {
            "incident_date": "2026-03-01",
            "place": "ul. Lipowa 3",
            "description": "Podejrzenie przemocy.",
            "child_victim_ids": [],
            "adult_victims": ["Anna"],
            "perpetrators": ["Jan"],
        },
    ),
)
# A card the caller takes no part in reads as one that does not exist (health, the assistant).
entry("GET", "/api/v1/blue-cards/<uuid:card_id>", "DAAAHAHAH", get(lambda i: CARD.format(**i)))
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/form-b",
    "DDAAHAHAH",
    post(lambda i: CARD.format(**i) + "/form-b", lambda i: {"victim": "Anna"}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/forward",
    "DDDAHDHAH",
    post(lambda i: CARD.format(**i) + "/forward", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/group",
    "DDDDDDDAH",
    post(lambda i: CARD.format(**i) + "/group", lambda i: {"group_id": i["group"]}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/form-c",
    "DDAAHAHAH",
    post(lambda i: CARD.format(**i) + "/form-c", lambda i: {"victim": "Anna", "assessment": "x", "help_plan": "y"}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/form-d",
    "DDAAHAHAH",
    post(lambda i: CARD.format(**i) + "/form-d", lambda i: {"perpetrator": "Jan", "assessment": "x"}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/monitoring",
    "DDAAHAHAH",
    post(lambda i: CARD.format(**i) + "/monitoring", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/closure",
    "DDDDDDDAH",
    post(lambda i: CARD.format(**i) + "/closure", lambda i: {"reason": "violence_ceased_plan_done"}),
)
entry(
    "POST",
    "/api/v1/blue-cards/<uuid:card_id>/reviews",
    "DDAAHAHAH",
    post(lambda i: CARD.format(**i) + "/reviews", lambda i: {"outcome": "bez zmian"}),
)

# --- working groups and the team ----------------------------------------------------------
GROUP = "/api/v1/working-groups/{group}"
entry("GET", "/api/v1/working-groups", "DAAAAAAAO", get(lambda i: "/api/v1/working-groups"))
entry(
    "POST",
    "/api/v1/working-groups",
    "DDDDDDDAO",
    post(lambda i: "/api/v1/working-groups", lambda i: {"name": "Grupa", "members": i["members"]}),
)
entry("GET", "/api/v1/working-groups/<uuid:group_id>", "DAAAHAHAH", get(lambda i: GROUP.format(**i)))
entry("GET", "/api/v1/working-groups/<uuid:group_id>/agenda", "DAAAHAHAH", get(lambda i: GROUP.format(**i) + "/agenda"))
entry(
    "GET",
    "/api/v1/working-groups/<uuid:group_id>/meetings",
    "DAAAHAHAH",
    get(lambda i: GROUP.format(**i) + "/meetings"),
)
entry(
    "POST",
    "/api/v1/working-groups/<uuid:group_id>/meetings",
    "DDAAHAHAH",
    post(lambda i: GROUP.format(**i) + "/meetings", lambda i: {"scheduled_for": "2026-03-20T10:00:00"}),
)
entry(
    "GET",
    "/api/v1/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>",
    "DAAAHAHAH",
    get(lambda i: GROUP.format(**i) + f"/meetings/{i['meeting']}"),
)
entry(
    "POST",
    "/api/v1/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/minutes",
    "DDAAHAHAH",
    post(
        lambda i: GROUP.format(**i) + f"/meetings/{i['meeting']}/minutes",
        lambda i: {"minutes": "Posiedzenie.", "attendees": [{"agency_id": i["ops_agency"]}]},
    ),
)
entry(
    "POST",
    "/api/v1/working-groups/<uuid:group_id>/meetings/<uuid:meeting_id>/decisions",
    "DDAAHAHAH",
    post(lambda i: GROUP.format(**i) + f"/meetings/{i['meeting']}/decisions", lambda i: {"text": "Wizyta."}),
)
entry(
    "GET", "/api/v1/working-groups/<uuid:group_id>/actions", "DAAAHAHAH", get(lambda i: GROUP.format(**i) + "/actions")
)
entry(
    "POST",
    "/api/v1/working-groups/<uuid:group_id>/actions",
    "DDAAHAHAH",
    post(
        lambda i: GROUP.format(**i) + "/actions",
        lambda i: {
            "description": "Wizyta dzielnicowego",
            "due_on": "2026-03-25",
            "owner_agency_id": i["police_agency"],
        },
    ),
)
entry(
    "POST",
    "/api/v1/working-groups/<uuid:group_id>/actions/<uuid:action_id>/done",
    "DDAAHAHAH",
    post(lambda i: GROUP.format(**i) + f"/actions/{i['action']}/done", lambda i: {"note": "Zrobione."}),
)
entry("GET", "/api/v1/team/meetings", "DADDDDDAO", get(lambda i: "/api/v1/team/meetings"))
entry(
    "POST",
    "/api/v1/team/meetings",
    "DDDDDDDAO",
    post(lambda i: "/api/v1/team/meetings", lambda i: {"scheduled_for": "2026-03-30T12:00:00"}),
)
entry(
    "POST",
    "/api/v1/team/meetings/<uuid:meeting_id>/minutes",
    "DDDDDDDAH",
    post(
        lambda i: f"/api/v1/team/meetings/{i['team_meeting']}/minutes",
        lambda i: {"minutes": "Przegląd.", "attendees": [{"agency_id": i["ops_agency"]}]},
    ),
)
entry(
    "POST",
    "/api/v1/team/meetings/<uuid:meeting_id>/decisions",
    "DDDDDDDAH",
    post(lambda i: f"/api/v1/team/meetings/{i['team_meeting']}/decisions", lambda i: {"text": "Przyjęto."}),
)
entry("GET", "/api/v1/team/agenda", "DADDDDDAO", get(lambda i: "/api/v1/team/agenda"))
entry("GET", "/api/v1/deadlines", "DADDDAAAO", get(lambda i: "/api/v1/deadlines"))
# Retention and subject access: the coordinator and the auditor, who answer for the data.
entry("GET", "/api/v1/retention/due", "DADDDDDAO", get(lambda i: "/api/v1/retention/due"))
entry(
    "GET",
    "/api/v1/children/<uuid:child_id>/subject-access",
    "DADDDDDAH",
    get(lambda i: f"/api/v1/children/{i['child']}/subject-access"),
)
entry(
    "GET",
    "/api/v1/persons/<uuid:person_id>/subject-access",
    "DADDDDDAH",
    get(lambda i: f"/api/v1/persons/{i['adult']}/subject-access"),
)

# --- family work ----------------------------------------------------------------------------
PLAN = "/api/v1/help-plans/{plan}"
entry("GET", "/api/v1/help-plans", "DADDDAAAO", get(lambda i: "/api/v1/help-plans"))
entry(
    "POST",
    "/api/v1/help-plans",
    "DDDDDAADD",
    post(
        lambda i: "/api/v1/help-plans",
        lambda i: {"child_ids": [i["child"]], "household": "Wiśniewscy", "plan": i["plan_body"]},
    ),
)
entry("GET", "/api/v1/help-plans/<uuid:plan_id>", "DADDDAAAH", get(lambda i: PLAN.format(**i)))
entry("GET", "/api/v1/help-plans/overdue-actions", "DADDDAAAO", get(lambda i: "/api/v1/help-plans/overdue-actions"))
entry(
    "POST",
    "/api/v1/help-plans/<uuid:plan_id>/evaluations",
    "DDDDDAADD",
    post(
        lambda i: PLAN.format(**i) + "/evaluations",
        lambda i: {"held_on": "2026-03-03", "results": {}, "situation": "Bez zmian."},
    ),
)
entry(
    "POST",
    "/api/v1/help-plans/<uuid:plan_id>/revisions",
    "DDDDDAADD",
    post(lambda i: PLAN.format(**i) + "/revisions", lambda i: {"reason": "nowe okoliczności", "plan": i["plan_body"]}),
)
TIME_CARD = "/api/v1/time-cards/{time_card}"
entry("GET", "/api/v1/time-cards", "DADDDDAAO", get(lambda i: "/api/v1/time-cards", month="2026-03"))
entry("POST", "/api/v1/time-cards", "DDDDDDADD", post(lambda i: "/api/v1/time-cards", lambda i: {"month": "2026-02"}))
entry("GET", "/api/v1/time-cards/totals", "DADDDDAAO", get(lambda i: "/api/v1/time-cards/totals", month="2026-03"))
entry("GET", "/api/v1/time-cards/<uuid:card_id>", "DADDDDAAH", get(lambda i: TIME_CARD.format(**i)))
entry("GET", "/api/v1/time-cards/<uuid:card_id>/report", "DADDDDAAH", get(lambda i: TIME_CARD.format(**i) + "/report"))
entry(
    "POST",
    "/api/v1/time-cards/<uuid:card_id>/entries",
    "DDDDDDADD",
    post(
        lambda i: TIME_CARD.format(**i) + "/entries",
        lambda i: {
            "date": "2026-03-02",
            "start": "09:00",
            "end": "10:00",
            "place": "dom",
            "topic": "budżet",
            "child_ids": [i["child"]],
        },
    ),
)
entry(
    "POST",
    "/api/v1/time-cards/<uuid:card_id>/entries/<uuid:entry_id>/removal",
    "DDDDDDADD",
    post(lambda i: TIME_CARD.format(**i) + f"/entries/{i['time_entry']}/removal", lambda i: {"reason": "pomyłka"}),
)
entry(
    "POST",
    "/api/v1/time-cards/<uuid:card_id>/submission",
    "DDDDDDADD",
    post(lambda i: TIME_CARD.format(**i) + "/submission", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/time-cards/<uuid:card_id>/return",
    "DDDDDDDAH",
    post(lambda i: TIME_CARD.format(**i) + "/return", lambda i: {"reason": "brak wpisu"}),
)
entry(
    "POST",
    "/api/v1/time-cards/<uuid:card_id>/acceptance",
    "DDDDDDDAH",
    post(lambda i: TIME_CARD.format(**i) + "/acceptance", lambda i: {}),
)

# --- police notices -------------------------------------------------------------------------
NOTICE = "/api/v1/notifications/{notice}"
entry("GET", "/api/v1/notifications", "DDAAAAAAO", get(lambda i: "/api/v1/notifications"))
entry("GET", "/api/v1/notifications/<uuid:notice_id>", "DDAAHHHHH", get(lambda i: NOTICE.format(**i)))
entry(
    "POST",
    "/api/v1/notifications/<uuid:notice_id>/delivery",
    "DDADHHHDD",
    post(lambda i: NOTICE.format(**i) + "/delivery", lambda i: {}),
)
entry(
    "POST",
    "/api/v1/notifications/<uuid:notice_id>/acknowledgement",
    "DDADHHHDD",
    post(lambda i: NOTICE.format(**i) + "/acknowledgement", lambda i: {"note": "przyjęto"}),
)

# --- reports ---------------------------------------------------------------------------------
# Counts over every agency that move with each new entry: the chair's and the auditor's, like the cases.
entry(
    "GET",
    "/api/v1/reports/programme",
    "DADDDDDAO",
    get(lambda i: "/api/v1/reports/programme", **{"from": "2026-01-01", "to": "2026-12-31"}),
)
entry(
    "GET",
    "/api/v1/reports/programme/cases",
    "DADDDDDAO",
    get(
        lambda i: "/api/v1/reports/programme/cases",
        indicator="cards_conducted",
        **{"from": "2026-01-01", "to": "2026-12-31"},
    ),
)
entry("GET", "/api/v1/reports/monthly", "DADDDDDAO", get(lambda i: "/api/v1/reports/monthly", year="2026"))

# Last of all: each reader replaces its own token, so no row after it may use the old ones.
entry("POST", "/api/v1/me/token", ALL, post(lambda i: "/api/v1/me/token", lambda i: {}))

START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
INTERVENTION = {"police_reference": "RSD-1/26", "place": "ul. Polna 3", "child_present": True}


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """One municipality with a child on a group, a card, a plan, a time card and a notice; and another."""
    settings = Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path_factory.mktemp("matrix") / "var")})
    services = build(settings, clock=Clock(START))
    app = create_app(services=services)
    app.config["TESTING"] = True
    client = app.test_client()
    world, other = make_world(services.directory), make_world(services.directory, "Gmina Sąsiednia")
    users = {**world.users, "other": other.users["coordinator"]}

    def call(method: str, path: str, who: str, body: object = None):
        response = client.open(path, method=method, headers=users[who].headers, json=body)
        assert response.status_code < 300, (path, response.status_code, response.get_data(as_text=True))
        return response.json

    from domain.pesel import make_pesel
    from tests.functional.api.test_help_plans import plan_body

    pesel = make_pesel(__import__("datetime").date(2014, 3, 12), 1234)
    child = call(
        "POST",
        "/api/v1/children",
        "school",
        {"given_name": "Kacper", "family_name": "Wiśniewski", "date_of_birth": "2014-03-12", "pesel": pesel},
    )["id"]

    def new_child(name: str) -> str:
        return call(
            "POST",
            "/api/v1/children",
            "school",
            {"given_name": name, "family_name": "Zapasowy", "date_of_birth": "2012-01-05"},
        )["id"]

    def signal(who: str, kind: str, **extra) -> str:
        return call(
            "POST",
            f"/api/v1/children/{child}/signals",
            who,
            {"kind": kind, "observed_at": "2026-03-02T08:00:00", **extra},
        )["id"]

    ids = {
        "child": child,
        "pesel": pesel,
        "school_signal": signal("school", "behaviour_change"),
        "spare_signal": signal("school", "behaviour_change", details="pomyłka"),
    }
    notice_signal = call(
        "POST",
        f"/api/v1/children/{child}/signals",
        "police",
        {"kind": "domestic_intervention", "observed_at": "2026-03-02T22:00:00", "intervention": INTERVENTION},
    )
    ids["notice"] = next(n["id"] for n in notice_signal["notified"] if n["recipient_kind"] == "school")
    card = call(
        "POST",
        "/api/v1/blue-cards",
        "police",
        {
            "incident_date": "2026-03-01",
            "place": "ul. Polna 3",
            "description": "Interwencja.",
            "child_victim_ids": [child],
            "adult_victims": ["Anna"],
            "perpetrators": ["Jan"],
        },
    )
    card, ids["adult"] = card["id"], card["perpetrator_ids"][0]  # the adult: subject access for persons
    call("POST", f"/api/v1/blue-cards/{card}/forward", "police", {})
    members = [
        {"user_id": str(world.users[label].id), "function": label} for label in ("case_worker", "police", "school")
    ]
    group = call(
        "POST",
        "/api/v1/working-groups",
        "coordinator",
        {"name": "Grupa Wiśniewscy", "members": members, "blue_card_id": card},
    )["id"]
    meeting = call(
        "POST", f"/api/v1/working-groups/{group}/meetings", "coordinator", {"scheduled_for": "2026-03-05T10:00:00"}
    )["id"]
    action = call(
        "POST",
        f"/api/v1/working-groups/{group}/actions",
        "coordinator",
        {"description": "Wizyta", "due_on": "2026-03-20", "owner_agency_id": str(world.agencies["police"])},
    )["id"]
    team_meeting = call("POST", "/api/v1/team/meetings", "coordinator", {"scheduled_for": "2026-03-10T12:00:00"})["id"]
    plan = call(
        "POST",
        "/api/v1/help-plans",
        "family_assistant",
        {"child_ids": [child], "household": "Wiśniewscy", "plan": plan_body(world)},
    )["id"]
    time_card = call("POST", "/api/v1/time-cards", "family_assistant", {"month": "2026-03"})["id"]
    time_entry = call(
        "POST",
        f"/api/v1/time-cards/{time_card}/entries",
        "family_assistant",
        {
            "date": "2026-03-02",
            "start": "12:00",
            "end": "13:00",
            "place": "dom",
            "topic": "szkoła",
            "child_ids": [child],
        },
    )["entries"][-1]["id"]
    spare_user = call("POST", "/api/v1/users", "admin", {"role": "auditor", "name": "Zapasowy"})["id"]
    school_agency = str(world.agencies["school"])

    def reader(name: str) -> str:
        return call("POST", "/api/v1/users", "admin", {"role": "submitter", "name": name, "agency_id": school_agency})[
            "id"
        ]

    ids.update(
        card=card,
        group=group,
        meeting=meeting,
        action=action,
        team_meeting=team_meeting,
        plan=plan,
        time_card=time_card,
        time_entry=time_entry,
        spare_user=spare_user,
        spare_admin=call("POST", "/api/v1/users", "admin", {"role": "admin", "name": "Zapasowy admin"})["id"],
        pending_user=reader("Oczekujący"),
        reset_user=reader("Do resetu"),
        leaving_user=reader("Odchodzący"),
        members=members,
        plan_body=plan_body(world),
        duplicate=new_child("Ola"),
        original=new_child("Ola"),
        to_erase=new_child("Ewa"),
        person_to_erase=call(
            "POST",
            "/api/v1/blue-cards",
            "police",
            {
                "incident_date": "2026-03-01",
                "place": "dom",
                "description": "Awantura.",
                "adult_victims": ["Maria"],
                "perpetrators": ["Piotr"],
            },
        )["perpetrator_ids"][0],
        school_agency=str(world.agencies["school"]),
        ops_agency=str(world.agencies["ops"]),
        police_agency=str(world.agencies["police"]),
    )
    leak_markers = {child, card, group, plan, time_card, ids["notice"], str(world.municipality_id)}
    yield client, users, ids, leak_markers, app
    services.close()


def test_every_endpoint_has_a_row(scene):
    app = scene[4]
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.rule not in PUBLIC
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(served - set(MATRIX))
    assert not missing, f"endpoints without a row in the access matrix: {missing}"
    assert not sorted(set(MATRIX) - served), "rows for endpoints that no longer exist"


def _send(client, method: str, path: str, headers: dict, body: object, query: dict):
    if isinstance(body, str):  # a CSV upload
        return client.open(
            path,
            method=method,
            headers={**headers, "Content-Type": "text/csv"},
            data=io.BytesIO(body.encode()),
            query_string=query,
        )
    return client.open(path, method=method, headers=headers, json=body, query_string=query)


def _verdict(expected: str, response, markers: set[str]) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if expected == "A" and status in (401, 403, 404):
        return f"refused with {status}: {response.get_data(as_text=True)[:200]}"
    if expected == "D" and status != 403:
        return f"expected 403, got {status}"
    if expected == "H" and status != 404:
        return f"expected 404, got {status}"
    if expected == "O":
        if status in (401, 403, 404):
            return f"refused with {status}"
        leaked = [m for m in markers if m in response.get_data(as_text=True)]
        if leaked:
            return f"leaked {leaked}"
    return None


# Reads first, then writes in the order listed (a later write may find the state moved on).
ORDER = sorted(MATRIX, key=lambda key: (key[0] != "GET", list(MATRIX).index(key)))


@pytest.mark.parametrize("endpoint", ORDER, ids=[f"{m} {r}" for m, r in ORDER])
def test_each_reader_gets_what_the_matrix_says(scene, endpoint):
    client, users, ids, markers, _ = scene
    cells, build_request = MATRIX[endpoint]
    wrong = {}
    # The allowed readers last, so a refused one meets the same state as the allowed one.
    for role in sorted(ROLES, key=lambda r: row(cells)[r] == "A"):
        path, body, query = build_request(ids)
        response = _send(client, endpoint[0], path, users[role].headers, body, query)
        problem = _verdict(row(cells)[role], response, markers)
        if problem:
            wrong[role] = problem
    assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
