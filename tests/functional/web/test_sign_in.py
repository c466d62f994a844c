"""Sign-in for people: passwords, sessions, CSRF, lockout, language."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from click.testing import CliRunner

from services.app import create_app
from services.cli import main
from tests.functional.web.conftest import PASSWORD, Browser


def test_a_visitor_is_sent_to_the_polish_sign_in_page(browser):
    answer = browser.get("/start")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/sign-in?next=/start")
    page = browser.get("/sign-in").get_data(as_text=True)
    assert '<html lang="pl">' in page and "Zaloguj się" in page and 'for="login"' in page and 'for="password"' in page


def test_sign_in_opens_the_start_page_and_sign_out_ends_the_session(browser):
    answer = browser.sign_in("school")
    assert answer.status_code == 302 and answer.headers["Location"] == "/start"
    assert "Nasze dzieci" in browser.get("/start").get_data(as_text=True)
    assert browser.post("/sign-out", {}, token_from="/start").status_code == 302
    assert browser.get("/start").status_code == 302


def test_wrong_password_or_unknown_login_read_the_same(browser):
    wrong = browser.sign_in("school", "not the password")
    unknown = browser.sign_in("nobody-here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    for answer in (wrong, unknown):
        assert "Nieprawidłowy login lub hasło." in answer.get_data(as_text=True)


def test_the_session_cookie_is_httponly_samesite_and_secure_when_configured(app, logins, services):
    answer = Browser(app).sign_in("school")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # embedded http mode
    app.config["SESSION_COOKIE_SECURE"] = True  # what SAFEHUB_COOKIE_SECURE / production sets
    assert "Secure" in Browser(app).sign_in("school").headers["Set-Cookie"]


def test_the_production_default_is_a_secure_cookie():
    from services.config import Settings

    assert Settings.from_env({"SAFEHUB_DATABASE_URL": "postgresql://x@h/db"}).cookie_secure is True
    assert Settings.from_env({}).cookie_secure is False
    assert (
        Settings.from_env({"SAFEHUB_DATABASE_URL": "postgresql://x@h/db", "SAFEHUB_COOKIE_SECURE": "n"}).cookie_secure
        is False
    )


def test_a_post_without_the_csrf_token_is_refused(browser, kacper, services, world):
    assert browser.client.post("/sign-in", data={"login": "school", "password": PASSWORD}).status_code == 400
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    answer = browser.client.post(
        path, data={"kind": "behaviour_change", "observed_at": "2026-03-02T10:00", "csrf_token": "forged"}
    )
    assert answer.status_code == 400 and "Formularz wygasł" in answer.get_data(as_text=True)
    signals = services.children.list_signals(world.users["auditor"].actor, UUID(kacper["id"]))
    assert [s["kind"] for s in signals] == ["unexplained_absence", "domestic_intervention"]


def test_five_failures_lock_the_login_for_every_worker_until_the_lock_ends(services, logins, clock):
    first, second = Browser(create_app(services=services)), Browser(create_app(services=services))
    for n in range(5):  # the failures are spread over two "workers" (two apps, one database)
        assert (first if n % 2 else second).sign_in("school", "wrong guess").status_code in (401, 429)
    locked = first.sign_in("school", PASSWORD)
    assert locked.status_code == 429 and "zablokowane" in locked.get_data(as_text=True)
    assert second.sign_in("school", PASSWORD).status_code == 429
    assert second.sign_in("police", PASSWORD).status_code == 302  # other logins are not affected
    clock.now += timedelta(minutes=16)
    assert first.sign_in("school", PASSWORD).status_code == 302


def test_the_failure_table_holds_no_password(services, logins, settings):
    import sqlite3

    Browser(create_app(services=services)).sign_in("school", "hunter2-secret-guess")
    rows = (
        sqlite3.connect(settings.data_dir / "signin.sqlite")
        .execute("SELECT * FROM safehub_sign_in_failures")
        .fetchall()
    )
    assert rows and "hunter2" not in repr(rows)


def test_the_language_switch_sets_english_and_back(browser):
    browser.sign_in("coordinator")
    answer = browser.post("/language", {"lang": "en", "next": "/start"}, token_from="/start")
    assert answer.status_code == 302 and "safehub_lang=en" in answer.headers["Set-Cookie"]
    page = browser.get("/start").get_data(as_text=True)
    assert '<html lang="en">' in page and "Team deadlines" in page and "Sign out" in page
    browser.post("/language", {"lang": "pl", "next": "/start"}, token_from="/start")
    assert "Terminy zespołu" in browser.get("/start").get_data(as_text=True)


def test_a_new_password_ends_the_old_sessions(browser, services, world):

    browser.sign_in("school")
    assert browser.get("/start").status_code == 200
    services.accounts.set_password(world.users["school"].id, "another long password")
    assert browser.get("/start").status_code == 302


def test_create_user_sets_a_password_from_the_command_line(tmp_path, monkeypatch, services):
    monkeypatch.setenv("SAFEHUB_DATA_DIR", str(tmp_path / "cli"))
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    weak = runner.invoke(
        main, ["create-user", "--role", "auditor", "--name", "IOD", "--login", "iod", "--password", "short"]
    )
    assert weak.exit_code == 2 and "password" in weak.output
    made = runner.invoke(
        main,
        ["create-user", "--role", "auditor", "--name", "IOD", "--login", "iod", "--password"],
        input="a long enough password\na long enough password\n",
    )
    assert made.exit_code == 0, made.output
    assert "login: iod" in made.output and "a long enough password" not in made.output.split("Repeat")[-1]
    from services.bootstrap import build
    from services.config import Settings

    svc = build(Settings.from_env())
    try:
        accounts = svc.accounts
        assert accounts.sign_in("iod", "a long enough password").actor.role == "auditor"
        assert accounts.sign_in("iod", "wrong password!").actor is None
        stored = [e for e in svc.store.recorder.select_notifications(1, 1000)]
        assert all(b"a long enough password" not in n.state for n in stored)
    finally:
        svc.close()


def test_sign_in_never_redirects_to_another_site(browser):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"):
        answer = browser.client.post(
            "/sign-in", data={"login": "school", "password": PASSWORD, "next": target, "csrf_token": browser.token()}
        )
        assert answer.status_code == 302 and answer.headers["Location"] == "/start", target
        browser.post("/sign-out", {}, token_from="/start")
    answer = browser.client.post(
        "/sign-in", data={"login": "school", "password": PASSWORD, "next": "/import", "csrf_token": browser.token()}
    )
    assert answer.headers["Location"] == "/import"


def test_guesses_sent_in_parallel_get_no_more_password_checks_than_the_limit(services, logins, monkeypatch):
    import threading

    import services.usecases.accounts as accounts
    from services.adapters.sign_in_failures import MAX_FAILURES

    checked = []

    class Counting:
        """The hasher in use, counting the password checks."""

        def __init__(self, hasher):
            self.hasher = hasher

        def verify(self, stored, password):
            checked.append(password)
            return self.hasher.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.hasher, name)

    monkeypatch.setattr(accounts, "_HASHER", Counting(accounts._HASHER))
    app = create_app(services=services)
    tokens = [Browser(app) for _ in range(8)]
    start = threading.Barrier(len(tokens))

    def guess(browser: Browser) -> None:
        token = browser.token()
        start.wait()
        browser.client.post("/sign-in", data={"login": "school", "password": "wrong guess", "csrf_token": token})

    threads = [threading.Thread(target=guess, args=(b,)) for b in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= len(checked) <= MAX_FAILURES
    assert Browser(app).sign_in("school", PASSWORD).status_code == 429
