"""The remaining web forms load what was typed through the API's schema for the same operation
(finding and registering a child, the timeline's filters, a notice's acknowledgement, the CSV
import's dry run) and show its refusals beside the fields, in Polish, keeping what was typed.

The page reads a day written as dd.mm.rrrr (as Polish users type it) as well as the
browser's ISO date; only the spelling is rewritten before the schema loads it.
"""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from datetime import date
from urllib.parse import urlencode
from uuid import UUID

from domain.pesel import make_pesel
from services.api.schemas import ChildCreateSchema, ChildQuerySchema, ImportQuerySchema, TimelineQuerySchema
from services.api.schemas_family import AcknowledgementSchema

FIELD_ERROR = re.compile(r'<span class="field-error" id="e-(\w+)">(.*?)</span>', re.S)
#: The schemas' and the domain's own words: for API clients, never shown on a Polish page.
ENGLISH = (
    "Not a valid",
    "Must be one of",
    "Longer than",
    "Missing data",
    "Unknown field",
    "must be exactly",
    "checksum",
    "too far in the past",
    "encodes a different",
    "is required",
)
CSV = (
    b"imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\r\n"
    b"Julia;Kaczmarek;23.11.2013;missed_remote_learning;02.03.2026;2;Brak logowania\r\n"
)


def field_errors(page: str) -> dict[str, str]:
    return {field: html.unescape(text) for field, text in FIELD_ERROR.findall(page)}


def no_english(page: str) -> bool:
    return not any(words in page for words in ENGLISH)


def ids_are_unique(page: str) -> bool:
    return not [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1]


def described(page: str, fields) -> bool:
    return all(f'aria-invalid="true" aria-describedby="e-{f}"' in page for f in fields)


def wrong_checksum(pesel: str) -> str:
    return pesel[:-1] + str((int(pesel[-1]) + 1) % 10)


def found(services, world, given_name: str, family_name: str, born: date) -> list[dict]:
    return services.children.find(
        world.users["school"].actor, given_name=given_name, family_name=family_name, date_of_birth=born
    )["matches"]


# --- finding a child ------------------------------------------------------------------------


def test_the_search_refuses_what_the_api_s_query_schema_refuses_in_polish_beside_each_field(browser):
    browser.sign_in("school")
    pesel = wrong_checksum(make_pesel(date(2014, 3, 12), 1234))
    typed = {"pesel": pesel, "given_name": "K" * 101, "family_name": "Wiśniewski", "date_of_birth": "31.02.2014"}
    answer = browser.post("/children", typed)
    page = answer.get_data(as_text=True)

    assert answer.status_code == 200
    # The fields the page marks are those the API's schema refuses for the same query.
    assert set(field_errors(page)) == set(ChildQuerySchema().validate({**typed, "date_of_birth": "2014-02-31"}))
    assert field_errors(page) == {
        "pesel": "To nie jest poprawny PESEL: ma 11 cyfr; sprawdź, czy nie ma literówki.",
        "given_name": "Imię jest za długie (najwyżej 100 znaków).",
        "date_of_birth": "To nie jest data; wpisz ją jako dd.mm.rrrr.",
    }
    assert described(page, ("pesel", "given_name", "date_of_birth")) and no_english(page)
    assert f'value="{pesel}"' in page and 'value="31.02.2014"' in page and 'value="' + "K" * 101 + '"' in page
    assert "Wyniki" not in page  # nothing was searched with what the schema refused


def test_the_search_reads_a_polish_date_and_the_browser_s_iso_date_alike(browser, kacper):
    browser.sign_in("school")
    for born in ("12.03.2014", "12.3.2014", " 2014-03-12 "):
        answer = browser.post("/children", {"given_name": "Kacper", "family_name": "Wiśniewski", "date_of_birth": born})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and not field_errors(page), born
        assert f'href="/children/{kacper["id"]}"' in page, born
    by_pesel = browser.post("/children", {"pesel": make_pesel(date(2014, 3, 12), 1234)}).get_data(as_text=True)
    assert not field_errors(by_pesel) and "Nie ma dziecka o tych danych." in by_pesel


def test_a_search_without_the_three_names_says_what_the_api_says_in_polish(browser, kacper):
    browser.sign_in("school")
    page = browser.post("/children", {"given_name": "Kacper", "date_of_birth": "12.03.2014"}).get_data(as_text=True)
    assert "Podaj PESEL albo wszystkie trzy: imię, nazwisko i datę urodzenia." in page
    assert 'value="Kacper"' in page and 'value="12.03.2014"' in page and no_english(page)


# --- registering a child ----------------------------------------------------------------------


