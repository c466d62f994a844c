"""When a child's record is due for erasure because its retention period ended.

A pure rule over a few facts about the record, so the erasure use case, a future
retention schedule (issue 21) and a replay all answer the same. The numbers live in
``domain/retention_policy.toml`` (or an operator's file of the same shape); the seeds
state no legal period for Blue Card documentation, so the shipped rule is conservative
and says so: never while a Blue Card naming the child is open, never before the child's
adulthood, and not before N full years after the record's last entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from domain.errors import InvalidInput
from domain.policy_files import read_policy


@dataclass(frozen=True)
class RetentionPolicy:
    """The retention rule's numbers, and the version that names them in answers."""

    version: str
    years_after_last_entry: int
    adult_at: int


@dataclass(frozen=True)
class RetentionFacts:
    """What the rule needs to know about one record (and every record merged into it)."""

    date_of_birth: date | None
    last_entry: date
    open_cards: int


@dataclass(frozen=True)
class RetentionVerdict:
    """Whether retention has ended on ``today``; ``due_on`` is None while it cannot be dated."""

    due: bool
    due_on: date | None
    reason: str


def retention_due(facts: RetentionFacts, policy: RetentionPolicy, today: date) -> RetentionVerdict:
    """Say whether the record's retention period has ended on ``today``, and when it will.

    An open Blue Card keeps the record whatever the dates (the procedure still needs it),
    so no date can be given until the card is closed. Otherwise the later of adulthood
    and N years after the last entry; an unknown birth date counts as no adulthood bound.
    """
    if facts.open_cards:
        return RetentionVerdict(False, None, "a Blue Card naming the child is still open")
    due_on = _plus_years(facts.last_entry, policy.years_after_last_entry)
    reason = f"{policy.years_after_last_entry} years after the last entry ({facts.last_entry.isoformat()})"
    if facts.date_of_birth is not None:
        adult = _plus_years(facts.date_of_birth, policy.adult_at)
        if adult > due_on:
            due_on, reason = adult, f"the child's {policy.adult_at}th birthday"
    return RetentionVerdict(today >= due_on, due_on, reason)


def _plus_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March (the later day, never early)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def parse_retention_policy(raw: dict) -> RetentionPolicy:
    """Check the policy file's values, naming the field that is wrong."""
    values = {}
    for name, low, high in (("years_after_last_entry", 1, 100), ("adult_at", 0, 30)):
        value = raw.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidInput.one(name, f"must be a whole number from {low} to {high}")
        values[name] = value
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip():
        raise InvalidInput.one("version", "must name the rule's version")
    return RetentionPolicy(version=version, **values)


@lru_cache(maxsize=8)
def load_retention_policy(path: str | Path | None = None) -> RetentionPolicy:
    """The shipped policy (``domain/retention_policy.toml``) or an operator's own file."""
    return parse_retention_policy(read_policy(path, "retention_policy.toml"))
