"""Finding 9 (cheap overload): a 180,000-row dry-run CSV import took a minute of CPU and 900 MB,
with no limit on its size, its rows or how often one user could send it.

An import now has a size limit in bytes (refused with 413 from the declared length, before
the body is read), a row limit (checked while the file is parsed, which stops at the first
row past it) and a per-user rate (429 with Retry-After; counted in the database, so every
web worker shares it). The import page says each in Polish.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest

from domain.errors import InvalidInput
from services.adapters.csv_import import parse
from services.bootstrap import build
from tests.functional.web.conftest import csrf_of

API = "/api/v1/signals/import"
HEADER = "imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\n"


def export(rows: int, details: str = "") -> bytes:
    """A school export of ``rows`` valid rows (pupils share names, so few are registered)."""
    lines = [HEADER]
    for n in range(rows):
        lines.append(f"Uczeń{n % 50};Importowy;2014-01-{1 + n % 28:02d};unexplained_absence;2026-03-02;1;{details}\n")
    return "".join(lines).encode()


def post(client, who, body: bytes, *, dry_run: bool = True, multipart: bool = False):
    query = {"dry_run": "true"} if dry_run else {}
    if multipart:
        return client.post(
            API,
            headers=who.headers,
            query_string=query,
            data={"file": (io.BytesIO(body), "eksport.csv")},
            content_type="multipart/form-data",
        )
    return client.post(API, headers={**who.headers, "Content-Type": "text/csv"}, query_string=query, data=body)


class Untouched:
    """Stands in for the import use case: the test fails if a request reaches it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        raise AssertionError("the import use case was reached")


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("multipart", [False, True], ids=["text/csv", "multipart"])
def test_a_file_over_the_size_limit_is_413_before_it_is_read(client, world, services, monkeypatch, multipart):
    limit = services.settings.import_max_bytes
    assert limit <= 8 * 1024 * 1024 < services.settings.max_body_bytes  # tighter than any other body
    body = export(limit // 60, details="x" * 20)
    assert len(body) > limit
    spy = Untouched()
    monkeypatch.setattr(services.imports, "import_csv", spy)
    answer = post(client, world.users["school"], body, multipart=multipart)
    assert answer.status_code == 413, answer.get_data(as_text=True)[:300]
    assert answer.json["error"] == "request_entity_too_large"
    assert f"at most {limit // (1024 * 1024)} MiB" in answer.json["message"]
    assert spy.calls == 0


# --- rows ------------------------------------------------------------------------------------


def test_a_file_over_the_row_limit_is_refused_while_it_is_parsed(client, world, services):
    limit = services.settings.import_max_rows
    body = export(limit + 1)
    assert len(body) < services.settings.import_max_bytes
    started = time.perf_counter()
    answer = post(client, world.users["school"], body)
    elapsed = time.perf_counter() - started
    assert answer.status_code == 422, answer.get_data(as_text=True)[:300]
    assert answer.json["errors"] == {"file": [f"has more than {limit} rows; split it into files of at most {limit}"]}
    assert elapsed < 3, elapsed


def test_parsing_stops_at_the_first_row_past_the_limit():
    text = HEADER + "Ola;Nowicka;2014-01-01;unexplained_absence;2026-03-02;1;ok\n" * 50
    with pytest.raises(InvalidInput) as refusal:
        parse(text.encode(), max_rows=10)
    assert refusal.value.errors == {"file": ["has more than 10 rows; split it into files of at most 10"]}
    assert len(parse(text.encode(), max_rows=50)) == 50


# --- rate ------------------------------------------------------------------------------------


def test_imports_per_user_are_rate_limited_with_429_and_retry_after(client, world, services, clock):
    per_minute = services.settings.imports_per_minute
    school, police = world.users["school"], world.users["police"]
    small = export(1)
    for _ in range(per_minute):
        assert post(client, school, small).status_code == 201
    refused = post(client, school, small)
    assert refused.status_code == 429, refused.get_data(as_text=True)[:300]
    assert refused.json["error"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "60"
    assert f"at most {per_minute} imports per minute" in refused.json["message"]

    assert post(client, police, small).status_code == 201  # per user: another user is not held up

    clock.now += timedelta(seconds=30)
    assert post(client, school, small).headers.get("Retry-After") == "30"
    clock.now += timedelta(seconds=31)
    assert post(client, school, small).status_code == 201


def test_the_rate_is_shared_by_every_process_on_the_data(client, world, services, settings, clock):
    """Two web processes (two sets of services on one data directory) count into one window."""
    per_minute = services.settings.imports_per_minute
    other = build(settings, clock=clock)
    try:
        school = world.users["school"]
        for n in range(per_minute):
            if n % 2:
                other.imports.import_csv(school.actor, export(1), dry_run=True)
            else:
                assert post(client, school, export(1)).status_code == 201
        assert post(client, school, export(1)).status_code == 429
    finally:
        other.close()


# --- the page ------------------------------------------------------------------------------


def _page_upload(browser, body: bytes):
    token = csrf_of(browser.get("/import").get_data(as_text=True))
    return browser.client.post(
        "/import",
        data={"csrf_token": token, "dry_run": "y", "file": (io.BytesIO(body), "eksport.csv")},
        content_type="multipart/form-data",
    )


def test_the_import_page_names_each_limit_in_polish(browser, services):
    browser.sign_in("school")
    limit_rows = services.settings.import_max_rows
    limit_mib = services.settings.import_max_bytes // (1024 * 1024)
    form = browser.get("/import").get_data(as_text=True)
    assert f"Jeden plik może mieć najwyżej {limit_rows} wierszy i {limit_mib} MiB" in form

    too_big = _page_upload(browser, export(services.settings.import_max_bytes // 60, details="x" * 20))
    assert too_big.status_code == 413
    assert f"Plik jest za duży: najwyżej {limit_mib} MiB. Podziel go na mniejsze pliki." in too_big.get_data(
        as_text=True
    )

    too_long = _page_upload(browser, export(limit_rows + 1))
    assert too_long.status_code == 422
    assert f"Plik ma więcej niż {limit_rows} wierszy; podziel go na pliki po najwyżej {limit_rows}." in (
        too_long.get_data(as_text=True)
    )

    for _ in range(services.settings.imports_per_minute - 1):  # the file with too many rows was counted
        assert _page_upload(browser, export(1)).status_code == 200
    too_often = _page_upload(browser, export(1))
    page = too_often.get_data(as_text=True)
    assert too_often.status_code == 429
    assert too_often.headers["Retry-After"] == "60"
    assert "Za dużo importów w krótkim czasie" in page and "Spróbuj ponownie za 60 s." in page