def test_a_refused_new_record_is_named_beside_its_fields_in_polish_and_keeps_what_was_typed(browser, services, world):
    browser.sign_in("school")
    pesel = wrong_checksum(make_pesel(date(2015, 5, 14), 4321))
    typed = {"given_name": " ", "family_name": "N" * 101, "date_of_birth": "30.02.2015", "pesel": pesel}
    answer = browser.post("/children/new", typed, token_from="/children")
    page = answer.get_data(as_text=True)

    assert answer.status_code == 422
    assert "Kartoteki nie założono. Popraw zaznaczone pola." in page
    body = {"family_name": typed["family_name"], "date_of_birth": "2015-02-30", "pesel": pesel}  # the blank is absent
    assert set(field_errors(page)) == set(ChildCreateSchema().validate(body)) == set(typed)
    assert field_errors(page) == {
        "given_name": "Podaj imię.",
        "family_name": "Nazwisko jest za długie (najwyżej 100 znaków).",
        "date_of_birth": "To nie jest data; wpisz ją jako dd.mm.rrrr.",
        "pesel": "To nie jest poprawny PESEL: ma 11 cyfr; sprawdź, czy nie ma literówki.",
    }
    assert described(page, typed) and ids_are_unique(page) and no_english(page)
    assert 'value="30.02.2015"' in page and f'value="{pesel}"' in page and 'value="' + "N" * 101 + '"' in page

    missing = browser.post(
        "/children/new", {"given_name": "Ola", "family_name": "Nowak", "date_of_birth": ""}, token_from="/children"
    )
    assert missing.status_code == 422
    assert field_errors(missing.get_data(as_text=True)) == {"date_of_birth": "Podaj datę (dd.mm.rrrr)."}
    assert not found(services, world, "Ola", "Nowak", date(2015, 2, 28))


def test_a_new_record_typed_with_a_polish_date_or_the_browser_s_is_opened(browser, services, world):
    browser.sign_in("school")
    pesel = make_pesel(date(2015, 5, 14), 4321)
    polish = browser.post(
        "/children/new",
        {"given_name": "Ola", "family_name": "Nowak", "date_of_birth": "14.5.2015", "pesel": pesel},
        token_from="/children",
    )
    iso = browser.post(
        "/children/new",
        {"given_name": "Ala", "family_name": "Nowak", "date_of_birth": "2016-01-02"},
        token_from="/children",
    )
    assert polish.status_code == iso.status_code == 302
    [ola] = found(services, world, "Ola", "Nowak", date(2015, 5, 14))
    [ala] = found(services, world, "Ala", "Nowak", date(2016, 1, 2))
    assert ola["pesel"] == pesel and ala["pesel"] is None
    assert polish.headers["Location"].endswith(f"/children/{ola['id']}")


def test_what_only_the_record_knows_is_said_in_polish_too(browser):
    browser.sign_in("school")
    old = browser.post(
        "/children/new",
        {"given_name": "Ola", "family_name": "Nowak", "date_of_birth": "01.01.1980"},
        token_from="/children",
    )
    assert old.status_code == 422
    assert field_errors(old.get_data(as_text=True)) == {"date_of_birth": "jest zbyt dawna jak na dziecko"}
    other_day = browser.post(
        "/children/new",
        {
            "given_name": "Ola",
            "family_name": "Nowak",
            "date_of_birth": "14.05.2015",
            "pesel": make_pesel(date(2015, 5, 15), 4321),
        },
        token_from="/children",
    )
    page = other_day.get_data(as_text=True)
    assert field_errors(page) == {"pesel": "zawiera inną datę urodzenia niż podana"} and no_english(page)


# --- the timeline's filters -------------------------------------------------------------------


def test_an_unknown_timeline_filter_is_named_in_polish_beside_it_and_not_ignored(browser, kacper):
    browser.sign_in("coordinator")
    typed = {"agency_kind": "army", "kind": "parade", "since": "32.13.2026", "until": "jutro"}
    answer = browser.get(f"/children/{kacper['id']}?" + urlencode(typed))
    page = answer.get_data(as_text=True)

    assert answer.status_code == 200
    assert set(field_errors(page)) == set(TimelineQuerySchema().validate(typed)) == set(typed)
    assert field_errors(page) == {
        "agency_kind": "Wybierz instytucję z listy.",
        "kind": "Wybierz rodzaj wpisu z listy.",
        "since": "To nie jest data; wpisz ją jako dd.mm.rrrr.",
        "until": "To nie jest data; wpisz ją jako dd.mm.rrrr.",
    }
    assert described(page, typed) and no_english(page)
    assert 'value="32.13.2026"' in page and 'value="jutro"' in page
    # A refused filter filters nothing; the ones the schema accepts still apply.
    assert "Nieobecny trzy dni" in page and "Awantura domowa" in page
    police = browser.get(f"/children/{kacper['id']}?agency_kind=police&kind=parade").get_data(as_text=True)
    assert field_errors(police) == {"kind": "Wybierz rodzaj wpisu z listy."}
    assert "Awantura domowa" in police and "Nieobecny trzy dni" not in police
    assert '<option value="police" selected>' in police


