"""The pages' forms, loaded through the API's own schemas: one set of rules for both.

A form's fields carry the names of the API's body or query; ``as_body`` turns them into
the JSON the schema reads (trimmed, empty meaning absent, numbers as numbers), the schema
loads them, and its refusals (English, for API clients) become the page's Polish words
beside each field. Only what the API cannot know stays here: dd.mm.rrrr spelling of a day,
a whole day as a filter, the kinds this agency submits.
"""

from __future__ import annotations

import re

from flask import abort
from flask_babel import gettext as _
from marshmallow import ValidationError, validate

from domain.errors import InvalidInput
from domain.signals import CATALOGUE
from services.adapters.rate_limits import RateLimited
from services.api.schema_kit import WARSAW
from services.api.schemas import (
    ChildCreateSchema,
    ChildQuerySchema,
    IdempotencyHeaderSchema,
    ImportQuerySchema,
    SignalCreateSchema,
    TimelineQuerySchema,
)
from services.api.schemas_family import AcknowledgementSchema
from services.web import i18n
from services.web.common import local_now

#: The search and the new record's form send the fields of the API's query and body, under the same names.
CHILD_QUERY_FIELDS = ("pesel", "given_name", "family_name", "date_of_birth")
CHILD_CREATE_FIELDS = ("given_name", "family_name", "date_of_birth", "pesel")
CHILD_QUERY = ChildQuerySchema()
CHILD_CREATE = ChildCreateSchema()


def child_values(schema, given: dict, errors: dict[str, list[str]]) -> dict:
    """Load a child's search or new record through the API's schema, collecting per-field problems.

    The date of birth may be typed as dd.mm.rrrr: it is rewritten as the ISO date the API
    reads before the schema loads it (whether it is a real day is the schema's to say).
    """
    if "date_of_birth" in given:
        given = {**given, "date_of_birth": _iso_day(given["date_of_birth"])}
    try:
        return schema.load(given)
    except ValidationError as e:
        errors.update({field: [_child_problem(schema, field, given)] for field in e.normalized_messages()})
        return dict(e.valid_data or {})


def _child_problem(schema, field: str, given: dict) -> str:
    """The page's words for a field of a child's search or record that the API's schema refused."""
    if field == "date_of_birth":
        return _("Not a date; write it as dd.mm.rrrr.") if field in given else _("Give a date (dd.mm.rrrr).")
    if field == "pesel":
        return _("Not a valid PESEL: it has 11 digits; check them for a typo.")
    if field == "given_name":
        if field not in given:
            return _("Give the given name.")
        return _("The given name is too long (at most %(n)s characters).", n=_bound(schema, field, validate.Length).max)
    if field == "family_name":
        if field not in given:
            return _("Give the family name.")
        return _(
            "The family name is too long (at most %(n)s characters).", n=_bound(schema, field, validate.Length).max
        )
    return _("Please check the input")


#: dd.mm.rrrr, as Polish users write a day (the day and month may have one digit).
_POLISH_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
#: A day alone in the ISO spelling (a filter's whole day, not a moment).
_DAY_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(text: str) -> str:
    """A day typed as dd.mm.rrrr rewritten as rrrr-mm-dd (the browser's and the API's spelling);
    any other text is left as it is. Only the spelling changes: the schema judges the date."""
    found = _POLISH_DAY.fullmatch(text)
    return f"{found[3]}-{found[2].zfill(2)}-{found[1].zfill(2)}" if found else text


#: The timeline's filters are the API's query parameters, under the same names.
TIMELINE_FILTERS = ("since", "until", "agency_kind", "kind")
_TIMELINE_QUERY = TimelineQuerySchema()


def timeline_filters(args, errors: dict[str, list[str]]) -> dict:
    """Load the filters through the API's schema; a refused filter is named beside it and left out.

    The page filters by whole days (dd.mm.rrrr or the browser's rrrr-mm-dd): "from" is the
    day's first moment and "to" its last, written as the API's moments before the schema
    loads them, in the deployment's local time.
    """
    given = as_body(args, TIMELINE_FILTERS)
    for field, clock in (("since", "T00:00:00"), ("until", "T23:59:59.999999")):
        if field in given:
            day = _iso_day(given[field])
            given[field] = day + clock if _DAY_ONLY.fullmatch(day) else day
    try:
        values = _TIMELINE_QUERY.load(given)
    except ValidationError as e:
        errors.update({field: [_timeline_problem(field)] for field in e.normalized_messages()})
        values = dict(e.valid_data or {})
    for field in ("since", "until"):
        if field in values and values[field].tzinfo is WARSAW:  # no zone given: the deployment's local time
            values[field] = values[field].replace(tzinfo=local_now().tzinfo)
    return values


def _timeline_problem(field: str) -> str:
    """The page's words for a filter the API's schema refused."""
    if field in ("since", "until"):
        return _("Not a date; write it as dd.mm.rrrr.")
    if field == "agency_kind":
        return _("Choose an agency from the list.")
    if field == "kind":
        return _("Choose a kind of entry from the list.")
    return _("Please check the input")


