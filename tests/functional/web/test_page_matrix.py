"""The authorisation matrix of the web pages: every page, every reader, signed in as a person.

The same scene and the same cells as ``tests/api/test_access_matrix.py`` (``A`` allowed,
``D`` 403, ``H`` 404, ``O`` own municipality's data only); a page that is allowed answers
below 400 (a form that succeeds redirects). ``test_every_page_has_a_row`` fails when a page
is added without one. Sign-in, sign-out, the language switch and the static assets are for
everyone and are tested in ``test_sign_in.py``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import pytest

from tests.functional.api.test_access_matrix import ROLES, row, scene  # noqa: F401 - the shared scene fixture
from tests.functional.web.conftest import PASSWORD, csrf_of

OPEN_TO_ALL = {"/", "/sign-in", "/sign-out", "/language", "/activation", "/assets/<path:filename>"}

Request = Callable[[dict], tuple[str, dict | None, dict]]
PAGES: dict[tuple[str, str], tuple[str, Request]] = {}


def page(method: str, rule: str, cells: str, build: Request) -> None:
    PAGES[(method, rule)] = (cells, build)


def at(path_of: Callable[[dict], str], **query: str) -> Request:
    return lambda ids: (path_of(ids), None, {k: v.format(**ids) for k, v in query.items()})


def form(path_of: Callable[[dict], str], data: Callable[[dict], dict]) -> Request:
    return lambda ids: (path_of(ids), data(ids), {})


page("GET", "/start", "A" * 9, at(lambda i: "/start"))
page("GET", "/children", "DAAAAAAAO", at(lambda i: "/children"))
# The search is posted (a PESEL never travels in a URL); the coordinator of another
# municipality finds nothing of this one.
page("POST", "/children", "DAAAAAAAO", form(lambda i: "/children", lambda i: {"pesel": i["pesel"]}))
page(
    "POST",
    "/children/new",
    "DDAAAAAAO",
    form(
        lambda i: "/children/new",
        lambda i: {"given_name": "Ola", "family_name": "Nowak", "date_of_birth": "2015-05-14"},
    ),
)
page("GET", "/children/<uuid:child_id>", "DAAAAAAAH", at(lambda i: f"/children/{i['child']}"))
page("GET", "/children/<uuid:child_id>/signals/new", "DDAAAAAAH", at(lambda i: f"/children/{i['child']}/signals/new"))
page(
    "POST",
    "/children/<uuid:child_id>/signals/new",
    "DDAAAAAAH",
    form(
        lambda i: f"/children/{i['child']}/signals/new",
        lambda i: {
            "kind": "disclosure_by_child",
            "observed_at": "2026-03-02T10:00",
            "details": "",
            "severity": "",
            "days": "",
        },
    ),
)
page("GET", "/import", "DDAAAAAAA", at(lambda i: "/import"))
page(
    "POST",
    "/import",
    "DDAAAAAAO",
    form(
        lambda i: "/import",
        lambda i: {
            "file": (
                io.BytesIO(
                    b"given_name,family_name,date_of_birth,kind,observed_at,days,details\n"
                    b"Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n"
                ),
                "eksport.csv",
            )
        },
    ),
)
page("GET", "/import/example.csv", "A" * 9, at(lambda i: "/import/example.csv"))
page("GET", "/notifications", "DDAAAAAAO", at(lambda i: "/notifications"))
page("GET", "/notifications/<uuid:notice_id>", "DDAAHHHHH", at(lambda i: f"/notifications/{i['notice']}"))
page(
    "POST",
    "/notifications/<uuid:notice_id>",
    "DDADHHHDD",
    form(lambda i: f"/notifications/{i['notice']}", lambda i: {"note": "przyjęto"}),
)
page("GET", "/groups", "DAAAAAAAO", at(lambda i: "/groups"))
page("GET", "/groups/<uuid:group_id>", "DAAAHAHAH", at(lambda i: f"/groups/{i['group']}"))
page(
    "GET",
    "/groups/<uuid:group_id>/meetings/<uuid:meeting_id>",
    "DAAAHAHAH",
    at(lambda i: f"/groups/{i['group']}/meetings/{i['meeting']}"),
)
page("GET", "/groups/<uuid:group_id>/agenda", "DAAAHAHAH", at(lambda i: f"/groups/{i['group']}/agenda"))
page("GET", "/team/agenda", "DADDDDDAO", at(lambda i: "/team/agenda"))
page("GET", "/deadlines", "DADDDAAAO", at(lambda i: "/deadlines"))
page(
    "GET",
    "/children/<uuid:child_id>/subject-access",
    "DADDDDDAH",
    at(lambda i: f"/children/{i['child']}/subject-access"),
)
page(
    "GET",
    "/persons/<uuid:person_id>/subject-access",
    "DADDDDDAH",
    at(lambda i: f"/persons/{i['adult']}/subject-access"),
)
# The coordinator confirms an erasure the schedule lists (the world's child is not due: refused, nothing erased).
page(
    "POST",
    "/retention/<uuid:child_id>/erasure",
    "DDDDDDDAH",
    form(lambda i: f"/retention/{i['child']}/erasure", lambda i: {}),
)
# Erasure on the pages: the coordinator asks (pending), the auditor approves (the coordinator then meets an
# erased record: nothing changes); the list of pending requests is the coordinator's and the auditor's.
page("GET", "/erasures", "DADDDDDAO", at(lambda i: "/erasures"))
page(
    "POST",
    "/children/<uuid:child_id>/erasure",
    "DDDDDDDAH",
    form(
        lambda i: f"/children/{i['to_erase']}/erasure",
        lambda i: {"ground": "authorised_request", "reference": "DPO/2026/7"},
    ),
)
page(
    "POST",
    "/erasures/<uuid:child_id>/approval",
    "DADDDDDAH",
    form(lambda i: f"/erasures/{i['to_erase']}/approval", lambda i: {}),
)
page("GET", "/blue-cards", "DAAAAAAAO", at(lambda i: "/blue-cards"))
page("GET", "/blue-cards/<uuid:card_id>", "DAAAHAHAH", at(lambda i: f"/blue-cards/{i['card']}"))  # no part: no card
page("GET", "/help-plans", "DADDDAAAO", at(lambda i: "/help-plans"))
page("GET", "/help-plans/<uuid:plan_id>", "DADDDAAAH", at(lambda i: f"/help-plans/{i['plan']}"))

# The person's own account; the approver's list of access requests (directory data only).
page("GET", "/account", "A" * 9, at(lambda i: "/account"))
page("POST", "/account/token", "A" * 9, form(lambda i: "/account/token", lambda i: {}))
page("GET", "/access-requests", "AADDDDDAO", at(lambda i: "/access-requests"))
page(
    "POST",
    "/access-requests/<uuid:user_id>",
    "DDDDDDDAH",
    form(lambda i: f"/access-requests/{i['pending_user']}", lambda i: {}),
)


@pytest.fixture(scope="module")
def browsers(scene):  # noqa: F811 - the fixture imported above
    """A signed-in test client per reader."""
    _client, users, ids, markers, app = scene
    services = app.extensions["safehub"]
    accounts = services.accounts
    signed_in = {}
    for role in ROLES:
        login = f"matrix-{role.replace('_', '-')}"
        accounts.set_password(users[role].id, PASSWORD, login)
        browser = app.test_client()
        token = csrf_of(browser.get("/sign-in").get_data(as_text=True))
        answer = browser.post("/sign-in", data={"login": login, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302, (role, answer.status_code)
        signed_in[role] = browser
    return signed_in, ids, markers, app


def test_every_page_has_a_row(browsers):
    app = browsers[3]
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/api/", "/static/"))
        and rule.rule not in {"/healthz", "/metrics"}
        and rule.rule not in OPEN_TO_ALL
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = sorted(served - set(PAGES))
    assert not missing, f"pages without a row in the page matrix: {missing}"
    assert not sorted(set(PAGES) - served), "rows for pages that no longer exist"


def _verdict(expected: str, response, markers: set[str]) -> str | None:
    status = response.status_code
    body = response.get_data(as_text=True)
    if status >= 500:
        return f"server error {status}"
    if status == 302 and "/sign-in" in response.headers.get("Location", ""):
        return "sent to sign in again"
    if expected == "A" and status >= 400:
        return f"refused with {status}"
    if expected == "D" and status != 403:
        return f"expected 403, got {status}"
    if expected == "H" and status != 404:
        return f"expected 404, got {status}"
    if expected == "O":
        if status >= 400:
            return f"refused with {status}"
        leaked = [m for m in markers if m in body]
        if leaked:
            return f"leaked {leaked}"
    return None


ORDER = sorted(PAGES, key=lambda key: (key[0] != "GET", list(PAGES).index(key)))


@pytest.mark.parametrize("endpoint", ORDER, ids=[f"{m} {r}" for m, r in ORDER])
def test_each_reader_gets_the_page_the_matrix_says(browsers, endpoint):
    signed_in, ids, markers, _ = browsers
    cells, build = PAGES[endpoint]
    wrong = {}
    for role in sorted(ROLES, key=lambda r: row(cells)[r] == "A"):
        browser = signed_in[role]
        path, data, query = build(ids)
        if endpoint[0] == "GET":
            response = browser.get(path, query_string=query)
        else:
            token_page = browser.get("/start").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)
            fields = {
                k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in (data or {}).items()
            }
            response = browser.post(
                path,
                data={"csrf_token": token, **fields},
                content_type="multipart/form-data" if "file" in fields else None,
            )
        problem = _verdict(row(cells)[role], response, markers)
        if problem:
            wrong[role] = problem
    assert not wrong, json.dumps(wrong, indent=1, ensure_ascii=False)