def test_the_timeline_s_days_are_whole_days_typed_either_way(browser, kacper):
    # The school's signal was observed on 28.02.2026 and the police's on 01.03.2026, both at 10:00.
    browser.sign_in("coordinator")
    path = f"/children/{kacper['id']}?"
    for query in ({"until": "28.02.2026"}, {"until": "2026-02-28"}, {"since": "28.2.2026", "until": "28.2.2026"}):
        page = browser.get(path + urlencode(query)).get_data(as_text=True)
        assert not field_errors(page), query
        assert "Nieobecny trzy dni" in page and "Awantura domowa" not in page, query
    for query in ({"since": "01.03.2026"}, {"since": "2026-03-01", "until": "01.03.2026"}):
        page = browser.get(path + urlencode(query)).get_data(as_text=True)
        assert "Awantura domowa" in page and "Nieobecny trzy dni" not in page, query
    kept = browser.get(path + urlencode({"since": "1.3.2026", "kind": "domestic_intervention"})).get_data(as_text=True)
    assert 'value="1.3.2026"' in kept and '<option value="domestic_intervention" selected>' in kept


# --- a notice's acknowledgement ---------------------------------------------------------------


def _notice(services, world) -> str:
    return services.notifications.list_notices(world.users["school"].actor)[0]["id"]


def test_an_acknowledgement_note_is_kept_whole_up_to_what_the_api_allows(browser, services, world, kacper):
    notice = _notice(services, world)
    note = "Przyjęto; wychowawczyni porozmawia z Kacprem. " + "x" * 3000
    browser.sign_in("school")
    answer = browser.post(f"/notifications/{notice}", {"note": f"  {note}  "})
    assert answer.status_code == 302
    saved = services.notifications.get(world.users["school"].actor, UUID(notice))
    assert saved["status"] == "acknowledged" and saved["note"] == note  # not cut at 2,000 characters


def test_a_note_longer_than_the_api_allows_is_refused_in_polish_and_kept(browser, services, world, kacper):
    notice = _notice(services, world)
    note = "Przyjęto. " + "y" * 10_000
    browser.sign_in("school")
    answer = browser.post(f"/notifications/{notice}", {"note": note})
    page = answer.get_data(as_text=True)

    assert answer.status_code == 422
    assert set(field_errors(page)) == set(AcknowledgementSchema().validate({"note": note})) == {"note"}
    assert field_errors(page) == {"note": "Uwagi są za długie (najwyżej 10000 znaków)."}
    assert "Odbiór powiadomienia nie został potwierdzony. Popraw zaznaczone pole." in page
    assert described(page, ("note",)) and no_english(page)
    assert f">{note}</textarea>" in page
    assert services.notifications.get(world.users["school"].actor, UUID(notice))["status"] != "acknowledged"


# --- the CSV import's dry run -----------------------------------------------------------------


def _upload(browser, **form):
    return browser.post(
        "/import", {"file": (io.BytesIO(CSV), "eksport.csv"), **form}, content_type="multipart/form-data"
    )


def test_the_import_s_dry_run_is_read_as_the_api_reads_it(browser, services, world):
    browser.sign_in("school")
    for ticked in ("y", "1", "true"):  # what the API's query accepts as yes, a form does too
        answer = _upload(browser, dry_run=ticked)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and "Sprawdzenie pliku (nic nie zapisano)" in page, ticked
        assert ImportQuerySchema().load({"dry_run": ticked}) == {"dry_run": True}
        assert 'value="y" checked' in page  # the box stays ticked
    assert not found(services, world, "Julia", "Kaczmarek", date(2013, 11, 23))

    refused = _upload(browser, dry_run="może")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_errors(page) == {"dry_run": "Zaznacz pole albo zostaw je puste."}
    assert "tylko sprawdź plik: Zaznacz pole albo zostaw je puste." in page
    assert described(page, ("dry_run",)) and no_english(page) and "Wynik importu" not in page
    assert not found(services, world, "Julia", "Kaczmarek", date(2013, 11, 23))

    imported = _upload(browser)
    assert imported.status_code == 200 and "Wynik importu" in imported.get_data(as_text=True)
    assert found(services, world, "Julia", "Kaczmarek", date(2013, 11, 23))
