"""One family's case across every kind of record, for the erasure tests of issue 21.

A child and two adults (a victim and a suspected perpetrator) in a Blue Card, a working
group named after the family with a meeting (place, minutes, decision) and an action, a
help plan, a time-card entry and a police notice. Every text carries a marker no other
data in a test holds, so "no byte of it anywhere" is a plain search for the marker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from domain.pesel import make_pesel

API = "/api/v1"
PESEL = make_pesel(date(2014, 3, 12), 7391)
CHILD_GIVEN, CHILD_FAMILY = "Xymena", "Qwertowska"
ADULT_VICTIM, PERPETRATOR = "Anna Qwertowska", "Jan Qwertowski"

#: Texts about the child (and the family) that must be gone once the child is erased.
CHILD_TEXTS = {
    "child given name": "Xymena",
    "child family name": "Qwertowska",
    "PESEL": PESEL,
    "signal details": "QXSIGNAL ojciec bije",
    "correction reason": "QXCORRECT",
    "notice place": "QXNOTICE ul. Polna",
    "card place": "QXPLACE ul. Lipowa",
    "card description": "QXDESC ojciec bije",
    "group name": "QXGROUP Rodzina",
    "meeting place": "QXMEETPLACE",
    "minutes": "QXMINUTES",
    "decision": "QXDECISION",
    "action": "QXACTION wizyta",
    "plan household": "QXHOUSEHOLD",
    "plan goal": "QXGOAL",
    "plan strength": "QXSWOT",
    "plan action": "QXPLANACTION",
    "time-card place": "QXTIMEPLACE",
    "time-card topic": "QXTOPIC",
}
#: The erased adult's name (the victim); the perpetrator is not erased.
ADULT_TEXTS = {"adult victim name": ADULT_VICTIM}


@dataclass
class Case:
    """The ids of the case's records."""

    child: str
    card: dict
    group: str
    meeting: str
    action: str
    plan: str
    time_card: str
    notices: list[str] = field(default_factory=list)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.json)
    return response.json


def done(response) -> dict:
    assert response.status_code < 300, (response.status_code, response.json)
    return response.json


