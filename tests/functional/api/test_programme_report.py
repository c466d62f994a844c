"""The programme report over HTTP: JSON, CSV for Polish Excel, the printable page, drill-down, access."""

from __future__ import annotations

import csv
import io

import pytest

from tests.unit.projections.test_programme import EXPECTED_2025, crafted_year

PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def year(services, world, recorded_by_clock):
    return crafted_year(services, world, recorded_by_clock)


def test_the_coordinator_reads_the_year_as_json(client, world, year):
    response = client.get("/api/v1/reports/programme", query_string=PERIOD, headers=world.users["coordinator"].headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert {i["key"]: i["value"] for i in body["indicators"]} == EXPECTED_2025
    assert body["final"] is True and body["last_event_position"] > 0 and body["computed_at"]
    assert body["municipality_id"] == str(world.municipality_id)


def test_the_csv_opens_in_polish_excel(client, world, year):
    for extra, headers in (({"format": "csv"}, {}), ({}, {"Accept": "text/csv"})):
        response = client.get(
            "/api/v1/reports/programme",
            query_string={**PERIOD, **extra},
            headers={**world.users["coordinator"].headers, **headers},
        )
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "program-2025-01-01-2025-12-31.csv" in response.headers["Content-Disposition"]
        raw = response.data
        assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == ["sekcja", "wskaźnik", "opis", "wartość"]
        values = {r[1]: r[3] for r in rows if r[0] == "wskaźniki"}
        assert values == {k: str(v) for k, v in EXPECTED_2025.items()}
        terms = {r[1]: r[3] for r in rows if r[0] == "terminy"}
        assert terms["form_a_to_chair:median_delay_working_days"] == "5"
        assert terms["chair_to_group:worst_delay_working_days"] == "23"
        assert any("Przekroczonych" in r[2] or "przekroczonych" in r[2] for r in rows if r[0] == "terminy")


def test_the_printable_page_says_when_and_up_to_which_event(client, world, year):
    report = client.get(
        "/api/v1/reports/programme", query_string=PERIOD, headers=world.users["coordinator"].headers
    ).json
    response = client.get(
        "/api/v1/reports/programme",
        query_string={**PERIOD, "format": "html"},
        headers=world.users["coordinator"].headers,
    )
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    page = response.get_data(as_text=True)
    assert "Liczba prowadzonych „Niebieskich Kart”" in page
    assert f"do pozycji {report['last_event_position']} w dzienniku" in page
    assert "Obliczono:" in page and "@page" in page


def test_the_drill_down_lists_the_cases_for_the_chair_and_the_auditor(client, world, year):
    for who in ("coordinator", "auditor"):
        response = client.get(
            "/api/v1/reports/programme/cases",
            query_string={**PERIOD, "indicator": "cards_conducted"},
            headers=world.users[who].headers,
        )
        assert response.status_code == 200, (who, response.json)
        assert response.json["value"] == EXPECTED_2025["cards_conducted"] == len(response.json["cases"])
    breaches = client.get(
        "/api/v1/reports/programme/cases",
        query_string={**PERIOD, "indicator": "deadline_breaches:first_group_meeting"},
        headers=world.users["coordinator"].headers,
    ).json
    assert [(c["state"], c["delay_working_days"]) for c in breaches["cases"]] == [("late", 3)]


@pytest.mark.parametrize("who", ["school", "police", "case_worker", "family_assistant"])
def test_others_may_not_list_the_cases(client, world, year, who):
    response = client.get(
        "/api/v1/reports/programme/cases",
        query_string={**PERIOD, "indicator": "people_supported"},
        headers=world.users[who].headers,
    )
    assert response.status_code == 403


def test_the_administrator_reads_no_report(client, world, year):
    for path, query in (
        ("/api/v1/reports/programme", PERIOD),
        ("/api/v1/reports/monthly", {"year": 2025}),
        ("/api/v1/reports/programme/cases", {**PERIOD, "indicator": "signals"}),
    ):
        assert client.get(path, query_string=query, headers=world.users["admin"].headers).status_code == 403


def test_another_municipality_sees_nothing_of_ours(client, world, other_world, year):
    theirs = client.get(
        "/api/v1/reports/programme", query_string=PERIOD, headers=other_world.users["coordinator"].headers
    ).json
    assert all(i["value"] == 0 for i in theirs["indicators"])
    assert theirs["signals_by_agency_kind"] == {} and all(b["due"] == 0 for b in theirs["deadline_breaches"])
    cases = client.get(
        "/api/v1/reports/programme/cases",
        query_string={**PERIOD, "indicator": "people_supported"},
        headers=other_world.users["auditor"].headers,
    ).json
    assert cases["cases"] == []
    monthly = client.get(
        "/api/v1/reports/monthly", query_string={"year": 2025}, headers=other_world.users["coordinator"].headers
    ).json
    assert monthly["totals"]["signals"] == 0


def test_monthly_statistics_for_the_start_page(client, world, year):
    response = client.get(
        "/api/v1/reports/monthly", query_string={"year": 2025}, headers=world.users["coordinator"].headers
    )
    assert response.status_code == 200
    assert [m["month"] for m in response.json["months"]] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert response.json["totals"]["cards_started"] == 4


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/reports/programme", {"from": "2025-12-31", "to": "2025-01-01"}, "from"),
        ("/api/v1/reports/programme", {"from": "2025-02-30", "to": "2025-12-31"}, "from"),
        ("/api/v1/reports/programme", {"from": "2025-01-01", "to": "31.12.2025"}, "to"),
        ("/api/v1/reports/programme", {"from": "2025-01-01"}, "to"),
        ("/api/v1/reports/programme", {**PERIOD, "format": "xlsx"}, "format"),
        ("/api/v1/reports/programme", {"from": "1990-01-01", "to": "2025-12-31"}, "to"),
        ("/api/v1/reports/programme/cases", {**PERIOD, "indicator": "nonsense"}, "indicator"),
        ("/api/v1/reports/programme/cases", {"from": "2025-12-31", "to": "2025-01-01", "indicator": "signals"}, "from"),
        ("/api/v1/reports/monthly", {"year": "dwa tysiące"}, "year"),
        ("/api/v1/reports/monthly", {"year": 1999}, "year"),
        ("/api/v1/reports/monthly", {}, "year"),
    ],
)
def test_bad_input_names_the_field(client, world, path, query, field):
    response = client.get(path, query_string=query, headers=world.users["coordinator"].headers)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_the_operator_exports_the_same_csv_from_the_command_line(client, world, year, settings):
    from click.testing import CliRunner

    from services.cli import main

    env = {"SAFEHUB_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(
        main, ["report", "programme", "--from", "2025-01-01", "--to", "2025-12-31", "--csv"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    api = client.get(
        "/api/v1/reports/programme",
        query_string={**PERIOD, "format": "csv"},
        headers=world.users["coordinator"].headers,
    ).data.decode("utf-8-sig")

    def rows(text: str) -> list[list[str]]:
        return [r for r in csv.reader(io.StringIO(text), delimiter=";") if r[2] != "obliczono"]

    assert rows(result.stdout_bytes.decode("utf-8-sig")) == rows(api)
    wrong = CliRunner().invoke(main, ["report", "programme", "--from", "2025-12-31", "--to", "2025-01-01"], env=env)
    assert wrong.exit_code == 2 and "from: must not be after 'to'" in wrong.output
