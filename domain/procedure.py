"""The Blue Card procedure's configurable policy: deadlines, monitoring reviews, agenda weights.

Pure values read from TOML (the shipped ``procedure_policy.toml`` or a file named by the
operator); nothing in the code carries a number of days.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.calendar import add_working_days, next_working_day_on_or_after
from domain.errors import InvalidInput
from domain.policy_files import read_policy

DEFAULT_POLICY_FILE = "procedure_policy.toml"
#: The statutory deadlines the policy must configure.
DEADLINE_KINDS = ("form_a_to_chair", "chair_to_group", "first_group_meeting")
#: Reasons an agenda item may carry; each needs a weight.
AGENDA_REASONS = (
    "deadline_breached",
    "action_overdue",
    "help_plan_action_overdue",
    "band_review_now",
    "pieces_join_no_card",
    "review_due",
    "deadline_due",
    "deadline_met_late",
    "band_raised",
    "band_high",
    "new_signal_high",
    "new_signal",
    "band_lowered",
)


@dataclass(frozen=True)
class ProcedurePolicy:
    """Deadlines in working days, review intervals in months, reminder lead and agenda weights."""

    version: str
    timezone: str
    deadlines: dict[str, int]
    review_after_months: tuple[int, ...]
    lead_working_days: int
    team_lookback_days: int
    weights: dict[str, int]

    @property
    def zone(self) -> ZoneInfo:
        """The zone deadlines are counted in."""
        return ZoneInfo(self.timezone)

    def due(self, kind: str, start: date) -> date:
        """The last day on which the step ``kind`` started on ``start`` is on time."""
        return add_working_days(start, self.deadlines[kind])

    def review_dates(self, closed_on: date) -> list[date]:
        """The post-closure monitoring reviews' due dates (working days)."""
        return [next_working_day_on_or_after(add_months(closed_on, m)) for m in self.review_after_months]

    @classmethod
    def from_dict(cls, data: dict) -> ProcedurePolicy:
        """Validate the parsed TOML, naming the first wrong key."""
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise InvalidInput.one("version", "must be a non-empty string")
        timezone = data.get("timezone", "Europe/Warsaw")
        try:
            ZoneInfo(str(timezone))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput.one("timezone", f"unknown time zone {timezone!r}") from None
        table = data.get("deadlines") or {}
        deadlines = {k: _whole(table, k, f"deadlines.{k}", minimum=1) for k in DEADLINE_KINDS}
        monitoring = data.get("monitoring") or {}
        months = monitoring.get("review_after_months", [])
        if not isinstance(months, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) and m > 0 for m in months
        ):
            raise InvalidInput.one("monitoring.review_after_months", "must be a list of positive whole months")
        reminders = data.get("reminders") or {}
        agenda = data.get("agenda") or {}
        weights_table = agenda.get("weights") or {}
        weights = {k: _whole(weights_table, k, f"agenda.weights.{k}", minimum=0) for k in AGENDA_REASONS}
        return cls(
            version=version,
            timezone=str(timezone),
            deadlines=deadlines,
            review_after_months=tuple(sorted(months)),
            lead_working_days=_whole(reminders, "lead_working_days", "reminders.lead_working_days", minimum=0),
            team_lookback_days=_whole(agenda, "team_lookback_days", "agenda.team_lookback_days", minimum=1),
            weights=weights,
        )


def load_procedure_policy(path: str | Path | None = None) -> ProcedurePolicy:
    """Read the policy file (``None``: the shipped default)."""
    return ProcedurePolicy.from_dict(read_policy(path, DEFAULT_POLICY_FILE))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _whole(table: dict, key: str, name: str, minimum: int) -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidInput.one(name, f"must be a whole number of at least {minimum}")
    return value