def build_case(client, world) -> Case:
    """Record the family's case through the API, as the agencies would."""
    u = world.users
    child = ok(
        client.post(
            f"{API}/children",
            headers=u["school"].headers,
            json={
                "given_name": CHILD_GIVEN,
                "family_name": CHILD_FAMILY,
                "date_of_birth": "2014-03-12",
                "pesel": PESEL,
            },
        ),
        201,
    )["id"]
    signal = ok(
        client.post(
            f"{API}/children/{child}/signals",
            headers=u["school"].headers,
            json={
                "kind": "behaviour_change",
                "observed_at": "2026-03-02T08:00:00",
                "details": CHILD_TEXTS["signal details"],
            },
        ),
        201,
    )
    done(
        client.post(
            f"{API}/children/{child}/signals/{signal['id']}/corrections",
            headers=u["school"].headers,
            json={"details": CHILD_TEXTS["signal details"] + " (2)", "reason": CHILD_TEXTS["correction reason"]},
        )
    )
    notice = ok(
        client.post(
            f"{API}/children/{child}/signals",
            headers=u["police"].headers,
            json={
                "kind": "domestic_intervention",
                "observed_at": "2026-03-02T22:00:00",
                "intervention": {
                    "police_reference": "RSD-9/26",
                    "place": CHILD_TEXTS["notice place"],
                    "child_present": True,
                },
            },
        ),
        201,
    )
    card = ok(
        client.post(
            f"{API}/blue-cards",
            headers=u["police"].headers,
            json={
                "incident_date": "2026-03-01",
                "place": CHILD_TEXTS["card place"],
                "description": CHILD_TEXTS["card description"],
                "child_victim_ids": [child],
                "adult_victims": [ADULT_VICTIM],
                "perpetrators": [PERPETRATOR],
            },
        ),
        201,
    )
    ok(client.post(f"{API}/blue-cards/{card['id']}/forward", headers=u["police"].headers, json={}))
    group = ok(
        client.post(
            f"{API}/working-groups",
            headers=u["coordinator"].headers,
            json={
                "name": CHILD_TEXTS["group name"] + " Qwertowskich",
                "members": [
                    {"user_id": str(u[label].id), "function": label} for label in ("case_worker", "police", "school")
                ],
                "blue_card_id": card["id"],
            },
        ),
        201,
    )["id"]
    case_worker = u["case_worker"].headers
    meeting = ok(
        client.post(
            f"{API}/working-groups/{group}/meetings",
            headers=case_worker,
            json={"scheduled_for": "2026-03-04T10:00:00", "place": CHILD_TEXTS["meeting place"]},
        ),
        201,
    )["id"]
    done(
        client.post(
            f"{API}/working-groups/{group}/meetings/{meeting}/minutes",
            headers=case_worker,
            json={"minutes": CHILD_TEXTS["minutes"], "attendees": [{"agency_id": str(world.agencies["police"])}]},
        )
    )
    done(
        client.post(
            f"{API}/working-groups/{group}/meetings/{meeting}/decisions",
            headers=case_worker,
            json={"text": CHILD_TEXTS["decision"]},
        )
    )
    action = ok(
        client.post(
            f"{API}/working-groups/{group}/actions",
            headers=case_worker,
            json={
                "description": CHILD_TEXTS["action"] + " u Qwertowskich",
                "due_on": "2026-03-25",
                "owner_agency_id": str(world.agencies["police"]),
            },
        ),
        201,
    )["id"]
    plan = ok(
        client.post(
            f"{API}/help-plans",
            headers=u["family_assistant"].headers,
            json={"child_ids": [child], "household": CHILD_TEXTS["plan household"], "plan": _plan(world)},
        ),
        201,
    )["id"]
    time_card = ok(
        client.post(f"{API}/time-cards", headers=u["family_assistant"].headers, json={"month": "2026-03"}), 201
    )["id"]
    ok(
        client.post(
            f"{API}/time-cards/{time_card}/entries",
            headers=u["family_assistant"].headers,
            json={
                "date": "2026-03-02",
                "start": "09:00",
                "end": "10:00",
                "place": CHILD_TEXTS["time-card place"],
                "topic": CHILD_TEXTS["time-card topic"],
                "child_ids": [child],
            },
        ),
        201,
    )
    return Case(
        child=child,
        card=card,
        group=group,
        meeting=meeting,
        action=action,
        plan=plan,
        time_card=time_card,
        notices=[n["id"] for n in notice.get("notified", [])],
    )


def _plan(world) -> dict:
    return {
        "swot": {
            "strengths": [CHILD_TEXTS["plan strength"] + " matka współpracuje"],
            "weaknesses": ["zaległości w czynszu"],
            "opportunities": ["miejsce w świetlicy"],
            "threats": ["nadużywanie alkoholu przez ojca"],
        },
        "main_goal": CHILD_TEXTS["plan goal"] + " bezpieczny dom",
        "long_term_goals": ["ojciec kończy terapię"],
        "short_term_goals": ["nauka"],
        "actions": [
            {"party": "family", "description": CHILD_TEXTS["plan action"] + " świetlica", "due": "2026-03-10"},
        ],
        "next_evaluation": "2026-04-01",
    }


def erase_child(client, world, child: str) -> None:
    """The coordinator asks, the auditor approves."""
    ok(
        client.post(
            f"{API}/children/{child}/erasure",
            headers=world.users["coordinator"].headers,
            json={"ground": "authorised_request", "reference": "ZI/21"},
        ),
        202,
    )
    ok(client.post(f"{API}/children/{child}/erasure/approval", headers=world.users["auditor"].headers, json={}))


def files_holding(folder: Path, texts: dict[str, str]) -> list[str]:
    """``label in file`` for every marker found in any byte of any file under ``folder`` (UTF-8 and UTF-16)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for label, text in texts.items():
            if any(form in data for form in (text.encode(), text.encode("utf-16-le"))):
                found.append(f"{label} in {path.relative_to(folder)}")
    return found
