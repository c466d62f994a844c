"""The checks a child's identity and a signal's fields pass before any event is recorded.

Kept apart from ``domain.children`` so the Child aggregate module holds the aggregate and
its events only, and so the other aggregates that reuse ``check_text`` (groups, help plans,
blue cards, time cards, notifications) and the bulk import, which checks rows before it
builds any aggregate, need not reach into the Child module for a field rule.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from domain.agencies import require_name
from domain.errors import InvalidInput
from domain.pesel import birth_date_from_pesel, pesel_problem

#: How far in the future an observation may claim to be (clocks of other systems drift).
CLOCK_SKEW = timedelta(minutes=5)
MAX_DETAILS = 10_000
MAX_REASON = 2_000
#: What a text holding half of a UTF-16 pair is told (JSON can spell one: "\ud800").
UNPAIRED_SURROGATE = "must not contain an unpaired surrogate (not valid text)"
#: A surrogate code point left in a Python string is always unpaired: decoders join the pairs.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_unpaired_surrogate(text: str) -> bool:
    """True when ``text`` holds a code point no UTF-8 encoder (and so no store) can write."""
    return _SURROGATE.search(text) is not None


def check_identity(
    given_name: str, family_name: str, date_of_birth: date, pesel: str | None, today: date
) -> dict[str, object]:
    """Validate a child's identity fields together, collecting every problem at once."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, object] = {}
    for field, value in (("given_name", given_name), ("family_name", family_name)):
        try:
            fields[field] = require_name(field, value, max_length=100)
        except InvalidInput as e:
            errors.update(e.errors)
    if date_of_birth > today:
        errors["date_of_birth"] = ["must not be in the future"]
    elif date_of_birth < date(today.year - 30, 1, 1):
        errors["date_of_birth"] = ["is too far in the past for a child"]
    if pesel is not None:
        problem = pesel_problem(pesel)
        if problem:
            errors["pesel"] = [problem]
        elif birth_date_from_pesel(pesel) != date_of_birth:
            errors["pesel"] = ["encodes a different date of birth than date_of_birth"]
    if errors:
        raise InvalidInput(errors)
    return fields


def check_text(field: str, value: str, max_length: int, required: bool = False) -> str:
    """Refuse oversized text (and blank text where a reason is required), and text that
    cannot be stored: the schemas refuse it first, this keeps every other caller honest."""
    value = value.strip()
    if has_unpaired_surrogate(value):
        raise InvalidInput.one(field, UNPAIRED_SURROGATE)
    if required and not value:
        raise InvalidInput.one(field, "must not be blank")
    if len(value) > max_length:
        raise InvalidInput.one(field, f"must be at most {max_length} characters")
    return value


def check_observed_at(observed_at: datetime, now: datetime) -> datetime:
    """An observation has a real, past moment in time (with its zone)."""
    if observed_at.tzinfo is None:
        raise InvalidInput.one("observed_at", "must include a time zone")
    if observed_at.year < 1990:  # first: comparing year 1 with a zone to now overflows
        raise InvalidInput.one("observed_at", "is implausibly old")
    if observed_at > now + CLOCK_SKEW:
        raise InvalidInput.one("observed_at", "must not be in the future")
    return observed_at.astimezone(UTC)


def check_days(kind_quantity: str | None, code: str, days: int | None) -> int | None:
    """Only kinds that count days carry a count, and it is a positive whole number."""
    if days is None:
        return 1 if kind_quantity else None
    if kind_quantity is None:
        raise InvalidInput.one("days", f"is not used by signal kind '{code}'")
    if not 1 <= days <= 366:
        raise InvalidInput.one("days", "must be between 1 and 366")
    return days
