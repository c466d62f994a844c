"""The pages in a real browser: headless Chromium (Debian's, never a downloaded one) driven by
Playwright against `safehub demo` on 127.0.0.1. Screenshots land in test-output/screenshots/.

With CI=true a missing Chromium or Playwright fails the run; elsewhere these tests skip.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_embedded_server import Server, free_port
from tests.servers import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO_ROOT / "test-output" / "screenshots"


def _need(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


class Demo(Server):
    """`safehub demo` with the web passwords it prints and the first child's id."""

    def __init__(self, data_dir: Path, port: int):
        super().__init__(data_dir, port)
        text = self.log.read_text()
        self.passwords = dict(re.findall(r"^\s+login (\S+)\s+password (\S+)", text, re.M))
        self.kacper = re.search(r"children registered, e\.g\. ([0-9a-f-]{36})", text).group(1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    server = Demo(tmp_path_factory.mktemp("web") / "var", free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install -e '.[test]')")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _need(f"{CHROMIUM} is missing (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--lang=pl-PL"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="pl-PL")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    context.close()


def sign_in(page, demo: Demo, login: str) -> None:
    page.goto(demo.base + "/")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Hasło").fill(demo.passwords[login])
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_url(re.compile(r".*/start$"))


def menu(page, name: str, path: str) -> None:
    """Follow a link of the main menu and wait until its page is there."""
    page.get_by_role("navigation").get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(re.escape(path) + r"$"))


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_pedagogue_signs_in_with_the_keyboard_and_sees_her_pupils(page, demo):
    page.goto(demo.base + "/start")
    assert "/sign-in" in page.url
    shot(page, "01-sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    page.get_by_label("Login").focus()
    page.keyboard.type("anna.nowak")
    page.keyboard.press("Tab")
    page.keyboard.type(demo.passwords["anna.nowak"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/start$"))
    assert page.locator("html").get_attribute("lang") == "pl"
    page.get_by_role("heading", name="Nasze dzieci").wait_for()
    page.get_by_role("link", name="Kacper Wiśniewski").first.wait_for()
    shot(page, "02-start-school")


def test_a_signal_sent_through_the_form_shows_on_the_timeline_with_the_chart(page, demo):
    sign_in(page, demo, "anna.nowak")
    page.goto(f"{demo.base}/children/{demo.kacper}/signals/new")
    page.get_by_role("button", name="Wyślij sygnał").click()  # nothing chosen: refused beside the field
    assert page.locator("#e-kind").inner_text() == "Wybierz rodzaj niepokoju."
    shot(page, "03-signal-form-errors")
    page.get_by_label("Czego dotyczy niepokój?").select_option("behaviour_change")
    page.get_by_label("Opis").fill("Płacze na przerwach, unika rówieśników (test e2e).")
    page.get_by_role("button", name="Wyślij sygnał").click()
    page.wait_for_url(re.compile(rf".*/children/{demo.kacper}#entry-"))
    assert "Numer potwierdzenia" in page.locator(".flash").inner_text()
    page.get_by_text("Płacze na przerwach, unika rówieśników (test e2e).").wait_for()

    page.context.clear_cookies()
    sign_in(page, demo, "malgorzata.kozlowska")  # the coordinator sees the new entry and the score
    page.goto(f"{demo.base}/children/{demo.kacper}")
    page.get_by_text("Płacze na przerwach, unika rówieśników (test e2e).").wait_for()
    chart = page.locator("#risk svg")
    chart.wait_for()
    assert chart.locator("line[stroke-dasharray]").count() >= 3  # band thresholds
    page.get_by_text("Wynik wspiera Twoją ocenę i niczego nie przesądza.").wait_for()
    assert page.locator("table.explain tbody tr").count() >= 4  # each contributing signal
    shot(page, "04-timeline-coordinator")


def test_a_csv_with_a_bad_row_gets_a_result_per_row(page, demo, tmp_path):
    sign_in(page, demo, "anna.nowak")
    menu(page, "Import CSV", "/import")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz przykładowy plik").click()
    assert "pesel;imie;nazwisko" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    export = tmp_path / "eksport.csv"
    export.write_text(
        "imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\n"
        "Julia;Kaczmarek;23.11.2013;missed_remote_learning;20.11.2026;2;Brak logowania\n"
        "Ola;Nowicka;14.05.2015;missed_remote_learning;31.02.2026;1;zła data\n",
        encoding="utf-8",
    )
    page.get_by_label("Plik CSV").set_input_files(str(export))
    page.get_by_role("button", name="Wyślij plik").click()
    page.locator("table.import-report").wait_for()
    rows = page.locator("table.import-report tbody tr")
    assert rows.count() == 2
    assert "przyjęty" in rows.nth(0).inner_text() and "odrzucony" in rows.nth(1).inner_text()
    assert "data obserwacji" in rows.nth(1).inner_text()
    shot(page, "05-import-result")


def test_the_working_group_agenda_opens_and_prints_on_a4(page, demo):
    sign_in(page, demo, "malgorzata.kozlowska")
    shot(page, "06-start-coordinator")
    menu(page, "Grupy robocze", "/groups")
    page.get_by_role("link", name="Porządek najbliższego posiedzenia").first.click()
    page.get_by_role("heading", name=re.compile("Porządek posiedzenia: ")).wait_for()
    link = page.locator("ul.reasons a[href*='#entry-']").first
    target = link.get_attribute("href")
    shot(page, "07-agenda")
    page.emulate_media(media="print")
    assert not page.locator("nav.main").is_visible()  # the print stylesheet drops the menus
    shot(page, "08-agenda-print")
    page.emulate_media(media="screen")
    link.click()
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    page.locator(target[target.index("#") :]).wait_for()


def test_the_language_switch_turns_the_pages_english(page, demo):
    sign_in(page, demo, "ewa.kowalczyk")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="Sign out").wait_for()
    page.goto(f"{demo.base}/children/{demo.kacper}")
    page.get_by_role("heading", name="Timeline").wait_for()
    shot(page, "09-timeline-english")
    page.get_by_role("button", name="Polski").click()
    page.get_by_role("heading", name="Oś czasu").wait_for()


def test_an_administrator_is_refused_a_child_s_page(page, demo):
    sign_in(page, demo, "admin")
    response = page.goto(f"{demo.base}/children/{demo.kacper}")
    assert response.status == 403
    page.get_by_role("heading", name="Brak dostępu").wait_for()
    assert "Kacper" not in page.content()
    shot(page, "10-admin-refused")


def test_the_case_pages_open_for_the_people_who_work_from_them(page, demo):
    sign_in(page, demo, "malgorzata.kozlowska")
    menu(page, "Terminy", "/deadlines")
    page.locator("tr.state-overdue").first.wait_for()  # the demo's breached 'form A to the chair'
    shot(page, "11-deadlines")
    menu(page, "Porządek posiedzenia ZI", "/team/agenda")
    page.get_by_role("heading", name="Porządek posiedzenia Zespołu Interdyscyplinarnego").wait_for()
    shot(page, "11-team-agenda")
    menu(page, "Niebieskie Karty", "/blue-cards")
    page.locator("table a").first.click()
    page.get_by_role("heading", name=re.compile("Niebieska Karta z ")).wait_for()
    shot(page, "12-blue-card")
    menu(page, "Plany pomocy", "/help-plans")
    page.locator("table a").first.click()
    page.get_by_role("heading", name="Cel główny").wait_for()
    shot(page, "13-help-plan")

    page.context.clear_cookies()
    sign_in(page, demo, "anna.nowak")  # the school acknowledges the police notice about Kacper
    menu(page, "Powiadomienia policji", "/notifications")
    shot(page, "14-notices")
    menu(page, "Znajdź dziecko", "/children")
    page.get_by_label("Imię", exact=True).fill("Ola")
    page.get_by_label("Nazwisko", exact=True).fill("Nowicka")
    page.get_by_label("Data urodzenia (dd.mm.rrrr)").fill("14.05.2015")
    page.get_by_role("button", name="Szukaj").click()
    page.get_by_role("heading", name="Załóż kartotekę nowego dziecka").wait_for()
    shot(page, "14-find-child")
    menu(page, "Powiadomienia policji", "/notifications")
    page.get_by_role("link", name="Kacper Wiśniewski").first.click()
    page.get_by_label("Uwagi (nieobowiązkowe)").fill("Rozmowa z wychowawczynią umówiona.")
    page.get_by_role("button", name="Potwierdź odbiór").click()
    assert "Odbiór powiadomienia potwierdzony." in page.locator(".flash").inner_text()
    shot(page, "15-notice-acknowledged")
