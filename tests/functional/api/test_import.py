"""Bulk CSV import of a school e-register export, as a school's system sends it."""

from __future__ import annotations

import pytest

from services.api.imports import EXAMPLE

HEADER_EN = "given_name,family_name,date_of_birth,kind,observed_at,days,details\n"


def upload(client, who, body: bytes, *, key: str | None = None, dry_run: bool = False, multipart: bool = False):
    headers = {**who.headers, **({"Idempotency-Key": key} if key else {})}
    query = {"dry_run": "true"} if dry_run else {}
    if multipart:
        import io

        return client.post(
            "/api/v1/signals/import",
            headers=headers,
            query_string=query,
            data={"file": (io.BytesIO(body), "eksport.csv")},
            content_type="multipart/form-data",
        )
    return client.post(
        "/api/v1/signals/import", headers={**headers, "Content-Type": "text/csv"}, query_string=query, data=body
    )


def statuses(report) -> list[str]:
    return [r["status"] for r in report["results"]]


def test_a_utf8_export_registers_pupils_and_records_their_signals(client, world):
    body = (
        HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,brak logowania\n"
        "Jan,Kowal,2014-01-09,unexplained_absence,2026-03-02 08:00,1,\n"
    ).encode()
    answer = upload(client, world.users["school"], body)
    assert answer.status_code == 201, answer.json
    report = answer.json
    assert (report["rows"], report["accepted"], report["registered_children"]) == (2, 2, 2)
    child = report["results"][0]["child_id"]
    signals = client.get(f"/api/v1/children/{child}/signals", headers=world.users["school"].headers).json
    assert [(s["kind"], s["days"], s["details"]) for s in signals] == [("missed_remote_learning", 3, "brak logowania")]
    assert client.get(f"/api/v1/children/{child}", headers=world.users["school"].headers).json["school_id"] == str(
        world.agencies["school"]
    )