#: The signal form sends the fields the API's body has, under the same names.
_SIGNAL_FIELDS = ("kind", "observed_at", "severity", "days", "details")
_SIGNAL_SCHEMA = SignalCreateSchema()
_IDEMPOTENCY = IdempotencyHeaderSchema()


def signal_values(form: dict, errors: dict[str, list[str]], allowed: set[str]) -> dict:
    """Load the form through the API's schema into the use case's arguments, collecting per-field problems.

    The schema's (English) refusals become the page's words beside each field; the page then
    adds what only it knows: the kinds this agency submits, and that days count only some kinds.
    """
    given = as_body(form, _SIGNAL_FIELDS, numbers=("days",))
    try:
        values = _SIGNAL_SCHEMA.load(given)
    except ValidationError as e:
        errors.update({field: [_signal_problem(field, given)] for field in e.normalized_messages()})
        values = dict(e.valid_data or {})
    if "observed_at" in values:
        if values["observed_at"].tzinfo is WARSAW:  # typed without a zone: the deployment's local time
            values["observed_at"] = values["observed_at"].replace(tzinfo=local_now().tzinfo)
        if values["observed_at"] > local_now():
            errors["observed_at"] = [_("The observation cannot be in the future.")]
    if values.get("kind") and values["kind"] not in allowed:
        errors["kind"] = [_("Your agency does not submit this kind of signal.")]
    kind = CATALOGUE.get(values.get("kind") or "")
    if values.get("days") is not None and kind is not None and kind.quantity is None:
        errors["days"] = [_("This kind of signal does not count days; leave the field empty.")]
    return values


def _signal_problem(field: str, given: dict) -> str:
    """The page's words for a field the API's schema refused (its own messages are for API clients)."""
    if field == "kind":
        if "kind" not in given:
            return _("Choose the kind of concern.")
        return _("Your agency does not submit this kind of signal.")  # not a kind of the catalogue
    if field == "observed_at":
        return _("Give the date and time of the observation.")
    if field == "severity":
        return _("Choose a severity from the list.")
    if field == "days":
        most = _bound(_SIGNAL_SCHEMA, "days", validate.Range).max
        if isinstance(given.get("days"), int) and most is not None and given["days"] > most:
            return _("Give a whole number of days, at most %(n)s.", n=most)
        return _("Give a whole number of days (1 or more).")
    if field == "details":
        return _(
            "The description is too long (at most %(n)s characters).",
            n=_bound(_SIGNAL_SCHEMA, "details", validate.Length).max,
        )
    return _("Please check the input")


def as_body(form: dict, names: tuple[str, ...], numbers: tuple[str, ...] = ()) -> dict:
    """A form's fields as the API's JSON body: trimmed, an empty field left out (absent, as in
    JSON), and a whole number typed into a number field given as a number (a form sends text)."""
    body: dict = {}
    for name in names:
        text = (form.get(name) or "").strip()
        if not text:
            continue
        if name in numbers:
            try:
                body[name] = int(text)
                continue
            except ValueError:
                pass  # the schema refuses the text as it was typed
        body[name] = text
    return body


def _bound(schema, field: str, kind: type):
    """The schema's own validator of a kind on a field (its limits are quoted to the reader)."""
    return next(v for v in schema.fields[field].validators if isinstance(v, kind))


def idempotency_key(text: str) -> str | None:
    """The form's idempotency key, checked as the API checks the header; none when empty."""
    try:
        return _IDEMPOTENCY.load({"Idempotency-Key": text} if text else {})["idempotency_key"]
    except ValidationError:
        abort(400)


def field_errors(exc: InvalidInput) -> dict[str, list[str]]:
    return {k: [_limit_message(m) or i18n.domain_message(m) for m in v] for k, v in exc.errors.items()}


#: The import's row limit as the parser words it (services/adapters/csv_import.py).
_TOO_MANY_ROWS = re.compile(r"has more than (\d+) rows; split it into files of at most \d+")


def _limit_message(text: str) -> str | None:
    """The page's words for a hard limit the use case refused (its English carries the number)."""
    found = _TOO_MANY_ROWS.fullmatch(text)
    if found:
        return _("The file has more than %(n)s rows; split it into files of at most %(n)s.", n=found[1])
    return None


def too_many_imports(exc: RateLimited) -> str:
    """The page's words for an import refused by the per-user rate."""
    return _(
        "Too many imports in a short time (at most %(n)s a minute). Try again in %(s)s s.",
        n=exc.limit,
        s=exc.retry_after,
    )


IMPORT_QUERY = ImportQuerySchema()


ACKNOWLEDGEMENT = AcknowledgementSchema()


def acknowledgement_problem(field: str) -> str:
    """The page's words for an acknowledgement the API's schema refused."""
    if field == "note":
        return _(
            "The note is too long (at most %(n)s characters).", n=_bound(ACKNOWLEDGEMENT, "note", validate.Length).max
        )
    return _("Please check the input")
