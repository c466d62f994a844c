"""The pages read through the same use cases as the API, under the same policy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID

from services.web.catalogue import compiled, extracted, load
from tests.worlds import make_world


def test_an_administrator_is_refused_a_child_page(browser, kacper):
    browser.sign_in("admin")
    answer = browser.get(f"/children/{kacper['id']}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "Brak dostępu" in page
    assert "Kacper" not in page and "Awantura" not in page


def test_another_municipality_s_child_does_not_exist(browser, services, kacper):
    other = make_world(services.directory, "Gmina Sąsiednia")

    services.accounts.set_password(other.users["coordinator"].id, "correct horse battery", "other-coordinator")
    browser.sign_in("other-coordinator")
    answer = browser.get(f"/children/{kacper['id']}")
    assert answer.status_code == 404 and "Kacper" not in answer.get_data(as_text=True)
    assert browser.get(f"/children/{kacper['id']}/signals/new").status_code == 404


def test_the_school_start_page_lists_its_pupil_and_the_receipt_of_its_signal(browser, kacper):
    browser.sign_in("school")
    page = browser.get("/start").get_data(as_text=True)
    assert "Kacper Wiśniewski" in page and "12.03.2014" in page  # Polish date format
    assert "Potwierdzenia naszych sygnałów" in page and "Nieusprawiedliwiona nieobecność" in page
    assert "Interwencja domowa" not in page  # the police's signal is not the school's receipt


def test_the_timeline_shows_entries_and_for_the_coordinator_the_chart_and_its_explanation(browser, kacper):
    browser.sign_in("coordinator")
    page = browser.get(f"/children/{kacper['id']}").get_data(as_text=True)
    assert "Nieobecny trzy dni" in page and "Awantura domowa" in page
    assert "<svg" in page and "stroke-dasharray" in page  # the chart with its band thresholds
    assert "Wynik wspiera Twoją ocenę i niczego nie przesądza." in page
    assert page.count('href="#entry-') == 2  # each contributing signal links to its entry
    assert re.search(r'id="entry-[0-9a-f-]{36}"', page)


def test_the_school_sees_no_score(browser, kacper):
    browser.sign_in("school")
    page = browser.get(f"/children/{kacper['id']}").get_data(as_text=True)
    assert "Nieobecny trzy dni" in page and "<svg" not in page


def test_timeline_filters_by_agency_and_date(browser, kacper):
    browser.sign_in("coordinator")
    page = browser.get(f"/children/{kacper['id']}?agency_kind=police").get_data(as_text=True)
    assert "Awantura domowa" in page and "Nieobecny trzy dni" not in page
    bad = browser.get(f"/children/{kacper['id']}?since=32.13.2026").get_data(as_text=True)
    assert "To nie jest data" in bad


def test_a_retraction_is_shown_as_such(browser, services, world, kacper):
    school = world.users["school"].actor
    signal = services.children.list_signals(school, UUID(kacper["id"]))[0]
    services.children.retract_signal(school, UUID(kacper["id"]), UUID(signal["id"]), reason="pomyłka w dzienniku")
    browser.sign_in("coordinator")
    page = browser.get(f"/children/{kacper['id']}").get_data(as_text=True)
    assert "WYCOFANY" in page and "pomyłka w dzienniku" in page


def test_the_signal_form_offers_the_school_s_kinds_and_shows_problems_beside_fields(browser, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    form = browser.get(path).get_data(as_text=True)
    assert 'value="missed_remote_learning"' in form and 'value="domestic_intervention"' not in form
    assert all(f'for="{f}"' in form for f in ("kind", "observed_at", "days", "severity", "details"))
    refused = browser.post(path, {"kind": "", "observed_at": "jutro", "days": "-2", "details": "x"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="e-kind"' in page and "Wybierz rodzaj niepokoju." in page
    assert 'id="e-observed_at"' in page and 'id="e-days"' in page
    police_kind = browser.post(path, {"kind": "domestic_intervention", "observed_at": "2026-03-02T10:00"})
    assert police_kind.status_code == 422 and "nie zgłasza" in police_kind.get_data(as_text=True)


def test_a_signal_sent_through_the_form_is_on_the_timeline(browser, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    sent = browser.post(
        path,
        {
            "kind": "missed_remote_learning",
            "observed_at": "2026-03-02T08:00",
            "days": "2",
            "details": "Nie loguje się od poniedziałku",
        },
    )
    assert sent.status_code == 302 and "#entry-" in sent.headers["Location"]
    page = browser.get(sent.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "Nie loguje się od poniedziałku" in page and "Numer potwierdzenia" in page


def test_the_csv_upload_reports_every_row(browser):
    import io

    browser.sign_in("school")
    csv = (
        b"imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\r\n"
        b"Julia;Kaczmarek;23.11.2013;missed_remote_learning;02.03.2026;2;Brak logowania\r\n"
        b"Jan;Wieczorek;01.12.2011;nieznany_rodzaj;02.03.2026;;\r\n"
    )
    answer = browser.post("/import", {"file": (io.BytesIO(csv), "eksport.csv")}, content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'class="status-accepted"' in page and 'class="status-rejected"' in page
    assert "przyjęty" in page and "odrzucony" in page and "nieznany rodzaj sygnału" in page
    example = browser.get("/import/example.csv")
    assert example.mimetype == "text/csv" and "pesel;imie;nazwisko" in example.get_data(as_text=True)


def test_the_group_agenda_is_printable_and_links_to_the_entries_behind_it(browser, services, world, kacper):
    coordinator = world.users["coordinator"].actor
    group = services.groups.open(
        coordinator,
        name="Grupa: rodzina Wiśniewskich",
        child_ids=[UUID(kacper["id"])],
        members=[{"user_id": world.users["case_worker"].id}, {"user_id": world.users["police"].id}],
    )
    services.groups.schedule_meeting(
        coordinator, UUID(group["id"]), scheduled_for=services.children.clock() + timedelta(days=2), place="GOPS"
    )
    browser.sign_in("case-worker")
    answer = browser.get(f"/groups/{group['id']}/agenda")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Porządek posiedzenia: Grupa: rodzina Wiśniewskich" in page
    assert re.search(rf'href="/children/{kacper["id"]}#entry-[0-9a-f-]{{36}}"', page)
    police = next(
        e
        for e in services.views.timeline(coordinator, UUID(kacper["id"]))["entries"]
        if e["kind"] == "domestic_intervention"
    )  # named by its kind and day
    assert re.search(rf'#entry-{police["id"]}">{re.escape(police["label"])}, \d\d\.\d\d\.20\d\d<', page)
    css = browser.get("/assets/style.css").get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css


def test_pages_carry_a_csp_without_inline_scripts(browser):
    answer = browser.get("/sign-in")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in answer.get_data(as_text=True) and " style=" not in answer.get_data(as_text=True)


def test_procedure_pages_open_for_the_coordinator(browser, services, world, kacper):
    coordinator = world.users["coordinator"].actor
    services.groups.open(
        coordinator,
        name="Grupa A",
        child_ids=[UUID(kacper["id"])],
        members=[{"user_id": world.users["case_worker"].id}, {"user_id": world.users["police"].id}],
    )
    browser.sign_in("coordinator")
    for path in ("/start", "/groups", "/team/agenda", "/deadlines", "/blue-cards"):
        assert browser.get(path).status_code == 200, path
    browser.sign_in("case-worker")
    assert browser.get("/help-plans").status_code == 200
    browser.sign_in("school")
    assert browser.get("/deadlines").status_code == 403


def test_every_visible_string_has_a_polish_translation_and_the_mo_is_current():
    catalog = load()
    translated = {(m.context, m.id) for m in catalog if m.id and m.string}
    missing = sorted(set(extracted()) - translated)
    assert not missing, f"run 'python -m services.web.catalogue' and translate: {missing}"
    from services.web.catalogue import MO

    assert _messages(MO.read_bytes()) == _messages(compiled(catalog)), (
        "the committed messages.mo is older than messages.po"
    )


def _messages(mo: bytes) -> dict:
    """A compiled catalogue's messages, without its header (which names the Babel version that wrote it)."""
    import gettext
    import io

    messages = dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # type: ignore[attr-defined]
    messages.pop("", None)
    return messages


def test_dates_read_day_month_year_in_polish(browser, services, world):
    school = world.users["school"].actor
    services.children.register(school, given_name="Lena", family_name="Pawłowska", date_of_birth=date(2012, 1, 30))
    browser.sign_in("school")
    assert "30.01.2012" in browser.get("/start").get_data(as_text=True)
