"""One municipality cannot reach another's data through any id, on any route.

Municipality B is the demo gmina (children, signals, police notices, Blue Cards, a working
group with a meeting and an action, a help plan, a time card with entries, a team
meeting, agencies and users). Every user of municipality A - each role - then calls every
route of ``app.url_map`` that takes an id, with B's ids in the path (and a body that
passes validation where one can be made from the OpenAPI document), and every list route
with B's ids in its query parameters. No answer may be a 2xx or a 5xx, and no answer may
carry anything of B's: none of its ids (beyond those the caller sent) and none of its
children's names. A route added later is covered without editing this test; an id
parameter with a name not known here gets a B id of the closest kind or, failing that,
a random one (and the test lists which, so it can be taught).

The pages get the same treatment: each user of A signs in (password and CSRF token, as a
browser does) and opens every page route that takes an id with B's ids: 403 or 404,
never B's names or ids.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.demo.world import load_demo
from tests.conftest import Clock
from tests.worlds import PEOPLE

API = "/api/v1"
INTERVENTION = {
    "police_reference": "RSD-9/26",
    "place": "ul. Polna 3/4",
    "child_present": True,
    "child_said": "Schowałem się w pokoju.",
    "circumstances": "awantura domowa",
}
UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NOT_DATA = {
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/signal-kinds",
    "/api/v1/signals/import/example",
    "/api/v1/me",
    "/healthz",
    "/metrics",
}


@pytest.fixture
def clock():
    return Clock(datetime.now(UTC))  # the demo tells its story relative to now


def ids_in(answer) -> set[str]:
    return set(UUID_PATTERN.findall(answer.get_data(as_text=True)))


class ForeignMunicipality:
    """Municipality B (the demo), its ids by kind, and the personal strings it holds."""

    def __init__(self, client, services, now: datetime):
        demo = load_demo(services, now)
        tokens = {u["role"] if u["role"] != "submitter" else u["name"]: u["token"] for u in demo.users}
        self.headers = {k: {"Authorization": f"Bearer {t}"} for k, t in tokens.items()}
        police = next(v for k, v in self.headers.items() if "dzielnicowy" in k)
        school = next(v for k, v in self.headers.items() if "SP1" in k)
        chair, assistant, admin = self.headers["coordinator"], self.headers["family_assistant"], self.headers["admin"]
        self.names = {c["family_name"] for c in demo.children} | {c["given_name"] for c in demo.children}
        child = demo.children[0]["id"]

        def get(path: str, headers: dict) -> object:
            answer = client.get(API + path, headers=headers)
            assert answer.status_code == 200, (path, answer.json)
            return answer.json

        def post(path: str, headers: dict, body: dict) -> dict:
            answer = client.post(API + path, headers=headers, json=body)
            assert answer.status_code == 201, (path, answer.json)
            return answer.json

        post(
            f"/children/{child}/signals",
            police,
            {
                "kind": "domestic_intervention",
                "observed_at": (now - timedelta(hours=3)).isoformat(),
                "details": "interwencja",
                "intervention": INTERVENTION,
            },
        )
        groups = get("/working-groups", chair)
        group = groups[0]["id"]
        last_month = (now.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        time_cards = get(f"/time-cards?month={last_month}", assistant)
        card = get(f"/time-cards/{time_cards[0]['id']}", assistant)
        self.ids: dict[str, list[str]] = {
            "child_id": [c["id"] for c in demo.children],
            "signal_id": [s["id"] for s in get(f"/children/{child}/signals", chair)],
            "blue_card_id": [c["id"] for c in get("/blue-cards", chair)],
            "person_id": [p for c in get("/blue-cards", chair) for p in c["adult_victim_ids"] + c["perpetrator_ids"]],
            "group_id": [g["id"] for g in groups],
            "group_meeting_id": [m["id"] for m in get(f"/working-groups/{group}/meetings", chair)],
            "action_id": [a["id"] for a in get(f"/working-groups/{group}/actions", chair)],
            "plan_id": [p["id"] for p in get("/help-plans", assistant)],
            "time_card_id": [c["id"] for c in time_cards],
            "entry_id": [e["id"] for e in card["entries"]],
            "notice_id": [n["id"] for n in get("/notifications", school)],
            "team_meeting_id": [
                post(
                    "/team/meetings", chair, {"scheduled_for": (now + timedelta(days=2)).isoformat(), "place": "sala 2"}
                )["id"]
            ],
            "agency_id": [a["id"] for a in get("/agencies", admin)],
            "user_id": [u["id"] for u in get("/users", admin)],
        }
        missing = [kind for kind, found in self.ids.items() if not found]
        assert not missing, f"the demo gave no {missing}"
        self.all_ids = {i for found in self.ids.values() for i in found} | {str(demo.municipality_id)}
        self.all_ids |= {a["id"] for a in get("/children/" + child + "/timeline", chair)["entries"]}

    def id_for(self, rule: str, name: str, unknown: list[str]) -> str:
        """The first B id of the kind the route parameter names."""
        kind = name
        if name == "card_id":
            kind = "time_card_id" if "/time-cards/" in rule else "blue_card_id"
        elif name == "meeting_id":
            kind = "team_meeting_id" if "/team/" in rule else "group_meeting_id"
        if kind in self.ids:
            return self.ids[kind][0]
        unknown.append(f"{rule}: {name}")
        return str(uuid.uuid4())


def example(schema: dict, spec: dict, b: ForeignMunicipality, now: datetime, depth: int = 0) -> object:
    """A value for a schema of the OpenAPI document: required properties only, plausible values."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        return example(schema["allOf"][0], spec, b, now, depth)
    if schema.get("enum"):
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        props = schema.get("properties", {})
        return {k: example(props[k], spec, b, now, depth + 1) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return [example(schema.get("items", {}), spec, b, now, depth + 1)] if schema.get("minItems") else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if fmt == "uuid":
        return b.ids["child_id"][0]
    if fmt == "date-time":
        return (now - timedelta(days=1)).isoformat()
    if fmt == "date":
        return (now - timedelta(days=1)).date().isoformat()
    return "x"


def test_no_route_gives_one_municipality_another_municipalitys_data(app, client, services, world, clock):
    b = ForeignMunicipality(client, services, clock())
    spec = client.get(f"{API}/openapi.json").json
    a_users = {label: world.users[label] for label in PEOPLE}
    unknown: list[str] = []
    tried = reached_policy = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API) or rule.rule in NOT_DATA or "<path:" in rule.rule:
            continue
        params = {name: b.id_for(rule.rule, name, unknown) for name in rule.arguments}
        path = rule.rule
        for name, value in params.items():
            path = re.sub(rf"<[^>]*:{name}>", value, path)
        openapi_path = re.sub(r"<(?:[^>:]*:)?([^>]*)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            operation = spec["paths"].get(openapi_path, {}).get(method.lower(), {})
            query = {
                p["name"]: b.ids["child_id"][0] if p.get("schema", {}).get("format") == "uuid" else None
                for p in operation.get("parameters", [])
                if p.get("in") == "query"
            }
            query = {k: v for k, v in query.items() if v}
            body = None
            if method == "POST":
                content = operation.get("requestBody", {}).get("content", {})
                body = (
                    example(content["application/json"]["schema"], spec, b, clock())
                    if "application/json" in content
                    else {}
                )
            for label, user in a_users.items():
                if not params and not query:
                    continue  # a plain list route: checked below for B's ids in the answer
                headers = {**user.headers, "Idempotency-Key": f"iso-{tried}"}
                answer = client.open(
                    path, method=method, headers=headers, query_string=query, json=body if method == "POST" else None
                )
                tried += 1
                where = f"{label} {method} {path} {query or ''}"
                assert answer.status_code < 500, f"{where}: {answer.status_code} {answer.json}"
                assert not 200 <= answer.status_code < 300 or not params, (
                    f"{where}: {answer.status_code} {json.dumps(answer.json)[:300]}"
                )
                leaked = (ids_in(answer) & b.all_ids) - set(params.values()) - set(query.values())
                assert not leaked, f"{where} answered B's ids {leaked}"
                text = answer.get_data(as_text=True)
                assert not [n for n in b.names if n in text], f"{where} answered B's names"
                if params and method == "GET":
                    assert answer.status_code in (403, 404), f"{where}: {answer.status_code}"
                if answer.status_code in (403, 404):
                    reached_policy += 1
    # every list route, as every user of A: nothing of B's in it
    for rule in app.url_map.iter_rules():
        if rule.arguments or not rule.rule.startswith(API) or rule.rule in NOT_DATA or "GET" not in rule.methods:
            continue
        for label, user in a_users.items():
            answer = client.get(rule.rule, headers=user.headers)
            assert answer.status_code < 500, (label, rule.rule, answer.json)
            assert not ids_in(answer) & b.all_ids, f"{label} GET {rule.rule} answered B's ids"
            assert not [n for n in b.names if n in answer.get_data(as_text=True)], (label, rule.rule)
    print(
        f"{tried} cross-municipality calls, {reached_policy} refused by the access policy (403/404), "
        f"the rest by validation; parameters with no known kind: {unknown}"
    )
    assert tried > 300 and reached_policy > tried / 2
    assert not unknown, f"teach this test the kind of these ids: {unknown}"


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its lowest cost for the test's passwords: the same code path, faster."""
    from argon2 import PasswordHasher

    import services.usecases.accounts as accounts

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("no such login"))


