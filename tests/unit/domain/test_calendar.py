"""Polish working days: weekends, Easter, the May long weekend and Christmas (24 December from 2025)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.calendar import add_working_days, is_working_day, next_working_day_on_or_after, working_days_between
from domain.errors import InvalidInput
from domain.procedure import ProcedurePolicy, add_months, load_procedure_policy


def test_weekends_and_public_holidays_are_not_working_days():
    assert is_working_day(date(2026, 4, 3))  # Good Friday is not a public holiday in Poland
    assert not is_working_day(date(2026, 4, 4)) and not is_working_day(date(2026, 4, 5))
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday
    assert not is_working_day(date(2026, 5, 1))  # Labour Day (Friday)
    assert not is_working_day(date(2026, 6, 4))  # Corpus Christi
    assert not is_working_day(date(2026, 11, 11))


def test_christmas_eve_is_a_holiday_from_2025_on():
    assert is_working_day(date(2024, 12, 24))
    for day in (24, 25, 26):
        assert not is_working_day(date(2025, 12, day))
    assert not is_working_day(date(2026, 12, 24))


def test_form_a_on_the_friday_before_easter():
    # Fri 3 Apr 2026 + 5 working days: Tue 7, Wed 8, Thu 9, Fri 10, Mon 13 (Easter Monday skipped).
    assert add_working_days(date(2026, 4, 3), 5) == date(2026, 4, 13)
    assert add_working_days(date(2025, 4, 18), 5) == date(2025, 4, 28)


def test_the_may_long_weekend():
    # 2025: Thu 1 May holiday, Fri 2 May a working day, Sat 3 May holiday.
    assert add_working_days(date(2025, 4, 30), 1) == date(2025, 5, 2)
    assert add_working_days(date(2025, 4, 30), 3) == date(2025, 5, 6)
    # 2026: Fri 1 May holiday, Sun 3 May holiday falls on a Sunday.
    assert add_working_days(date(2026, 4, 30), 1) == date(2026, 5, 4)
    assert add_working_days(date(2026, 4, 28), 5) == date(2026, 5, 6)


def test_across_christmas_2025():
    # Tue 23 Dec + 3: 24, 25, 26 are holidays, then the weekend: Mon 29, Tue 30, Wed 31.
    assert add_working_days(date(2025, 12, 23), 3) == date(2025, 12, 31)
    # 1 Jan is a holiday too, 6 Jan (Epiphany) as well.
    assert add_working_days(date(2025, 12, 31), 3) == date(2026, 1, 7)


def test_working_days_between_counts_the_end_not_the_start():
    assert working_days_between(date(2026, 4, 3), date(2026, 4, 13)) == 5
    assert working_days_between(date(2026, 4, 13), date(2026, 4, 14)) == 1
    assert working_days_between(date(2026, 4, 14), date(2026, 4, 14)) == 0
    assert working_days_between(date(2026, 4, 14), date(2026, 4, 13)) == -1
    assert working_days_between(date(2025, 12, 23), date(2025, 12, 28)) == 0


def test_zero_days_is_the_day_itself_or_the_next_working_day():
    assert add_working_days(date(2026, 4, 3), 0) == date(2026, 4, 3)
    assert next_working_day_on_or_after(date(2026, 4, 4)) == date(2026, 4, 7)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 4, 3), -1)


def test_the_shipped_policy_and_its_dates():
    policy = load_procedure_policy()
    assert policy.deadlines == {"form_a_to_chair": 5, "chair_to_group": 3, "first_group_meeting": 5}
    assert policy.due("chair_to_group", date(2025, 12, 23)) == date(2025, 12, 31)
    # Reviews 3 and 6 months after closure, moved to a working day.
    assert policy.review_dates(date(2026, 1, 31)) == [date(2026, 4, 30), date(2026, 7, 31)]
    assert policy.review_dates(date(2026, 2, 1)) == [date(2026, 5, 4), date(2026, 8, 3)]
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_a_policy_file_overrides_and_is_validated(tmp_path):
    text = tmp_path / "p.toml"
    text.write_text(
        'version = "x"\n[deadlines]\nform_a_to_chair = 2\nchair_to_group = 1\nfirst_group_meeting = 7\n'
        "[monitoring]\nreview_after_months = [1]\n[reminders]\nlead_working_days = 0\n"
        "[agenda]\nteam_lookback_days = 7\n[agenda.weights]\n"
        + "".join(f"{k} = 1\n" for k in load_procedure_policy().weights)
    )
    policy = load_procedure_policy(text)
    assert policy.deadlines["form_a_to_chair"] == 2 and policy.review_after_months == (1,)
    with pytest.raises(InvalidInput) as e:
        ProcedurePolicy.from_dict({"version": "x", "deadlines": {"form_a_to_chair": 0}})
    assert "deadlines.form_a_to_chair" in e.value.errors


def test_counting_working_days_equals_walking_them_day_by_day():
    def walked(start: date, end: date) -> int:
        if end < start:
            return -walked(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))

    starts = [date(2024, 12, 20) + timedelta(days=n) for n in range(0, 500, 3)]  # Christmas, Easter, May, New Year
    for start in starts:
        for span in (0, 1, 2, 5, 6, 7, 8, 13, 30, 61, 200, 400):
            for end in (start + timedelta(days=span), start - timedelta(days=span)):
                assert working_days_between(start, end) == walked(start, end), (start, end)
