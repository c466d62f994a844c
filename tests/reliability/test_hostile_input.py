"""Hostile and broken input: every answer is a 4xx JSON naming the field and the problem.

Oversized bodies, JSON nested thousands deep, bodies that are not objects, the wrong
content type, impossible dates and PESELs, unknown fields, control characters; and school
exports as they really arrive (Windows-1250 or UTF-8 with or without BOM, semicolons,
quotes around separators and line breaks, blank lines, a last line cut off inside a
quote, a value longer than the csv module reads) - each row accepted or refused with its
reason, never a 500.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.pesel import make_pesel
from services.app import create_app
from services.bootstrap import build
from services.config import Settings
from tests.worlds import make_world

API = "/api/v1"
CHILD = {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"}


def problems(answer) -> dict[str, list[str]]:
    assert answer.is_json, answer.get_data(as_text=True)[:200]
    return answer.json.get("errors", {})


@pytest.fixture
def child_id(client, world) -> str:
    answer = client.post(f"{API}/children", headers=world.users["school"].headers, json=CHILD)
    assert answer.status_code == 201
    return answer.json["id"]


# --- bodies -----------------------------------------------------------------------------------


def test_an_oversized_body_is_413_json_before_it_is_read(tmp_path, clock):
    services = build(
        Settings.from_env({"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_MAX_BODY_BYTES": "4096"}), clock=clock
    )
    try:
        app = create_app(services=services)
        client = app.test_client()
        school = make_world(services.directory).users["school"]
        big = {**CHILD, "given_name": "A" * 5000}
        for answer in (
            client.post(f"{API}/children", headers=school.headers, json=big),
            client.post(
                f"{API}/signals/import", headers={**school.headers, "Content-Type": "text/csv"}, data=b"x" * 5000
            ),
        ):
            assert answer.status_code == 413
            assert answer.json["error"] == "request_entity_too_large"
            assert answer.headers["Content-Type"] == "application/json"
    finally:
        services.close()


@pytest.mark.parametrize(
    "body",
    [
        '{"given_name": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"a":' * 5000 + "1" + "}" * 5000,
    ],
    ids=["arrays", "objects"],
)
def test_json_nested_thousands_deep_is_400_not_a_crash(client, world, body):
    answer = client.post(
        f"{API}/children", headers={**world.users["school"].headers, "Content-Type": "application/json"}, data=body
    )
    assert answer.status_code == 400
    assert problems(answer) == {"_request": ["the JSON body is nested too deeply"]}


@pytest.mark.parametrize("body", ["[]", '"Ola"', "null", "123", "true"])
def test_a_body_that_is_not_an_object_is_422(client, world, body):
    answer = client.post(
        f"{API}/children", headers={**world.users["school"].headers, "Content-Type": "application/json"}, data=body
    )
    assert answer.status_code == 422
    assert "_schema" in problems(answer)


@pytest.mark.parametrize("body", ["{", b"\xff\xfe{}", '{"given_name": "Ola",}'])
def test_malformed_json_is_400(client, world, body):
    answer = client.post(
        f"{API}/children", headers={**world.users["school"].headers, "Content-Type": "application/json"}, data=body
    )
    assert answer.status_code == 400
    assert problems(answer) == {"_request": ["Invalid JSON body."]}


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", None])
def test_a_write_that_is_not_json_is_415(client, world, child_id, content_type):
    headers = {**world.users["school"].headers, **({"Content-Type": content_type} if content_type else {})}
    for path in (f"{API}/children", f"{API}/children/{child_id}/signals"):
        answer = client.post(path, headers=headers, data=b'{"given_name": "Ola"}')
        assert answer.status_code == 415, (path, answer.json)
        assert answer.json["error"] == "unsupported_media_type"


def test_the_import_refuses_json_and_images_by_type(client, world):
    answer = client.post(f"{API}/signals/import", headers=world.users["school"].headers, json={"rows": []})
    assert answer.status_code == 415
    assert "text/csv" in answer.json["message"]


# --- fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("date_of_birth", "2015-02-30", "Not a valid date."),
        ("date_of_birth", "31.02.2015", "Not a valid date."),
        ("date_of_birth", "", "Not a valid date."),
        ("date_of_birth", None, "Field may not be null."),
        ("date_of_birth", 20150101, "Not a valid date."),
        ("pesel", "12345678901", "checksum digit does not match"),
        ("pesel", "1234567890", "must be exactly 11 digits"),
        ("pesel", "abcdefghijk", "must be exactly 11 digits"),
        ("pesel", make_pesel(date(2014, 9, 17), 7315), "encodes a different date of birth than date_of_birth"),
        ("given_name", "A" * 101, "Length must be between 1 and 100."),
        ("given_name", "Ola\x00", "must not contain control or invisible characters"),
        ("family_name", "Nowicka\u202e", "must not contain control or invisible characters"),
        ("is_admin", True, "Unknown field."),
    ],
)
def test_a_bad_field_of_a_child_is_named_with_its_problem(client, world, field, value, problem):
    answer = client.post(f"{API}/children", headers=world.users["school"].headers, json={**CHILD, field: value})
    assert answer.status_code == 422, answer.json
    assert problem in " ".join(problems(answer)[field])


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"observed_at": "yesterday"}, "observed_at", "Not a valid datetime."),
        ({"observed_at": "2026-13-01T00:00:00"}, "observed_at", "Not a valid datetime."),
        ({"observed_at": "2026-02-20T08:00:00+25:00"}, "observed_at", "Not a valid datetime."),
        ({"observed_at": "2999-01-01T00:00:00"}, "observed_at", "must not be in the future"),
        ({"observed_at": "1900-01-01T00:00:00"}, "observed_at", "is implausibly old"),
        ({"observed_at": "0001-01-01T00:00:00"}, "_request", "outside the supported range"),
        ({"kind": "teleportation"}, "kind", "Must be one of"),
        ({"kind": "missed_remote_learning", "days": 10**30}, "days", "less than or equal to 366"),
        ({"kind": "missed_remote_learning", "days": -1}, "days", "greater than or equal to 1"),
        ({"severity": "apocalyptic"}, "severity", "Must be one of"),
        ({"agency_id": "00000000-0000-0000-0000-000000000000"}, "agency_id", "Unknown field."),
    ],
)
def test_a_bad_field_of_a_signal_is_named_with_its_problem(client, world, child_id, body, field, problem):
    signal = {"kind": "behaviour_change", "observed_at": "2026-02-20T08:00:00", **body}
    answer = client.post(f"{API}/children/{child_id}/signals", headers=world.users["school"].headers, json=signal)
    assert answer.status_code == 422, answer.json
    assert problem in " ".join(problems(answer)[field]), answer.json


def test_bad_headers_query_strings_and_ids_are_4xx(client, world, child_id):
    school, case = world.users["school"].headers, world.users["case_worker"].headers
    answer = client.post(
        f"{API}/children/{child_id}/signals",
        headers={**school, "Idempotency-Key": "x" * 10_000},
        json={"kind": "behaviour_change", "observed_at": "2026-02-20T08:00:00"},
    )
    assert answer.status_code == 422 and "headers.Idempotency-Key" in problems(answer)
    assert client.post(f"{API}/children/search", headers=school, json={"pesel": "1" * 5000}).status_code == 422
    assert client.get(f"{API}/children?pesel=" + "1" * 5000, headers=school).status_code == 400  # never in a URL
    assert "as_of" in problems(client.get(f"{API}/children/{child_id}/timeline?as_of=garbage", headers=case))
    assert client.get(f"{API}/children/not-a-uuid/timeline", headers=case).status_code == 404
    assert (
        client.get(f"{API}/children/{child_id}/timeline", headers={"Authorization": "Bearer " + "x" * 9000}).status_code
        == 401
    )
    assert (
        client.get(f"{API}/children/{child_id}/timeline", headers={"Authorization": "Basic b2xhOm9sYQ=="}).status_code
        == 401
    )


# --- school exports as they arrive --------------------------------------------------------------


def upload(client, world, data: bytes, key: str | None = None):
    headers = {**world.users["school"].headers, "Content-Type": "text/csv", **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{API}/signals/import", headers=headers, data=data)


POLISH_HEADER = "pesel;imię;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis"
ROWS = [
    ';Łucja;Żółkiewska;03.04.2015;Brak logowania do nauki zdalnej;20.02.2026;2;"cisza; brak kontaktu"',
    "",  # Excel leaves blank lines where rows were deleted
    ';Grzegorz;Brzęczyszczykiewicz;2014-11-30;unexplained_absence;2026-02-19 08:00;;"mama: ""choroba"""',
    ";;",
    ';Ewa;Ćwik;12.12.2013;unexplained_absence;19.02.2026;;"dwie\nlinie"',
]