def test_no_page_shows_one_municipality_another_municipalitys_data(app, client, services, world, clock, cheap_hashes):

    b = ForeignMunicipality(client, services, clock())
    accounts = services.accounts
    password = "Bardzo-Tajne-Hasło-1"
    checked = 0
    for label, user in world.users.items():
        accounts.set_password(user.id, password, f"a-{label}")
        browser = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/sign-in").get_data(as_text=True))
        assert token, "the sign-in page has a CSRF token"
        signed = browser.post(
            "/sign-in", data={"login": f"a-{label}", "password": password, "csrf_token": token.group(1)}
        )
        assert signed.status_code == 302, (label, signed.status_code)
        page = browser.get("/start")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith("/api/") or not rule.arguments or "<path:" in rule.rule:
                continue
            unknown: list[str] = []
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<[^>]*:{name}>", b.id_for(rule.rule, name, unknown), path)
            assert not unknown, f"teach this test the kind of these ids: {unknown}"
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"csrf_token": csrf.group(1)} if method == "POST" and csrf else None
                answer = browser.open(path, method=method, data=data)
                checked += 1
                where = f"{label} {method} {path}"
                assert answer.status_code in (403, 404), f"{where}: {answer.status_code}"
                text = answer.get_data(as_text=True)
                assert not [n for n in b.names if n in text], f"{where} shows B's names"
                assert not (set(UUID_PATTERN.findall(text)) & b.all_ids) - set(UUID_PATTERN.findall(path)), (
                    f"{where} shows B's ids"
                )
    assert checked >= 9 * 10
