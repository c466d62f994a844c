"""The trust issue's pages in a real browser (headless Chromium, Playwright), each checked with axe-core.

A PESEL search travels in the body, never the address bar; a session ends for every copy
of its cookie at sign-out; a person whose access the administrator requested and the
coordinator approved activates the account with both codes, then signs in.
"""

from __future__ import annotations

import re

from tests.e2e.test_web_pages import chromium, demo, page, shot, sign_in  # noqa: F401 - fixtures


def accessibility_problems(tab) -> list[str]:
    """axe-core's serious and critical findings on the open page (the library bundles axe.min.js)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_a_pesel_search_leaves_no_trace_in_the_address_bar(page, demo):  # noqa: F811
    status, kacper = demo.call("GET", f"/children/{demo.kacper}", demo.tokens["coordinator"])
    assert status == 200 and kacper["pesel"]
    sign_in(page, demo, "anna.nowak")
    page.goto(demo.base + "/children")
    page.get_by_label("PESEL").fill(kacper["pesel"])
    page.get_by_role("button", name="Szukaj").click()
    page.get_by_role("link", name="Kacper Wiśniewski").first.wait_for()
    assert kacper["pesel"] not in page.url and "pesel" not in page.url
    assert accessibility_problems(page) == []
    shot(page, "20-pesel-search-post")


def test_sign_out_ends_the_session_for_a_copied_cookie(page, demo):  # noqa: F811
    sign_in(page, demo, "anna.nowak")
    copied = page.context.cookies()
    page.get_by_role("button", name="Wyloguj").click()
    page.wait_for_url(re.compile(r".*/sign-in"))
    page.context.add_cookies(copied)  # the cookie as it was before sign-out, e.g. copied from the disk
    page.goto(demo.base + "/start")
    assert "/sign-in" in page.url


def test_an_approved_person_activates_the_account_with_both_codes(page, demo):  # noqa: F811
    admin = demo.tokens["admin"]
    _, agencies = demo.call("GET", "/agencies", admin)
    ops = next(a["id"] for a in agencies if a["kind"] == "ops")
    status, created = demo.call(
        "POST", "/users", admin, {"role": "case_worker", "name": "Ewa Testowa", "agency_id": ops}
    )
    assert status == 201 and created["token"] is None

    sign_in(page, demo, "malgorzata.kozlowska")  # the coordinator approves on her page
    page.goto(demo.base + "/access-requests")
    page.get_by_text("Ewa Testowa").wait_for()
    assert accessibility_problems(page) == []
    page.get_by_role("button", name=re.compile("Zatwierdź")).first.click()
    approval = page.locator("code").first.inner_text()
    shot(page, "21-access-approved")

    page.context.clear_cookies()
    page.goto(demo.base + "/sign-in")
    page.get_by_role("link", name=re.compile("Aktywuj je dwoma kodami")).click()
    page.get_by_role("heading", name="Aktywuj konto").wait_for()
    page.get_by_label("Kod konfiguracji").fill(created["setup_code"])
    page.get_by_label("Kod zatwierdzenia").fill("nie-ten-kod")
    page.get_by_label("Login").fill("ewa.testowa")
    page.get_by_label("Nowe hasło", exact=True).fill("zimowy poranek 7")
    page.get_by_label("Powtórz nowe hasło").fill("zimowy poranek 7")
    page.get_by_role("button", name="Aktywuj").click()
    assert "Te kody nie otwierają żadnego konta" in page.locator("#e-setup_code").inner_text()
    assert page.get_by_label("Login").input_value() == "ewa.testowa"  # what was typed is kept
    assert accessibility_problems(page) == []
    shot(page, "22-activation-refused")
    page.get_by_label("Kod zatwierdzenia").fill(approval)
    page.get_by_label("Nowe hasło", exact=True).fill("zimowy poranek 7")
    page.get_by_label("Powtórz nowe hasło").fill("zimowy poranek 7")
    page.get_by_role("button", name="Aktywuj").click()
    page.get_by_text("Konto jest aktywne.").wait_for()

    page.get_by_role("link", name="Zaloguj się").click()
    page.get_by_label("Login").fill("ewa.testowa")
    page.get_by_label("Hasło").fill("zimowy poranek 7")
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_url(re.compile(r".*/start$"))
    page.goto(demo.base + "/account")
    page.get_by_role("heading", name="Moje konto").wait_for()
    assert accessibility_problems(page) == []
    shot(page, "23-my-account")


def test_the_pages_people_work_from_pass_axe(page, demo):  # noqa: F811
    """Serious and critical findings only: each one stops someone (a screen-reader user, a keyboard user)."""
    problems = {}
    sign_in(page, demo, "malgorzata.kozlowska")
    for path in (
        "/start",
        "/children",
        "/deadlines",
        "/team/agenda",
        "/blue-cards",
        "/groups",
        "/help-plans",
        f"/children/{demo.kacper}",
        "/account",
        "/access-requests",
    ):
        page.goto(demo.base + path)
        problems[path] = accessibility_problems(page)
    page.context.clear_cookies()
    sign_in(page, demo, "anna.nowak")
    for path in ("/start", "/notifications", "/import", f"/children/{demo.kacper}/signals/new"):
        page.goto(demo.base + path)
        problems["school " + path] = accessibility_problems(page)
    assert {k: v for k, v in problems.items() if v} == {}
