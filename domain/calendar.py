"""Polish working days: weekends and statutory public holidays do not count.

The holidays come from the maintained ``holidays`` package (``holidays.Poland``), which
follows changes in the law (for example 24 December is a public holiday from 2025 on),
so no list of dates is kept here.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

#: Saturday and Sunday (``date.weekday()`` numbers).
_WEEKEND = frozenset({5, 6})


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Poland(years=year))


def is_holiday(day: date) -> bool:
    """True on a Polish statutory public holiday."""
    return day in _holidays(day.year)


def is_working_day(day: date) -> bool:
    """True on a weekday that is not a public holiday."""
    return day.weekday() not in _WEEKEND and not is_holiday(day)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    A deadline of 5 working days from a form A filled on the Friday before Easter ends
    on the Friday after Easter Monday. ``days`` = 0 gives ``start`` (or the next working
    day when ``start`` is not one).
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


@lru_cache(maxsize=64)
def _weekday_holidays(year: int) -> tuple[date, ...]:
    """The year's public holidays that fall on a weekday, in order."""
    return tuple(sorted(d for d in _holidays(year) if d.weekday() not in _WEEKEND))


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier).

    Counted, not walked: every seven days hold five weekdays, the rest are looked at one by
    one, and the weekday holidays in between are taken off (an item overdue for a year costs
    the same as one overdue for a day; deadline lists and agendas count many).
    """
    if end < start:
        return -working_days_between(end, start)
    weeks, rest = divmod((end - start).days, 7)
    first = start.weekday()
    count = weeks * 5 + sum(1 for i in range(1, rest + 1) if (first + i) % 7 not in _WEEKEND)
    for year in range(start.year, end.year + 1):
        count -= sum(1 for d in _weekday_holidays(year) if start < d <= end)
    return count


def next_working_day_on_or_after(day: date) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    return add_working_days(day, 0)
