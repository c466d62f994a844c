"""Matching import rows to pupils on file by name and date of birth, through the per-birthday index."""

from __future__ import annotations

from datetime import date

from domain.pesel import make_pesel
from tests.functional.api.test_import import upload


def register(client, who, given, family, dob, pesel=None):
    body = {"given_name": given, "family_name": family, "date_of_birth": dob, **({"pesel": pesel} if pesel else {})}
    response = client.post("/api/v1/children", headers=who.headers, json=body)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_namesake_with_another_pesel_is_another_pupil_and_one_without_is_the_one_on_file(client, world):
    school = world.users["school"]
    on_file = register(client, school, "Zofia", "Kowalczyk", "2013-09-01", make_pesel(date(2013, 9, 1), 111))
    register(client, school, "Adam", "Kowalczyk", "2013-09-01")  # same birthday, another name
    other = make_pesel(date(2013, 9, 1), 222)
    body = (
        "pesel,given_name,family_name,date_of_birth,kind,observed_at\n"
        ",ZOFIA,Kowalczyk,2013-09-01,missed_remote_learning,2026-02-02\n"
        f"{other},Zofia,Kowalczyk,2013-09-01,missed_remote_learning,2026-02-03\n"
    ).encode()
    report = upload(client, school, body).json
    first, second = (r["child_id"] for r in report["results"])
    assert first == on_file
    assert second != on_file and report["registered_children"] == 1


def test_two_namesakes_on_file_without_a_pesel_in_the_row_are_refused(client, world):
    school = world.users["school"]
    register(client, school, "Jan", "Lis", "2012-01-02", make_pesel(date(2012, 1, 2), 333))
    register(client, school, "Jan", "Lis", "2012-01-02", make_pesel(date(2012, 1, 2), 444))
    body = (
        b"given_name,family_name,date_of_birth,kind,observed_at\nJan,Lis,2012-01-02,missed_remote_learning,2026-03-02\n"
    )
    result = upload(client, school, body).json["results"][0]
    assert result["status"] == "rejected" and "given_name" in result["errors"]
