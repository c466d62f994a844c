"""Finding 2, made impossible to forget: every operation and page that hands out child data leaves a line.

Reads leaving no read-audit line were found one by one (group meetings and actions,
agendas, deadlines, help plans, time cards, the groups list, duplicate lookups, import dry
runs, the records returned by writes). Instead of trusting a list, this test walks what
the application serves: every operation of the OpenAPI document the app serves at
``/api/v1/openapi.json`` and every page rule of the web blueprints, in a world with data
(children with signals of several agencies, a Blue Card with its working group, meetings,
actions, a help plan, a time card, a police notice, an import).

* Each operation and page must be classified in tests/security/audit_classes.py; a new one
  without a class fails here, asking for it.
* Each one classed ``child_data`` is called by a reader allowed to (the coordinator, or a
  group member, a recipient or a family assistant as the access matrix says) with its path
  filled from the world; it must answer 2xx (a page: below 400) AND the read log must gain
  a line naming a child of the world.

Every failing operation is collected and reported in one message, so one run shows all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.api.test_access_matrix import MATRIX, ROLES, scene  # noqa: F401 - the shared scene fixture
from tests.functional.web.test_page_matrix import PAGES, browsers  # noqa: F401 - signed-in browsers per role
from tests.security.audit_classes import (
    API_CHILD_DATA,
    API_EXCEPTIONS,
    CHILD_DATA,
    PAGE_CHILD_DATA,
    PAGE_EXCEPTIONS,
    classify,
)
from tests.security.audit_requests import KACPER_ROW, PAGE_SPECIAL, READER, SPECIAL, WRITE_ORDER, Call, World, send

#: Who calls an operation: the first of these the access matrix lets in.
PREFERENCE = ("coordinator", "case_worker", "school", "police", "family_assistant", "health", "auditor")
#: Page rules that are not the web blueprints' pages.
NOT_PAGES = ("/api/", "/static/")
NOT_PAGE_RULES = {"/healthz", "/metrics"}


@pytest.fixture(scope="module")
def world(scene):  # noqa: F811 - the fixture imported above
    """The access matrix's scene, and what it lacks: a health signal, an import, an overdue action."""
    client, users, ids, _markers, app = scene
    built = World(client, users, ids, app, set())
    child = ids["child"]
    built.call(
        "POST",
        f"/api/v1/children/{child}/signals",
        "health",
        {"kind": "health_referral", "observed_at": "2026-03-01T10:00:00", "details": "Leczenie matki."},
    )
    built.call("POST", "/api/v1/signals/import", "school", KACPER_ROW)
    overdue = {"party": "family", "description": "zapisać Kacpra do poradni", "due": "2026-02-20"}
    plan = {**ids["plan_body"], "actions": [overdue]}
    body = {"child_ids": [child], "household": "Wiśniewscy", "plan": plan}
    built.call("POST", "/api/v1/help-plans", "family_assistant", body)  # an action overdue
    request = {"ground": "authorised_request", "reference": "DPO/2026/9"}
    built.call("POST", f"/api/v1/children/{ids['to_erase']}/erasure", "coordinator", request)  # /erasures lists it
    built.children = {ids[k] for k in ("child", "duplicate", "original", "to_erase")}
    return built


def to_rule(path: str) -> str:
    """The URL rule of an OpenAPI path: ``{child_id}`` back to ``<uuid:child_id>``."""
    return re.sub(r"\{(\w+)\}", r"<uuid:\1>", path)


def first_allowed(key: tuple[str, str], cells: str | None) -> str:
    if key in READER:
        return READER[key]
    if cells is None:
        return "coordinator"
    allowed = {role for role, cell in zip(ROLES, cells, strict=True) if cell == "A"}
    return next((r for r in PREFERENCE if r in allowed), "coordinator")


# --- the API ---------------------------------------------------------------------------------


def api_call(world: World, method: str, path: str) -> Call | str:
    """How to call an operation classed as child data (a request builder of the access matrix, or one here)."""
    ids = world.ids
    special = SPECIAL.get((method, path))
    if special is not None:
        return special(world)
    found = MATRIX.get((method, to_rule(path)))
    if found is None:
        return "no request for it in the access matrix (tests/functional/api/test_access_matrix.py)"
    cells, build = found
    url, body, query = build(ids)
    return Call(first_allowed((method, path), cells), url, body, query)


