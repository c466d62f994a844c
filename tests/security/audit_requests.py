"""The requests of the audit-completeness test (tests/security/test_audit_completeness.py).

Most operations are called with the access matrix's request (its scene, its builders); the
ones here need a state or a body the matrix does not make for the child data to show (a
near-identical name, a dry run matching a pupil, a card not yet forwarded, a submitted time
card), and the writes go in an order the procedure allows.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

#: A row the import matches to the world's child (Kacper Wiśniewski, 12.03.2014).
KACPER_ROW = (
    "given_name,family_name,date_of_birth,kind,observed_at,days,details\n"
    "Kacper,Wiśniewski,2014-03-12,missed_remote_learning,2026-03-02,3,\n"
)


@dataclass
class Call:
    """One request as a reader makes it."""

    reader: str
    path: str
    body: Any = None
    query: dict = field(default_factory=dict)
    prepare: Callable[[], None] | None = None
    restore: Callable[[], None] | None = None


@dataclass
class World:
    client: Any
    users: dict
    ids: dict
    app: Any
    children: set[str]

    @property
    def services(self):
        return self.app.extensions["safehub"]

    def call(self, method: str, path: str, who: str, body: object = None, **query: str) -> dict:
        """A request of the world's set-up; it must succeed."""
        response = send(self.client, method, path, self.users[who].headers, body, query)
        assert response.status_code < 300, (method, path, response.status_code, response.get_data(as_text=True))
        return response.json

    def last_read(self) -> str:
        rows = self.services.read_audit.table.query("SELECT MAX(read_id) AS last FROM read_audit")
        return rows[0]["last"] or ""

    def children_read_since(self, last: str) -> set[str]:
        rows = self.services.read_audit.table.query("SELECT child_id FROM read_audit WHERE read_id > ?", (last,))
        return {r["child_id"] for r in rows}


def send(client, method: str, path: str, headers: dict, body: object, query: dict):
    if isinstance(body, str):  # a CSV upload
        return client.open(
            path,
            method=method,
            headers={**headers, "Content-Type": "text/csv"},
            data=io.BytesIO(body.encode()),
            query_string=query,
        )
    return client.open(path, method=method, headers=headers, json=body, query_string=query)


#: Readers chosen by hand: the coordinator lists only escalated notices, and imports no school's signals.
READER = {
    ("GET", "/api/v1/notifications"): "school",
    ("GET", "/notifications"): "school",
    ("POST", "/import"): "school",
}


def _new_card(world: World, forwarded: bool) -> str:
    card = world.call(
        "POST",
        "/api/v1/blue-cards",
        "police",
        {
            "incident_date": "2026-03-01",
            "place": "ul. Polna 3",
            "description": "Druga interwencja.",
            "child_victim_ids": [world.ids["child"]],
            "adult_victims": ["Anna"],
            "perpetrators": ["Jan"],
        },
    )["id"]
    if forwarded:
        world.call("POST", f"/api/v1/blue-cards/{card}/forward", "police", {})
    return card


def _forward(world: World) -> Call:
    card = _new_card(world, forwarded=False)
    world.ids["unforwarded_card"] = card
    return Call("coordinator", f"/api/v1/blue-cards/{card}/forward", {})


def _assign_group(world: World) -> Call:
    card = _new_card(world, forwarded=True)
    group = world.call(
        "POST", "/api/v1/working-groups", "coordinator", {"name": "Druga", "members": world.ids["members"]}
    )
    return Call("coordinator", f"/api/v1/blue-cards/{card}/group", {"group_id": group["id"]})


def _open_group(world: World) -> Call:
    card = _new_card(world, forwarded=True)
    body = {"name": "Trzecia", "members": world.ids["members"], "blue_card_id": card}
    return Call("coordinator", "/api/v1/working-groups", body)


def _time_card_decision(decision: str, body: dict) -> Callable[[World], Call]:
    def build(world: World) -> Call:
        card = world.ids["time_card"]

        def submit() -> None:
            world.call("POST", f"/api/v1/time-cards/{card}/submission", "family_assistant", {})

        return Call("coordinator", f"/api/v1/time-cards/{card}/{decision}", body, prepare=submit)

    return build


def _evaluate(world: World) -> Call:
    plan = world.call("GET", f"/api/v1/help-plans/{world.ids['plan']}", "family_assistant")
    first = plan["plan"]["actions"][0]["id"]
    body = {"held_on": "2026-03-03", "results": {first: "done"}, "situation": "Bez zmian."}
    return Call("case_worker", f"/api/v1/help-plans/{world.ids['plan']}/evaluations", body)