@pytest.mark.parametrize(
    ("encoding", "bom", "newline"),
    [
        ("cp1250", b"", "\r\n"),
        ("utf-8", b"", "\n"),
        ("utf-8", b"\xef\xbb\xbf", "\r\n"),
    ],
    ids=["windows-1250", "utf-8", "utf-8-bom"],
)
def test_polish_spreadsheet_exports_are_read_exactly(client, world, encoding, bom, newline):
    data = bom + newline.join([POLISH_HEADER, *ROWS, ""]).encode(encoding)
    answer = upload(client, world, data)
    assert answer.status_code == 201, answer.json
    report = answer.json
    assert [r["status"] for r in report["results"]] == ["accepted", "accepted", "accepted"], report
    assert [r["row"] for r in report["results"]] == [2, 4, 7]  # physical lines: the quoted break counts
    names, details = [], []
    for result in report["results"]:
        child = client.get(f"{API}/children/{result['child_id']}", headers=world.users["school"].headers).json
        names.append(f"{child['given_name']} {child['family_name']}")
        signals = client.get(f"{API}/children/{result['child_id']}/signals", headers=world.users["school"].headers)
        details.append(signals.json[0]["details"])
    assert names == ["Łucja Żółkiewska", "Grzegorz Brzęczyszczykiewicz", "Ewa Ćwik"]
    assert details == ["cisza; brak kontaktu", 'mama: "choroba"', "dwie\nlinie"]