def test_polish_excel_semicolons_windows_1250_quotes_and_blank_lines(client, world):
    text = (
        "imię;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\r\n\r\n"
        'Łucja;Żółkiewska;03.04.2015;Brak logowania do nauki zdalnej;20.02.2026;2;"cisza; brak kontaktu"\r\n'
    )
    answer = upload(client, world.users["school"], text.encode("cp1250"))
    assert answer.status_code == 201, answer.json
    assert statuses(answer.json) == ["accepted"]
    child = answer.json["results"][0]["child_id"]
    record = client.get(f"/api/v1/children/{child}", headers=world.users["school"].headers).json
    assert (record["given_name"], record["family_name"]) == ("Łucja", "Żółkiewska")
    signals = client.get(f"/api/v1/children/{child}/signals", headers=world.users["school"].headers).json
    assert signals[0]["details"] == "cisza; brak kontaktu"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_with_and_without_bom(client, world, bom):
    body = bom + (HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n").encode()
    assert statuses(upload(client, world.users["school"], body).json) == ["accepted"]


def test_bad_rows_are_refused_one_by_one_and_the_good_ones_kept(client, world):
    body = (
        HEADER_EN
        + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,ok\n"
        + "Jan,Kowal,2014-01-09,teleportation,2026-03-02,1,\n"
        + "Ewa,Lis,2014-01-09,unexplained_absence,2099-01-01,1,\n"
        + "Adam,Nowy,not-a-date,unexplained_absence,2026-03-02,1,\n"
        + "Ida,Kot,2014-01-09,domestic_intervention,2026-03-02,,\n"
        + "Ala,Mak,2014-01-09,unexplained_absence,2026-03-02,x,\n"
        + "Urszula,Ucięta,2013-0"
    ).encode()
    report = upload(client, world.users["school"], body).json
    assert statuses(report) == ["accepted"] + ["rejected"] * 6
    errors = [r.get("errors", {}) for r in report["results"]]
    assert "unknown signal kind" in errors[1]["kind"][0]
    assert errors[2]["observed_at"] == ["must not be in the future"]
    assert "date" in errors[3]["date_of_birth"][0]
    assert "not a signal an agency of kind 'school' submits" in errors[4]["kind"][0]
    assert errors[5]["days"] == ["must be a whole number of days"]
    assert "incomplete" in errors[6]["_row"][0]
    assert report["registered_children"] == 1


def test_a_second_upload_of_the_same_export_is_all_duplicates(client, world):
    body = (
        HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n"
        "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n"
    ).encode()
    first = upload(client, world.users["school"], body).json
    assert statuses(first) == ["accepted", "duplicate"]
    second = upload(client, world.users["school"], body).json
    assert statuses(second) == ["duplicate", "duplicate"] and second["registered_children"] == 0
    child = first["results"][0]["child_id"]
    events = client.get(f"/api/v1/children/{child}/events", headers=world.users["school"].headers).json
    assert [e["type"] for e in events] == ["Registered", "SignalRecorded"]


def test_a_retry_with_the_same_key_returns_the_first_report(client, world):
    body = (HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n").encode()
    first = upload(client, world.users["school"], body, key="eksport-2026-03-02")
    again = upload(client, world.users["school"], body, key="eksport-2026-03-02")
    assert again.status_code == 201 and again.json["replayed"] is True
    assert again.json["results"] == first.json["results"]
    other = upload(
        client,
        world.users["school"],
        body + b"Jan,Kowal,2014-01-09,unexplained_absence,2026-03-02,1,\n",
        key="eksport-2026-03-02",
    )
    assert other.status_code == 409


def test_known_pupils_are_found_by_pesel_or_by_name(client, world):
    from datetime import date

    from domain.pesel import make_pesel

    school = world.users["school"]
    pesel = make_pesel(date(2015, 5, 14), 777)
    by_pesel = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14", "pesel": pesel},
    ).json["id"]
    by_name = client.post(
        "/api/v1/children",
        headers=school.headers,
        json={"given_name": "Łukasz", "family_name": "Wiśniewski", "date_of_birth": "2014-03-12"},
    ).json["id"]
    body = (
        "pesel,given_name,family_name,date_of_birth,kind,observed_at\n"
        f"{pesel},,,,missed_remote_learning,2026-03-02\n"
        ",Lukasz,Wisniewski,2014-03-12,missed_remote_learning,2026-03-02\n"
    ).encode()
    report = upload(client, school, body).json
    assert [r["child_id"] for r in report["results"]] == [by_pesel, by_name]
    assert report["registered_children"] == 0


def test_dry_run_checks_everything_and_saves_nothing(client, world, services):
    before = services.store.recorder.max_notification_id()
    body = (HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n").encode()
    report = upload(client, world.users["school"], body, dry_run=True).json
    assert statuses(report) == ["accepted"] and report["dry_run"] is True
    assert services.store.recorder.max_notification_id() == before


def test_nothing_is_half_imported_when_the_save_fails(client, world, services, monkeypatch):
    before = services.store.recorder.max_notification_id()

    def crash(*aggregates, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services.store, "save", crash)
    body = (
        HEADER_EN + "".join(f"Dziecko,Nr{i},2015-05-14,missed_remote_learning,2026-03-02,1,\n" for i in range(50))
    ).encode()
    assert upload(client, world.users["school"], body).status_code == 500
    monkeypatch.undo()
    assert services.store.recorder.max_notification_id() == before


def test_multipart_upload_and_the_example_file(client, world):
    example = client.get("/api/v1/signals/import/example", headers=world.users["school"].headers)
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert example.get_data().decode("utf-8-sig") == EXAMPLE
    report = upload(client, world.users["school"], example.get_data(), multipart=True).json
    assert report["accepted"] == 3, report


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "file"),
        (b"name,kind,observed_at\nx,missed_remote_learning,2026-03-02\n", "columns"),
        (b"pesel,kind\n1,missed_remote_learning\n", "columns"),
    ],
)
def test_unusable_files_are_refused_naming_the_problem(client, world, body, field):
    answer = upload(client, world.users["school"], body)
    assert answer.status_code == 422 and field in answer.json["errors"]


def test_wrong_content_type_and_roles(client, world):
    school = world.users["school"]
    assert client.post("/api/v1/signals/import", headers=school.headers, json={"x": 1}).status_code == 415
    body = (HEADER_EN + "Ola,Nowicka,2015-05-14,missed_remote_learning,2026-03-02,3,\n").encode()
    for who in ("admin", "auditor"):
        assert upload(client, world.users[who], body).status_code == 403
    assert client.post("/api/v1/signals/import", data=body, content_type="text/csv").status_code == 401