def _programme_cases(world: World) -> Call:
    """The cases behind a figure, for a period that holds the world's events (recorded at the real time).

    The report counts what was recorded by the end of the period and by the clock's now; the
    scene's clock stands at its start, so it is moved past the real time for this one call.
    """
    clock = world.services.deadlines.clock
    kept, real = clock.now, datetime.now(UTC)
    span = {
        "from": (real - timedelta(days=300)).date().isoformat(),
        "to": (real + timedelta(days=1)).date().isoformat(),
    }

    def forward() -> None:
        clock.now = real + timedelta(days=2)

    def back() -> None:
        clock.now = kept

    query = {"indicator": "cards_conducted", **span}
    return Call("coordinator", "/api/v1/reports/programme/cases", None, query, prepare=forward, restore=back)


def _retention_due(world: World) -> Call:
    """Children due for erasure: none in the scene's year, so the daily job runs decades later for this call."""
    clock = world.services.retention.clock
    kept = clock.now

    def forward() -> None:
        clock.now = datetime(2070, 1, 2, tzinfo=UTC)
        assert world.services.retention.run()["due"], "no child of the world fell due by 2070"

    def back() -> None:
        clock.now = kept

    return Call("coordinator", "/api/v1/retention/due", None, {}, prepare=forward, restore=back)


#: Operations whose child data shows only in a state the access matrix's request does not make.
SPECIAL: dict[tuple[str, str], Callable[[World], Call]] = {
    # a near-identical name: the answer lists the world's Kacper as a likely duplicate
    ("POST", "/api/v1/children"): lambda w: Call(
        "coordinator",
        "/api/v1/children",
        {"given_name": "Kacper", "family_name": "Wiśniewsky", "date_of_birth": "2014-03-12"},
    ),
    # a dry run's report names the child each row matched
    ("POST", "/api/v1/signals/import"): lambda w: Call(
        "school", "/api/v1/signals/import", KACPER_ROW, {"dry_run": "true"}
    ),
    ("POST", "/api/v1/blue-cards/{card_id}/forward"): _forward,
    ("POST", "/api/v1/blue-cards/{card_id}/group"): _assign_group,
    ("POST", "/api/v1/working-groups"): _open_group,
    ("POST", "/api/v1/help-plans/{plan_id}/evaluations"): _evaluate,
    ("GET", "/api/v1/reports/programme/cases"): _programme_cases,
    ("GET", "/api/v1/retention/due"): _retention_due,
    ("POST", "/api/v1/time-cards/{card_id}/return"): _time_card_decision("return", {"reason": "brak wpisu"}),
    ("POST", "/api/v1/time-cards/{card_id}/acceptance"): _time_card_decision("acceptance", {}),
}

#: The writes in an order the procedure allows (a card is closed after its forms; a time card
#: is returned, then submitted again and accepted); writes not named here come after these.
WRITE_ORDER = (
    ("POST", "/api/v1/children"),
    ("POST", "/api/v1/signals/import"),
    ("POST", "/api/v1/blue-cards/{card_id}/forward"),
    ("POST", "/api/v1/blue-cards/{card_id}/group"),
    ("POST", "/api/v1/working-groups"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-b"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-c"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-d"),
    ("POST", "/api/v1/blue-cards/{card_id}/monitoring"),
    ("POST", "/api/v1/blue-cards/{card_id}/closure"),
    ("POST", "/api/v1/blue-cards/{card_id}/reviews"),
    ("POST", "/api/v1/working-groups/{group_id}/meetings/{meeting_id}/minutes"),
    ("POST", "/api/v1/working-groups/{group_id}/actions/{action_id}/done"),
    ("POST", "/api/v1/help-plans/{plan_id}/revisions"),
    ("POST", "/api/v1/help-plans/{plan_id}/evaluations"),
    ("POST", "/api/v1/time-cards/{card_id}/return"),
    ("POST", "/api/v1/time-cards/{card_id}/acceptance"),
    ("POST", "/api/v1/notifications/{notice_id}/delivery"),
    ("POST", "/api/v1/notifications/{notice_id}/acknowledgement"),
    ("POST", "/api/v1/children/{child_id}/merge"),  # last: the world's spare children become one
)


#: Pages whose child data shows only with a request the page matrix does not make.
PAGE_SPECIAL: dict[tuple[str, str], Callable[[dict], tuple[str, dict | None, dict]]] = {
    ("POST", "/import"): lambda ids: (
        "/import",
        {"dry_run": "y", "file": (io.BytesIO(KACPER_ROW.encode()), "eksport.csv")},
        {},
    ),
}