def test_a_truncated_last_line_and_unreadable_lines_are_refused_row_by_row(client, world):
    lines = [
        POLISH_HEADER,
        ";Ola;Nowicka;14.05.2015;unexplained_absence;20.02.2026;;ok",
        ';Jan;Kowal;09.01.2014;unexplained_absence;20.02.2026;;"' + "a" * 200_000 + '"',
        ';Ida;Kot;2014-01-09;unexplained_absence;20.02.2026;;"ucięte w połowie',
    ]
    answer = upload(client, world, "\r\n".join(lines).encode("cp1250"), key="truncated")
    assert answer.status_code == 201, answer.json
    results = answer.json["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert "longer than" in results[1]["errors"]["_row"][0]
    assert "ends inside a quoted value" in results[2]["errors"]["_row"][0]
    assert answer.json["registered_children"] == 1


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (b"", "file", "is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "columns", "unknown column"),
        ("imie;imię;nazwisko;data_urodzenia;rodzaj;data\n".encode(), "columns", "more than one column for: given_name"),
        (b"imie;nazwisko;data_urodzenia\nOla;Nowicka;2015-05-14\n", "columns", "missing required column"),
    ],
)
def test_files_that_cannot_be_imported_name_the_problem(client, world, data, field, problem):
    answer = upload(client, world, data)
    assert answer.status_code == 422, answer.json
    assert problem in problems(answer)[field][0]
