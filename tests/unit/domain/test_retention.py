"""The retention schedule (domain/retention.py): a rule per kind of record, the latest day wins, and
a bad file is refused naming its field."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.policy_files import read_policy
from domain.retention import (
    BLUE_CARD,
    HELP_PLAN,
    KINDS,
    TIME_CARD,
    WORKING_GROUP,
    RecordFacts,
    RetentionFacts,
    load_retention_policy,
    parse_retention_policy,
    retention_due,
)

SHIPPED = load_retention_policy()
BORN = date(2010, 5, 14)


def facts(*records: RecordFacts, last=date(2026, 3, 3), born=BORN, open_cards=0) -> RetentionFacts:
    return RetentionFacts(date_of_birth=born, last_entry=last, open_cards=open_cards, records=records)


def test_the_shipped_schedule_has_a_rule_with_a_legal_basis_for_every_kind():
    assert {r.kind for r in SHIPPED.rules} == set(KINDS)
    assert all(r.legal_basis and r.years >= 10 for r in SHIPPED.rules)
    assert SHIPPED.rule(BLUE_CARD).counted_from == "closure" and SHIPPED.adult_at == 18


def test_the_latest_rule_gives_the_day_and_is_named():
    verdict = retention_due(
        facts(RecordFacts(HELP_PLAN, "p1", date(2040, 1, 2)), RecordFacts(BLUE_CARD, "c1", date(2030, 5, 1))),
        SHIPPED,
        date(2045, 1, 1),
    )
    assert (verdict.due, verdict.due_on, verdict.kind, verdict.record_id) == (False, date(2050, 1, 2), HELP_PLAN, "p1")
    assert "help plan" in verdict.reason and verdict.legal_basis == SHIPPED.rule(HELP_PLAN).legal_basis
    assert retention_due(facts(RecordFacts(HELP_PLAN, "p1", date(2040, 1, 2))), SHIPPED, date(2050, 1, 2)).due


def test_a_record_open_until_closure_keeps_everything_and_gives_no_day():
    verdict = retention_due(
        facts(RecordFacts(TIME_CARD, "t1", date(2026, 3, 3), closed=False)), SHIPPED, date(2090, 1, 1)
    )
    assert not verdict.due and verdict.due_on is None and verdict.kind == TIME_CARD
    group = RecordFacts(WORKING_GROUP, "g1", date(2026, 3, 3), closed=False)  # counted from its last entry
    assert retention_due(facts(group), SHIPPED, date(2090, 1, 1)).due


def test_adulthood_bounds_only_the_rules_that_say_so():
    young = date(2026, 1, 1)  # born this year: adult in 2044
    card = RecordFacts(TIME_CARD, "t1", date(2026, 3, 3))  # time cards do not wait for adulthood
    verdict = retention_due(facts(card, born=young, last=date(2000, 1, 1)), SHIPPED, date(2040, 1, 1))
    assert verdict.due_on == date(2044, 1, 1) and verdict.kind == "child_record"


def _raw(**changes) -> dict:
    raw = read_policy(None, "retention_policy.toml")
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = raw
        for part in path:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return raw


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rules__blue_card__years": -1}, "rules.blue_card.years"),
        ({"rules__blue_card__years": True}, "rules.blue_card.years"),
        ({"rules__help_plan__legal_basis": " "}, "rules.help_plan.legal_basis"),
        ({"rules__help_plan__legal_basis": None}, "rules.help_plan.legal_basis"),
        ({"rules__help_plan__counted_from": "closure"}, "rules.help_plan.counted_from"),
        ({"rules__time_card__not_before_adulthood": "yes"}, "rules.time_card.not_before_adulthood"),
        ({"rules__time_card__extra": 1}, "rules.time_card.extra"),
        ({"rules__read_log": {"years": 1}}, "rules.read_log"),
        ({"rules__working_group": None}, "rules.working_group"),
        ({"rules": "all"}, "rules"),
        ({"adult_at": 40}, "adult_at"),
        ({"version": ""}, "version"),
    ],
)
def test_a_bad_policy_file_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidInput) as refused:
        parse_retention_policy(_raw(**changes))
    assert field in refused.value.errors


def test_a_file_of_the_first_shape_applies_its_numbers_to_every_kind():
    old = parse_retention_policy({"version": "v1", "years_after_last_entry": 5, "adult_at": 18})
    assert old.rules == () and old.rule(HELP_PLAN).years == 5 and old.rule(BLUE_CARD).counted_from == "closure"
