"""Secrets never at rest or in logs in clear, and the security headers on every answer.

A real ``safehub serve`` is used the way people use it - users created and tokens issued
through the API, requests with good, bad and replaced tokens, a failed request - then
stopped, and every file it wrote (the event store, the key store, the read models, its
log) is searched for every token it handed out, in clear. The events are also read back
decrypted: no token is in any event either (the store keeps SHA-256 hashes).
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from services.bootstrap import build
from services.config import Settings
from services.http.security_headers import API_POLICY, DOCS_POLICY
from tests.reliability.live import make_users

API = "/api/v1"


def test_tokens_are_never_stored_or_logged_in_clear(tmp_path: Path, web_servers):
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_LOG_LEVEL": "DEBUG"}
    users = make_users(env)[0]
    tokens = [v for k, v in users.items() if k != "id"]
    admin = build(Settings.from_env(env))
    try:
        admin_token = admin.directory.create_user(None, role="admin", name="admin", municipality_id=UUID(users["id"]))[
            "token"
        ]
    finally:
        admin.close()
    tokens.append(admin_token)
    server = web_servers(env)
    agencies = server.call("GET", f"{API}/agencies", admin_token).body
    school_agency = next(a["id"] for a in agencies if a["kind"] == "school")
    created = server.call(
        "POST", f"{API}/users", admin_token, {"role": "submitter", "name": "Nowa pedagog", "agency_id": school_agency}
    )
    assert created.status == 201, created.body
    # A reader made by the administrator: two halves of a setup code, then a token of its own (issue 20).
    approved = server.call("POST", f"{API}/users/{created.body['id']}/approval", users["coordinator"])
    assert approved.status == 200, approved.body
    codes = {"setup_code": created.body["setup_code"], "approval_code": approved.body["approval_code"]}
    first = server.call("POST", f"{API}/activation", None, codes)
    assert first.status == 201, first.body
    tokens.extend([*codes.values(), first.body["token"]])
    created.body["token"] = first.body["token"]
    reissued = server.call("POST", f"{API}/me/token", first.body["token"])
    assert reissued.status in (200, 201), reissued.body
    tokens.append(reissued.body["token"])
    child = server.call(
        "POST",
        f"{API}/children",
        reissued.body["token"],
        {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"},
    )
    assert child.status == 201, child.body
    assert server.call("GET", f"{API}/me", created.body["token"]).status == 401, "the replaced token is dead"
    wrong = "sh_" + "Z" * 43
    tokens.append(wrong)
    assert server.call("GET", f"{API}/me", wrong).status == 401
    assert (
        server.call(
            "GET",
            f"{API}/children/{child.body['id']}/timeline?token={wrong}",
            users["case_worker"],
            headers={"X-Request-ID": "secret-check"},
        ).status
        == 200
    )
    server.stop()

    files = [p for p in (tmp_path / "var").rglob("*") if p.is_file()] + [server.log_file]
    assert any(p.name == "events.sqlite" for p in files) and any(p.suffix == ".sqlite" for p in files)
    for path in files:
        data = path.read_bytes()
        for token in tokens:
            assert token.encode() not in data, f"a token in clear in {path.name}"
            assert token[3:].encode() not in data, f"a token (without its prefix) in {path.name}"

    services = build(Settings.from_env(env))
    services.projector.stop()
    try:
        everything = []
        for notification in services.store.recorder.select_notifications(start=1, limit=100_000):
            event = services.store.mapper.to_domain_event(notification)
            everything.append(repr(event.__dict__))
        text = "\n".join(everything)
        assert "Nowa pedagog" in text, "the events were read back decrypted"
        for token in tokens:
            assert token not in text and token[3:] not in text
    finally:
        services.close()


# --- headers -----------------------------------------------------------------------------------


COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


@pytest.mark.parametrize(
    ("path", "who", "status"),
    [
        (f"{API}/me", "school", 200),
        (f"{API}/children/00000000-0000-0000-0000-000000000000/timeline", "case_worker", 404),
        (f"{API}/children", None, 401),
        (f"{API}/no-such-thing", "school", 404),
        (f"{API}/openapi.json", None, 200),
        ("/healthz", None, 200),
        ("/metrics", None, 200),
    ],
)
def test_every_answer_carries_the_security_headers(client, world, path, who, status):
    answer = client.get(path, headers=world.users[who].headers if who else {})
    assert answer.status_code == status
    for name, value in COMMON.items():
        assert answer.headers[name] == value, name
    assert answer.headers["Content-Security-Policy"] == API_POLICY
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    if path.startswith("/api/"):
        assert answer.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in answer.headers, "HSTS only over HTTPS"


def test_the_api_docs_page_gets_its_own_policy_and_https_gets_hsts(client):
    docs = client.get(f"{API}/docs")
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    assert docs.headers["Content-Security-Policy"] == DOCS_POLICY
    assert docs.headers["X-Frame-Options"] == "DENY"
    secure = client.get("/healthz", base_url="https://safehub.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_view_that_sets_its_own_policy_keeps_it(app, client):
    @app.get("/own-policy")
    def own_policy():
        return "<p>hi</p>", 200, {"Content-Security-Policy": "default-src 'self'"}

    answer = client.get("/own-policy")
    assert answer.headers["Content-Security-Policy"] == "default-src 'self'"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
