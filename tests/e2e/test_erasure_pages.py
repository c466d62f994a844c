"""The erasure issue's pages in a real browser (headless Chromium, Playwright), checked with axe-core.

The coordinator opens a child's subject-access export (RODO art. 15) and prints it on A4;
after a child is erased (the coordinator asks, the auditor approves) the child's page
shows no name and the export says the record was erased.
"""

from __future__ import annotations

import re

from tests.e2e.test_trust_pages import accessibility_problems
from tests.e2e.test_web_pages import chromium, demo, page, shot, sign_in  # noqa: F401 - fixtures


def test_the_coordinator_prints_a_childs_subject_access_export(page, demo):  # noqa: F811
    sign_in(page, demo, "malgorzata.kozlowska")
    page.goto(f"{demo.base}/children/{demo.kacper}/subject-access")
    page.get_by_role("heading", name=re.compile("art. 15")).wait_for()
    assert "Kacper" in page.content()
    assert accessibility_problems(page) == []
    shot(page, "30-subject-access")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2_000


def test_an_erased_child_leaves_no_name_on_its_pages(page, demo):  # noqa: F811
    coordinator, auditor = demo.tokens["coordinator"], demo.tokens["auditor"]
    status, child = demo.call(
        "POST",
        "/children",
        demo.tokens["submitter"],
        {"given_name": "Bożydar", "family_name": "Usuwalski", "date_of_birth": "2016-02-03"},
    )
    assert status == 201, child
    status, asked = demo.call(
        "POST", f"/children/{child['id']}/erasure", coordinator, {"ground": "authorised_request", "reference": "e2e"}
    )
    assert status == 202, asked
    status, done = demo.call("POST", f"/children/{child['id']}/erasure/approval", auditor, {})
    assert status == 200 and done["erased"] is True, done

    sign_in(page, demo, "malgorzata.kozlowska")
    response = page.goto(f"{demo.base}/children/{child['id']}")
    assert response.status == 200
    assert "Bożydar" not in page.content() and "Usuwalski" not in page.content()
    shot(page, "31-erased-child")
    page.goto(f"{demo.base}/children/{child['id']}/subject-access")
    page.get_by_text("kartoteka usunięta").first.wait_for()
    assert "Bożydar" not in page.content()
    assert accessibility_problems(page) == []


def test_the_coordinator_asks_on_the_childs_page_and_the_auditor_approves_on_the_erasures_page(page, demo):  # noqa: F811
    status, child = demo.call(
        "POST",
        "/children",
        demo.tokens["submitter"],
        {"given_name": "Kunegunda", "family_name": "Wymazana", "date_of_birth": "2015-07-08"},
    )
    assert status == 201, child
    sign_in(page, demo, "malgorzata.kozlowska")
    page.goto(f"{demo.base}/children/{child['id']}")
    page.get_by_role("button", name="Złóż wniosek o usunięcie").click()  # no ground chosen: refused beside it
    page.locator("#e-ground").wait_for()
    assert accessibility_problems(page) == []
    page.get_by_label("Podstawa").select_option("authorised_request")
    page.get_by_label("Sygnatura (np. numer wniosku)").fill("RODO/17/2026")
    page.get_by_role("button", name="Złóż wniosek o usunięcie").click()
    page.get_by_text("czeka na zatwierdzenie przez drugą osobę").wait_for()
    menu = page.get_by_role("navigation").get_by_role("link", name="Wnioski o usunięcie")
    menu.click()
    page.get_by_role("button", name=re.compile("Zatwierdź usunięcie")).first.click()
    page.locator(".flash", has_text="Osoba, która złożyła wniosek, nie może go zatwierdzić.").wait_for()
    shot(page, "32-erasure-own-request-refused")

    page.context.clear_cookies()
    sign_in(page, demo, "iod")  # the auditor (data-protection officer) is the second person
    page.goto(f"{demo.base}/erasures")
    assert accessibility_problems(page) == []
    row = page.locator(f"tr:has(a[href='/children/{child['id']}'])")
    row.get_by_role("button", name=re.compile("Zatwierdź usunięcie")).click()
    page.goto(f"{demo.base}/children/{child['id']}")
    assert "Kunegunda" not in page.content() and "Wymazana" not in page.content()
    shot(page, "33-erased-after-approval")