def served_operations(world: World) -> list[tuple[str, str]]:
    document = world.client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    return [
        (method.upper(), path)
        for path, operations in document.json["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def in_call_order(operations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Reads first, then the writes in the order the procedure allows."""

    def key(op: tuple[str, str]) -> tuple[int, int]:
        if op[0] == "GET":
            return (0, operations.index(op))
        return (1, WRITE_ORDER.index(op) if op in WRITE_ORDER else len(WRITE_ORDER) + operations.index(op))

    return sorted(operations, key=key)


def check(world: World, call: Callable[[], Any], ok: Callable[[int], bool]) -> str | None:
    """Make the call; the problem with it (no success, or no line naming a child of the world), or None."""
    last = world.last_read()
    response = call()
    if not ok(response.status_code):
        return f"answered {response.status_code}: {response.get_data(as_text=True)[:160]}"
    if not world.children_read_since(last) & world.children:
        return "answered, but the read log gained no line naming a child of the world"
    return None


def try_operation(world: World, method: str, path: str) -> str | None:
    """Call one child-data operation as planned; what went wrong, or None."""
    planned = api_call(world, method, path)
    if isinstance(planned, str):
        return planned
    try:
        if planned.prepare is not None:
            planned.prepare()
    except AssertionError as e:  # the world could not be set up for this one
        return f"could not be set up: {str(e)[:200]}"
    headers = world.users[planned.reader].headers
    try:
        problem = check(
            world,
            lambda: send(world.client, method, planned.path, headers, planned.body, planned.query),
            lambda status: 200 <= status < 300,
        )
    finally:
        if planned.restore is not None:
            planned.restore()
    return f"as {planned.reader}: {problem}" if problem else None


def test_every_api_operation_is_classified_and_each_child_data_one_leaves_a_line(world):
    operations = served_operations(world)
    unclassified = [f"{m} {p}" for m, p in operations if classify(API_CHILD_DATA, API_EXCEPTIONS, (m, p)) is None]
    failing: dict[str, str] = {}
    for method, path in in_call_order(operations):
        if classify(API_CHILD_DATA, API_EXCEPTIONS, (method, path)) != CHILD_DATA:
            continue
        try:
            problem = try_operation(world, method, path)
        except AssertionError as e:  # a special request's set-up failed
            problem = f"could not be set up: {str(e)[:200]}"
        if problem:
            failing[f"{method} {path}"] = problem
    stale = sorted(f"{m} {p}" for m, p in (*API_CHILD_DATA, *API_EXCEPTIONS) if (m, p) not in set(operations))
    report = []
    if unclassified:
        report.append(
            "operations without a class: classify each in tests/security/audit_classes.py "
            "(child_data, or an exception with its reason):\n  " + "\n  ".join(unclassified)
        )
    if failing:
        report.append(
            f"{len(failing)} child-data operations leave no read-audit line (or do not answer):\n  "
            + "\n  ".join(f"{k}: {v}" for k, v in failing.items())
        )
    if stale:
        report.append("classified operations the app no longer serves:\n  " + "\n  ".join(stale))
    if report:
        pytest.fail("\n".join(report), pytrace=False)


# --- the pages ---------------------------------------------------------------------------------


def served_pages(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(NOT_PAGES) and rule.rule not in NOT_PAGE_RULES
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def page_request(browser, method: str, path: str, data: dict | None, query: dict):
    if method == "GET":
        return browser.get(path, query_string=query)
    token_page = browser.get("/start").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
    return browser.post(
        path,
        data={"csrf_token": token, **(data or {})},
        content_type="multipart/form-data" if data and "file" in data else None,
    )


def test_every_page_is_classified_and_each_child_data_one_leaves_a_line(world, browsers):  # noqa: F811
    signed_in, ids, _markers, app = browsers
    pages = served_pages(app)
    unclassified = [f"{m} {r}" for m, r in pages if classify(PAGE_CHILD_DATA, PAGE_EXCEPTIONS, (m, r)) is None]
    failing: dict[str, str] = {}
    for method, rule in sorted(pages, key=lambda p: p[0] != "GET"):
        if classify(PAGE_CHILD_DATA, PAGE_EXCEPTIONS, (method, rule)) != CHILD_DATA:
            continue
        label = f"{method} {rule}"
        found = PAGES.get((method, rule))
        build = PAGE_SPECIAL.get((method, rule)) or (found[1] if found else None)
        if build is None:
            failing[label] = "no request for it in the page matrix (tests/functional/web/test_page_matrix.py)"
            continue
        reader = first_allowed((method, rule), found[0] if found else None)
        path, data, query = build(ids)
        problem = check(
            world,
            lambda b=signed_in[reader], m=method, p=path, d=data, q=query: page_request(b, m, p, d, q),
            lambda status: status < 400,
        )
        if problem:
            failing[label] = f"as {reader}: {problem}"
    stale = sorted(f"{m} {r}" for m, r in (*PAGE_CHILD_DATA, *PAGE_EXCEPTIONS) if (m, r) not in set(pages))
    report = []
    if unclassified:
        report.append(
            "pages without a class: classify each in tests/security/audit_classes.py:\n  " + "\n  ".join(unclassified)
        )
    if failing:
        report.append(
            f"{len(failing)} child-data pages leave no read-audit line (or do not answer):\n  "
            + "\n  ".join(f"{k}: {v}" for k, v in failing.items())
        )
    if stale:
        report.append("classified pages the app no longer serves:\n  " + "\n  ".join(stale))
    if report:
        pytest.fail("\n".join(report), pytrace=False)
