"""The pages under attack, on the production shape: gunicorn with two worker processes on
PostgreSQL, driven over HTTP with cookies like browsers.

* Brute force: five wrong passwords for one login, each from a new connection (so the
  kernel spreads them over both gunicorn workers), lock it - the count lives in the
  database, not in a worker's memory - after which even the right password is refused
  with 429, while another login still signs in; a burst of eight guesses at once on a
  third login ends locked too.
* CSRF: a form post without the session's token, or with a token from another session,
  is refused before the view runs.
* Headers: the pages carry a CSP with no inline script or style, frame-ancestors 'none',
  X-Frame-Options, nosniff, Referrer-Policy and no-store; the session cookie is HttpOnly
  and SameSite.
* Secrets: no password tried (right or wrong) and no token is in clear in any file the
  server wrote, its log, or any table of the database.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from services.bootstrap import build
from services.config import Settings
from tests.reliability.live import make_users

PASSWORD = "Zielony-Koń-Biega-7"
WRONG = [f"zgaduję-{n}" for n in range(8)]


class Browser:
    """One browser: its own cookie jar, no automatic redirects (so 302s are seen)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def open(self, path: str, form: dict | None = None) -> tuple[int, dict[str, str], str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def token(self) -> str:
        status, _, html = self.open("/sign-in")
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert status == 200 and found, html[:300]
        return found.group(1)

    def sign_in(self, login: str, password: str) -> int:
        return self.open("/sign-in", {"login": login, "password": password, "csrf_token": self.token()})[0]


@pytest.mark.postgres
@pytest.mark.redis
def test_sign_in_brute_force_csrf_headers_and_secrets_on_a_real_two_worker_server(
    postgres_url, redis_url, web_servers, tmp_path: Path
):
    env = {
        "SAFEHUB_DATA_DIR": str(tmp_path / "var"),
        "SAFEHUB_DATABASE_URL": postgres_url,
        "SAFEHUB_PROJECTIONS": "celery",
        "SAFEHUB_BROKER_URL": redis_url,
        "SAFEHUB_COOKIE_SECURE": "n",
    }  # plain http on loopback; production's default is Secure
    people = make_users(env)[0]
    services = build(Settings.from_env(env))
    try:
        accounts = services.accounts
        for login, label in (("pedagog", "school"), ("kurator", "case_worker"), ("dyrektor", "coordinator")):
            user = services.directory.authenticate(people[label])
            assert user is not None
            accounts.set_password(UUID(str(user.user_id)), PASSWORD, login)
    finally:
        services.close()
    server = web_servers(env, gunicorn_workers=2)
    base = f"http://127.0.0.1:{server.port}"

    # headers and cookie on a page
    browser = Browser(base)
    status, headers, _ = browser.open("/sign-in")
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert headers["Referrer-Policy"] == "same-origin" and "no-store" in headers["Cache-Control"]
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # CSRF: no token, another session's token
    assert browser.open("/sign-in", {"login": "pedagog", "password": PASSWORD})[0] == 400
    other = Browser(base)
    assert browser.open("/sign-in", {"login": "pedagog", "password": PASSWORD, "csrf_token": other.token()})[0] == 400
    assert Browser(base).sign_in("kurator", PASSWORD) == 302, "the right password with its own token works"

    # brute force over both workers: five wrong, then locked
    assert [Browser(base).sign_in("pedagog", p) for p in WRONG[:5]] == [401, 401, 401, 401, 429]
    assert Browser(base).sign_in("pedagog", PASSWORD) == 429, "locked: even the right password is refused"
    assert Browser(base).sign_in("kurator", PASSWORD) == 302, "another login is not locked"

    # a burst at once on another login: it ends locked
    results: list[int] = []
    lock = threading.Lock()

    def guess(password: str) -> None:
        status = Browser(base).sign_in("dyrektor", password)
        with lock:
            results.append(status)

    threads = [threading.Thread(target=guess, args=(p,)) for p in WRONG]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(results) <= {401, 429}, results
    assert Browser(base).sign_in("dyrektor", PASSWORD) == 429, f"locked after a burst of guesses {results}"
    server.stop()

    secrets = [PASSWORD, *WRONG, *(v for k, v in people.items() if k != "id")]
    files = [p for p in (tmp_path / "var").rglob("*") if p.is_file()] + [server.log_file]
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret in clear in {path.name}"
    with psycopg.connect(postgres_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        ]
        assert tables
        for table in tables:
            text = "\n".join(r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t'))
            for secret in secrets:
                assert secret not in text, f"a secret in clear in table {table}"
