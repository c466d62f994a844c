"""PESEL, the Polish national identification number: checksum and embedded birth date.

A wrong digit in a PESEL would silently split one child into two records, so it is
checked before anything is stored.
"""

from __future__ import annotations

from datetime import date

_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
_CENTURY_BY_MONTH_OFFSET = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}


def pesel_problem(pesel: str) -> str | None:
    """Return why the PESEL is invalid, or None when it is well formed."""
    if len(pesel) != 11 or not pesel.isdigit():
        return "must be exactly 11 digits"
    digits = [int(c) for c in pesel]
    check = (10 - sum(w * d for w, d in zip(_WEIGHTS, digits, strict=False)) % 10) % 10
    if check != digits[10]:
        return "checksum digit does not match"
    if birth_date_from_pesel(pesel) is None:
        return "does not encode a valid date of birth"
    return None


def birth_date_from_pesel(pesel: str) -> date | None:
    """Decode the date of birth the PESEL carries (month offset gives the century)."""
    year, month, day = int(pesel[0:2]), int(pesel[2:4]), int(pesel[4:6])
    offset = (month // 20) * 20
    century = _CENTURY_BY_MONTH_OFFSET.get(offset)
    if century is None:
        return None
    try:
        return date(century + year, month - offset, day)
    except ValueError:
        return None


def make_pesel(birth: date, serial: int) -> str:
    """Compose a valid PESEL for a birth date and a 4-digit serial (demo data and tests)."""
    offset = {1800: 80, 1900: 0, 2000: 20, 2100: 40, 2200: 60}[birth.year // 100 * 100]
    body = f"{birth.year % 100:02d}{birth.month + offset:02d}{birth.day:02d}{serial % 10000:04d}"
    check = (10 - sum(w * int(d) for w, d in zip(_WEIGHTS, body, strict=False)) % 10) % 10
    return body + str(check)
