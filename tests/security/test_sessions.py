"""Finding 7: a session outlived sign-out.

The page session was a signed cookie the server could not revoke: a copy taken before
sign-out (a shared computer, a proxy log, a stolen laptop) kept working for eight hours.
Now the cookie carries only a random session id and the server's table decides; sign-out,
a new password and ``end_all`` end sessions on the server.
"""

from __future__ import annotations

from services.app import create_app
from tests.functional.web.conftest import PASSWORD, Browser

COOKIE = "safehub_session"


def test_a_copied_cookie_no_longer_works_after_sign_out(app, browser):
    assert browser.sign_in("coordinator").status_code == 302
    copied = browser.client.get_cookie(COOKIE).value
    assert browser.get("/start").status_code == 200

    assert browser.post("/sign-out", {}, token_from="/start").status_code == 302

    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    answer = thief.get("/start")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in")


def test_the_cookie_holds_no_user_id_only_a_session_id(app, browser, world):
    browser.sign_in("coordinator")
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    content = serializer.loads(browser.client.get_cookie(COOKIE).value)
    assert str(world.users["coordinator"].id) not in str(content)
    assert set(content) <= {"sid", "csrf", "lang", "_permanent", "_flashes"}


def test_a_new_password_ends_every_session_of_that_user(services, logins, world):
    first, second = Browser(create_app(services=services)), Browser(create_app(services=services))
    other = Browser(create_app(services=services))
    for browser in (first, second):
        assert browser.sign_in("case-worker").status_code == 302
    assert other.sign_in("school").status_code == 302

    services.accounts.set_password(world.users["case_worker"].id, "another long password")

    for browser in (first, second):
        assert browser.get("/start").status_code == 302
    assert other.get("/start").status_code == 200  # someone else's session goes on
    assert first.sign_in("case-worker", "another long password").status_code == 302


def test_end_all_ends_the_sessions_on_the_server(services, logins, world):
    browser = Browser(create_app(services=services))
    assert browser.sign_in("family-assistant").status_code == 302
    assert browser.get("/start").status_code == 200
    services.accounts.sessions.end_all(world.users["family_assistant"].id)
    assert browser.get("/start").status_code == 302
    assert browser.sign_in("family-assistant", PASSWORD).status_code == 302
