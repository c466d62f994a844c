"""Reading a school e-register export: encodings, delimiters and column names as they come.

Polish spreadsheets write semicolons and Windows-1250; web exports write UTF-8 with or
without a BOM and commas. Column names may be Polish or English. Each data row keeps its
line number so the report can point at it; a blank line is skipped, a short (truncated)
line is kept and refused later with a reason.

A file has at most ``MAX_ROWS`` data rows (the caller may set fewer): parsing stops at the
first row past it, so a file of a million rows costs what a file of the limit costs. Its
size in bytes is the web layer's to refuse, before the body is read (services/app.py).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from domain.errors import InvalidInput

#: Accepted column names (lower case, Polish letters allowed) -> field.
COLUMNS = {
    "pesel": "pesel",
    "imie": "given_name",
    "imię": "given_name",
    "given_name": "given_name",
    "nazwisko": "family_name",
    "family_name": "family_name",
    "data_urodzenia": "date_of_birth",
    "data urodzenia": "date_of_birth",
    "date_of_birth": "date_of_birth",
    "rodzaj": "kind",
    "sygnal": "kind",
    "sygnał": "kind",
    "kind": "kind",
    "data": "observed_at",
    "data_zdarzenia": "observed_at",
    "data zdarzenia": "observed_at",
    "observed_at": "observed_at",
    "liczba_dni": "days",
    "liczba dni": "days",
    "dni": "days",
    "days": "days",
    "waga": "severity",
    "severity": "severity",
    "opis": "details",
    "uwagi": "details",
    "details": "details",
}
REQUIRED = ("kind", "observed_at")
#: A school's export for a month is a few thousand rows; a dry run of this many takes seconds.
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Row:
    """One data row: its line number in the file and its values by field."""

    line: int
    values: dict[str, str]
    complete: bool
    #: Why the line could not be read at all (an open quote at the end of the file, a value
    #: longer than the csv module's limit), or None.
    problem: str | None = None


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1250 as Polish Excel writes it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def parse(data: bytes, max_rows: int = MAX_ROWS) -> list[Row]:
    """Split the file into rows keyed by field; refuse a file whose header cannot be used,
    or that has more than ``max_rows`` data rows (without reading past the first one too many)."""
    text = decode(data)
    first = next((line for line in io.StringIO(text) if line.strip()), None)
    if first is None:
        raise InvalidInput.one("file", "is empty")
    delimiter = max(";,\t", key=first.count)
    # strict: a quote left open by a truncated last line is an error, not a value.
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:  # this line only: refuse it with the reason, read on
            if header is None:
                raise InvalidInput.one("columns", f"the header row cannot be read: {e}") from None
            rows.append(Row(reader.line_num, {}, complete=False, problem=_unreadable(e)))
            continue
        if not any(cell.strip() for cell in record):
            continue
        if header is None:
            header = _fields(record)
            continue
        if len(rows) >= max_rows:
            raise InvalidInput.one("file", f"has more than {max_rows} rows; split it into files of at most {max_rows}")
        values = {field: cell.strip() for field, cell in zip(header, record, strict=False) if field}
        rows.append(Row(reader.line_num, values, complete=len(record) >= len(header)))
    if header is None:
        raise InvalidInput.one("file", "has no header row")
    return rows


def _unreadable(error: csv.Error) -> str:
    """Say why the csv module could not read a line, in the importer's words."""
    text = str(error)
    if "end of data" in text:
        return "the line is incomplete: the file ends inside a quoted value (truncated?)"
    if "field larger than field limit" in text:
        return f"a value is longer than {csv.field_size_limit()} characters"
    return f"the line is not valid CSV: {text}"


def _fields(header: list[str]) -> list[str]:
    names = [cell.strip().lower() for cell in header]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise InvalidInput.one(
            "columns", f"unknown column(s): {', '.join(unknown)}; known: {', '.join(sorted(set(COLUMNS)))}"
        )
    fields = [COLUMNS.get(n, "") for n in names]
    twice = sorted({f for f in fields if f and fields.count(f) > 1})
    if twice:
        raise InvalidInput.one("columns", f"more than one column for: {', '.join(twice)}")
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        raise InvalidInput.one("columns", f"missing required column(s): {', '.join(missing)}")
    if "pesel" not in fields and not {"given_name", "family_name", "date_of_birth"} <= set(fields):
        raise InvalidInput.one("columns", "need pesel, or given_name, family_name and date_of_birth")
    return fields
