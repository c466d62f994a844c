"""Finding 21.6: there was no retention schedule; ``retention_expired`` was judged on the child's record alone.

The only rule looked at the child's own record and its Blue Cards: a help plan, a working
group or a time card about the child, written years later, did not count, so one
coordinator could erase alone (ground ``retention_expired``) a family whose plan was still
within its period; and nobody was told when a record fell due. Now a schedule
(domain/retention_policy.toml) has a rule per kind of record with its legal basis; the
child is due only when every record about them is; a daily job lists who is due for the
coordinator and the auditor (``GET /api/v1/retention/due``, no names), and the coordinator
confirms with ``retention_expired``, checked against the schedule again.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from uuid import UUID

import pytest
from click.testing import CliRunner

from domain.errors import Conflict

BORN = date(2010, 5, 14)


def at(year: int, month: int = 1, day: int = 2) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def _child(services, world, given="Iga") -> UUID:
    answer = services.children.register(
        world.actor("school"), given_name=given, family_name="Retencka", date_of_birth=BORN
    )
    return UUID(answer["id"])


def _plan(services, world, child: UUID, today: date) -> UUID:
    plan = {
        "swot": {"strengths": ["matka współpracuje"]},
        "main_goal": "Bezpieczny dom",
        "actions": [{"party": "family", "description": "świetlica", "due": date(today.year, 6, 1)}],
        "next_evaluation": date(today.year, 9, 1),
    }
    answer = services.help_plans.draw(world.actor("case_worker"), child_ids=[child], household="dom", plan=plan)
    return UUID(answer["id"])


def _erase_alone(services, world, child):
    return services.erasure.request(world.actor("coordinator"), child, ground="retention_expired", reference="B10")


def test_a_help_plan_written_later_keeps_the_child_until_its_own_rule_ends(services, world, recorded_by_clock):
    clock = recorded_by_clock
    child = _child(services, world)  # 2026: the child's own record is due in 2036 (and adult in 2028)
    clock.now = at(2040)
    _plan(services, world, child, clock.now.date())  # a plan in 2040: due in 2050
    clock.now = at(2045)
    with pytest.raises(Conflict) as refused:
        _erase_alone(services, world, child)
    assert refused.value.details["due_on"] == "2050-01-02"
    assert not services.store.keys.is_destroyed(child)
    clock.now = at(2050, 1, 2)
    assert _erase_alone(services, world, child)["erased"] is True


def test_a_time_card_not_yet_accepted_keeps_everything(services, world, recorded_by_clock):
    clock = recorded_by_clock
    child = _child(services, world)
    assistant = world.actor("family_assistant")
    card = services.time_cards.open(assistant, "2026-03")
    services.time_cards.add_entry(
        assistant,
        UUID(card["id"]),
        date=date(2026, 3, 2),
        start=time(9),
        end=time(10),
        place="dom",
        topic="budżet",
        child_ids=[child],
    )
    clock.now = at(2060)
    with pytest.raises(Conflict) as refused:
        _erase_alone(services, world, child)
    assert refused.value.details["due_on"] is None and "time card" in str(refused.value)


def test_the_daily_job_lists_who_is_due_for_the_coordinator_who_confirms(
    services, app, world, other_world, recorded_by_clock
):
    clock = recorded_by_clock
    client = app.test_client()
    due, kept = _child(services, world, "Iga"), _child(services, world, "Ola")
    clock.now = at(2030)
    _plan(services, world, kept, clock.now.date())  # Ola's plan keeps her until 2040
    clock.now = at(2037)
    counts = services.retention.run()
    assert counts["due"] == 1 and counts["raised"] == 1
    assert services.retention.run()["raised"] == 0  # once per child and day, however often it runs

    listed = client.get("/api/v1/retention/due", headers=world.users["coordinator"].headers)
    assert listed.status_code == 200, listed.json
    (item,) = listed.json["items"]
    assert item["child_id"] == str(due) and item["kind"] == "child_record" and item["due_on"] == "2036-03-03"
    assert item["rule"] == services.retention.policy.version and item["legal_basis"]
    assert "Iga" not in listed.get_data(as_text=True) and "Retencka" not in listed.get_data(as_text=True)
    auditor = client.get("/api/v1/retention/due", headers=world.users["auditor"].headers)
    assert auditor.status_code == 200 and len(auditor.json["items"]) == 1
    reads = services.read_audit.table.newest(world.municipality_id, child_id=due, limit=50)
    assert any(r["view"] == "retention_due" for r in reads)
    for label in ("admin", "school", "case_worker"):
        assert client.get("/api/v1/retention/due", headers=world.users[label].headers).status_code == 403, label
    stranger = client.get("/api/v1/retention/due", headers=other_world.users["coordinator"].headers)
    assert stranger.status_code == 200 and stranger.json["items"] == []

    confirmed = client.post(
        f"/api/v1/children/{due}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "retention_expired", "reference": "JRWA B10"},
    )
    assert confirmed.status_code == 200 and confirmed.json["erased"] is True
    after = client.get("/api/v1/retention/due", headers=world.users["coordinator"].headers)
    assert after.json["items"] == []


def test_a_child_no_longer_due_is_withdrawn_from_the_list(services, world, recorded_by_clock):
    clock = recorded_by_clock
    child = _child(services, world)
    clock.now = at(2037)
    assert services.retention.run()["raised"] == 1
    services.children.record_signal(
        world.actor("school"), child, kind="behaviour_change", details="", observed_at=clock.now
    )  # a new entry: ten more years
    assert services.retention.run()["withdrawn"] == 1
    assert services.retention.due(world.actor("coordinator"))["items"] == []


def test_the_daily_job_runs_in_the_embedded_loop_and_on_celery_beat(services, settings):
    assert services.retention_job is not None and services.retention_job.interval == settings.retention_seconds
    assert services.retention_job.first_delay <= 300  # a restart does not skip the day
    from services.usecases.retention import RETENTION_TASK
    from workers.celery_app import create_celery

    schedule = create_celery(settings).conf.beat_schedule
    assert any(entry["task"] == RETENTION_TASK for entry in schedule.values())


def test_the_cli_lists_what_is_due_with_ids_and_no_names(tmp_path, monkeypatch):
    from services.bootstrap import build
    from services.cli import main
    from services.config import Settings
    from tests.worlds import make_world

    policy = tmp_path / "retention.toml"
    rules = "".join(
        f'[rules.{kind}]\nyears = 0\ncounted_from = "last_entry"\nnot_before_adulthood = true\nlegal_basis = "test"\n'
        for kind in ("child_record", "blue_card", "working_group", "help_plan", "time_card")
    )  # nothing kept: the adult child registered today is due at once
    policy.write_text(f'version = "t0"\nyears_after_last_entry = 1\nadult_at = 18\n{rules}', encoding="utf-8")
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var"), "SAFEHUB_RETENTION_POLICY": str(policy)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    built = build(Settings.from_env(env), clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    try:
        world = make_world(built.directory)
        child = built.children.register(
            world.actor("school"), given_name="Iga", family_name="Retencka", date_of_birth=date(2000, 1, 1)
        )["id"]
    finally:
        built.close()
    result = CliRunner().invoke(main, ["retention", "due", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    (item,) = answer["items"]
    assert item["child_id"] == child and item["kind"] == "child_record" and item["rule"] == "t0"
    assert "Iga" not in result.output and "Retencka" not in result.output
    human = CliRunner().invoke(main, ["retention", "due"])
    assert human.exit_code == 0 and child in human.output and "child_record" in human.output


def test_the_coordinator_s_deadlines_page_has_the_retention_section(browser, services, world, recorded_by_clock):
    clock = recorded_by_clock
    child = _child(services, world)
    clock.now = at(2037)
    services.retention.run()
    browser.sign_in("coordinator")
    html = browser.get("/deadlines").get_data(as_text=True)
    assert "Okres przechowywania minął" in html and f"retention-{child}" in html and "Iga" not in html
    browser.sign_in("case-worker")
    html = browser.get("/deadlines").get_data(as_text=True)
    assert "Okres przechowywania minął" not in html and str(child) not in html


def test_the_coordinator_confirms_a_due_erasure_on_the_deadlines_page(browser, services, world, recorded_by_clock):
    clock = recorded_by_clock
    due, kept = _child(services, world), _child(services, world, given="Ola")
    clock.now = at(2030)
    _plan(services, world, kept, clock.now.date())  # Ola's plan keeps her until 2040
    clock.now = at(2037)
    services.retention.run()
    browser.sign_in("auditor")  # the auditor sees the list, but erasing is the coordinator's
    assert "Usuń teraz</button>" not in browser.get("/deadlines").get_data(as_text=True)
    browser.sign_in("coordinator")
    page = browser.get("/deadlines").get_data(as_text=True)
    assert "Usuń teraz</button>" in page and f"/retention/{due}/erasure" in page
    done = browser.post(f"/retention/{due}/erasure", {}, token_from="/deadlines", follow_redirects=True)
    assert "Kartoteka została usunięta: okres jej przechowywania minął." in done.get_data(as_text=True)
    assert services.children.get(world.actor("coordinator"), due)["erased"] is True
    early = browser.post(f"/retention/{kept}/erasure", {}, token_from="/deadlines", follow_redirects=True)
    assert "Nie usunięto: okres przechowywania jeszcze nie minął (upływa 02.01.2040)." in early.get_data(as_text=True)
    assert services.children.get(world.actor("coordinator"), kept)["erased"] is False
