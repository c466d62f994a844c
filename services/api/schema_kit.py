"""What every schema module shares: strict input schemas, documented dates and moments,
the note on withheld text, the language the caller asked for, and the blueprint whose
parser reads JSON bodies safely.

Every ``schemas*`` module takes these from here, so none needs another schema module for
its building blocks and the schema modules import one another without a circle.

Hard limits live here, once for the API and the pages (whose forms load through these
schemas): a ``StrictSchema`` refuses unknown fields, text holding an unpaired surrogate
(which no store can encode) and a list longer than its field allows (before its items are
read); the JSON parser reads a number too long to be a count of anything as a stand-in past
every bound, which the field's Range refuses, instead of the decoder's crash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import flask_smorest
from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from domain.field_checks import UNPAIRED_SURROGATE, has_unpaired_surrogate

WARSAW = ZoneInfo("Europe/Warsaw")
LANGUAGES = ("pl", "en")
#: The longest integer a JSON body may spell as itself (more digits is no count of anything we
#: keep); Python refuses to convert more than 4,300 digits, and converting is quadratic before that.
MAX_DIGITS = 100
FIELD_NAME_SURROGATE = "a field name contains an unpaired surrogate (not valid text)"


def iso(fmt: str = "date-time", **kwargs: object) -> fields.String:
    """A string documented as an ISO date or date-time."""
    return fields.String(metadata={"format": fmt}, **kwargs)


class StrictSchema(Schema):
    """Refuse unknown fields (a typo must not be silently dropped), unreadable text and over-long lists.

    Before any field is loaded: a list longer than its field's ``Length`` is refused without
    reading its items (100,000 ids cost nothing), and every string of the raw input, keys
    included, is searched for an unpaired surrogate, so no such text reaches a use case, an
    error message or the store. Both name the field, as the field's own checks do.
    """

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_unreadable_and_oversized(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data  # the schema itself says it wants an object
        errors: dict[Any, Any] = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            value = data.get(key)
            if not (isinstance(field, fields.List) and isinstance(value, list | tuple)):
                continue
            for check in field.validators:
                if not isinstance(check, validate.Length):
                    continue
                most = check.max if check.max is not None else check.equal
                if most is not None and len(value) > most:
                    try:
                        check(value)  # its own message: "Longer than maximum length 20."
                    except ValidationError as e:
                        errors[key] = e.messages
        if not errors:
            errors = _surrogates(data) or {}
        if errors:
            raise ValidationError(errors)
        return data


def _surrogates(value: Any) -> Any:
    """Marshmallow-shaped messages for every string holding an unpaired surrogate, or None."""
    if isinstance(value, str):
        return [UNPAIRED_SURROGATE] if has_unpaired_surrogate(value) else None
    found: dict[Any, Any] = {}
    if isinstance(value, Mapping):
        for key in value:
            if isinstance(key, str) and has_unpaired_surrogate(key):
                found["_schema"] = [FIELD_NAME_SURROGATE]  # never echo the key: it cannot be encoded
                continue
            inner = _surrogates(value[key])
            if inner:
                found[key] = inner
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            inner = _surrogates(item)
            if inner:
                found[i] = inner
    return found or None


#: What a JSON integer of more than ``MAX_DIGITS`` digits reads as: a googol with its sign.
#: Bigger than any bound an input has (every number field has a Range, tests/security), so
#: the field's own Range refuses it, naming the field, where converting the digits would have
#: crashed the decoder; and still a float, so a Float field can compare it too.
HUGE = 10**100


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        return -HUGE if text.startswith("-") else HUGE
    return int(text)


def parse_json_body(raw: bytes | str) -> Any:
    """Decode a JSON body as webargs would, except that a huge integer becomes ``HUGE``."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(
                f"Bytes decoding error : {exc.reason}", doc=str(exc.object), pos=exc.start
            ) from exc
    return json.loads(raw, parse_int=_whole_number)


class JsonBodyParser(FlaskParser):
    """webargs' Flask parser with ``parse_json_body`` for JSON bodies."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        return parse_json_body(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint: flask-smorest's, reading bodies with ``JsonBodyParser``."""

    ARGUMENTS_PARSER = JsonBodyParser()


def when(description: str = "", **kwargs: object) -> fields.AwareDateTime:
    """A moment; without a zone it is read as Polish local time."""
    note = "ISO 8601; without an offset, Europe/Warsaw local time"
    return fields.AwareDateTime(
        default_timezone=WARSAW,
        metadata={"description": f"{description} ({note})" if description else note},
        **kwargs,
    )


def withheld() -> fields.String:
    """Present on an entry whose text the reader may not see: the category that keeps it."""
    return fields.String(
        metadata={
            "description": "present when the entry's text is withheld from you: its data category "
            "(health, addiction, conviction) is not open to your agency on this child's group"
        }
    )


def request_language() -> str:
    """The language the API caller asks for (``Accept-Language``), Polish unless English is preferred."""
    return request.accept_languages.best_match(LANGUAGES) or "pl"
