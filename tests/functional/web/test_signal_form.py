"""The signal form loads what was typed through the API's own schema (SignalCreateSchema) and
shows its refusals beside the fields, in Polish, keeping what was typed."""

from __future__ import annotations

import html
import re
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.signals import CATALOGUE
from services.api.schemas import SignalCreateSchema

WARSAW = ZoneInfo("Europe/Warsaw")

FIELD_ERROR = re.compile(r'<span class="field-error" id="e-(\w+)">(.*?)</span>', re.S)


def field_errors(page: str) -> dict[str, str]:
    return {field: html.unescape(text) for field, text in FIELD_ERROR.findall(page)}


def test_a_bad_signal_form_answers_with_the_schema_s_field_errors_in_polish_and_keeps_the_typed_values(browser, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    typed = {
        "kind": "not_a_kind",
        "observed_at": "2026-02-30T25:61",
        "severity": "extreme",
        "days": "trzy",
        "details": "Opis " + "x" * 10_000,
    }
    answer = browser.post(path, typed)
    page = answer.get_data(as_text=True)

    assert answer.status_code == 422
    assert "Sygnał nie został wysłany. Popraw zaznaczone pola." in page
    # The fields the page marks are exactly those the API's schema refuses for the same body.
    assert set(field_errors(page)) == set(SignalCreateSchema().validate(typed)) == set(typed)
    assert field_errors(page) == {
        "kind": "Twoja instytucja nie zgłasza tego rodzaju sygnałów.",
        "observed_at": "Podaj datę i godzinę obserwacji.",
        "severity": "Wybierz wagę z listy.",
        "days": "Podaj liczbę całkowitą dni (1 lub więcej).",
        "details": "Opis jest za długi (najwyżej 10000 znaków).",
    }
    assert "Not a valid" not in page and "Must be one of" not in page  # the schema's words are for API clients
    assert all(f'aria-describedby="e-{f}"' in page for f in typed)
    # What was typed stays in the form.
    assert 'value="2026-02-30T25:61"' in page and 'value="trzy"' in page
    assert typed["details"] in page


def test_a_missing_kind_and_a_day_count_out_of_range_are_named_beside_their_fields(browser, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    answer = browser.post(path, {"kind": "", "observed_at": "", "days": "0", "details": "  "})
    errors = field_errors(answer.get_data(as_text=True))
    assert answer.status_code == 422
    assert errors == {
        "kind": "Wybierz rodzaj niepokoju.",
        "observed_at": "Podaj datę i godzinę obserwacji.",
        "days": "Podaj liczbę całkowitą dni (1 lub więcej).",
    }

    too_many = browser.post(path, {"kind": "unexplained_absence", "observed_at": "2026-03-02T08:00", "days": "400"})
    page = too_many.get_data(as_text=True)
    assert too_many.status_code == 422
    assert field_errors(page) == {"days": "Podaj liczbę całkowitą dni, najwyżej 366."}
    assert '<option value="unexplained_absence" selected>' in page and 'value="400"' in page


def test_what_only_the_page_knows_is_still_said_in_polish(browser, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    future = browser.post(path, {"kind": "behaviour_change", "observed_at": "2026-03-04T10:00"})
    assert field_errors(future.get_data(as_text=True)) == {"observed_at": "Obserwacja nie może być w przyszłości."}
    no_days = browser.post(path, {"kind": "behaviour_change", "observed_at": "2026-03-02T10:00", "days": "2"})
    assert field_errors(no_days.get_data(as_text=True)) == {
        "days": "Ten rodzaj sygnału nie liczy dni; zostaw pole puste."
    }
    police = browser.post(path, {"kind": "domestic_intervention", "observed_at": "2026-03-02T10:00"})
    assert field_errors(police.get_data(as_text=True)) == {
        "kind": "Twoja instytucja nie zgłasza tego rodzaju sygnałów."
    }


def test_a_form_with_empty_optional_fields_is_recorded_as_the_api_would(browser, services, world, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    sent = browser.post(
        path,
        {
            "kind": "behaviour_change",
            "observed_at": " 2026-03-02T10:00 ",
            "severity": "",
            "days": "",
            "details": "  Płacze na przerwach  ",
        },
    )
    assert sent.status_code == 302
    signal = services.children.list_signals(world.users["school"].actor, UUID(kacper["id"]))[-1]
    assert signal["kind"] == "behaviour_change" and signal["details"] == "Płacze na przerwach"
    assert signal["severity"] == CATALOGUE["behaviour_change"].default_severity and signal["days"] is None
    assert datetime.fromisoformat(signal["observed_at"]) == datetime(2026, 3, 2, 10, 0, tzinfo=WARSAW)


def test_the_form_s_idempotency_key_is_checked_as_the_api_checks_the_header(browser, services, world, kacper):
    browser.sign_in("school")
    path = f"/children/{kacper['id']}/signals/new"
    typed = {"kind": "behaviour_change", "observed_at": "2026-03-02T10:00", "details": "Jeden raz"}
    first = browser.post(path, {**typed, "key": "retry-1"})
    again = browser.post(path, {**typed, "key": "retry-1"})  # a second click sends the same key
    assert first.status_code == again.status_code == 302 and first.headers["Location"] == again.headers["Location"]
    assert browser.post(path, {**typed, "key": "klucz z\u00a0spacją"}).status_code == 400
    signals = services.children.list_signals(world.users["school"].actor, UUID(kacper["id"]))
    assert [s["details"] for s in signals].count("Jeden raz") == 1
